/**
 * @module
 * The operations files, read as their tools read them: the Dockerfile's user and shutdown
 * budget, the release workflow's tag check (run with bash), the built-in options page.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseConfig } from "../../lib/config/parse.ts";
import { OPTIONS_PAGE, optionsPage } from "../../tools/options_page.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

/** `docker stop`'s default wait between SIGTERM and SIGKILL. */
const DOCKER_STOP_MS = 10_000;
/** What the shutdown needs beyond drain delay and grace: closing, the workers' last log lines. */
const SHUTDOWN_SLACK_MS = 1_000;

/** The Dockerfile's instructions of the final stage: [instruction, arguments], lines joined. */
function finalStage(text: string): [string, string][] {
  const joined = text.replace(/\\\n/g, " ").split("\n").map((line) => line.trim());
  const instructions = joined.filter((line) => line !== "" && !line.startsWith("#"))
    .map((line): [string, string] => {
      const space = line.indexOf(" ");
      return [line.slice(0, space).toUpperCase(), line.slice(space + 1).trim()];
    });
  const from = instructions.findLastIndex(([name]) => name === "FROM");
  return instructions.slice(from);
}

/** `ENV A=1 B=2` (one or several instructions) as a record. */
function envOf(stage: [string, string][]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, args] of stage.filter(([name]) => name === "ENV")) {
    for (const [, name, value] of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
      env[name] = value.replace(/^"|"$/g, "");
    }
  }
  return env;
}

const STAGE = finalStage(await Deno.readTextFile(`${REPO}Dockerfile`));

Deno.test("the Docker image runs heiretsu as a user that is not root", () => {
  const users = STAGE.filter(([name]) => name === "USER").map(([, args]) => args);
  assert.ok(users.length > 0, "the final stage sets USER");
  const user = users.at(-1)!.split(":")[0];
  assert.ok(!["root", "0"].includes(user), `USER ${user}`);
});

Deno.test("the Docker image's drain delay plus grace ends within docker stop's 10 s", () => {
  const env = envOf(STAGE);
  const result = parseConfig({ args: [], env: (name) => env[name] });
  assert.equal(result.kind, "run", JSON.stringify(result));
  if (result.kind !== "run") return;
  const { drainDelayMs, graceMs, host, healthPath } = result.config;
  assert.ok(
    drainDelayMs + graceMs + SHUTDOWN_SLACK_MS <= DOCKER_STOP_MS,
    `drain ${drainDelayMs} ms + grace ${graceMs} ms`,
  );
  assert.equal(host, "0.0.0.0");
  assert.equal(healthPath, env.HEIRETSU_HEALTH);
  // SIGTERM starts the drain; another signal would skip it.
  const signal = STAGE.find(([name]) => name === "STOPSIGNAL")?.[1] ?? "SIGTERM";
  assert.equal(signal, "SIGTERM");
});

/** The `run: |` script of the release workflow's step with this name. */
function stepScript(workflow: string, name: string): string {
  const lines = workflow.split("\n");
  const at = lines.findIndex((line) => line.trim() === `- name: ${name}`);
  assert.ok(at !== -1, `step "${name}"`);
  const run = lines.findIndex((line, i) => i > at && /^\s+run: \|$/.test(line));
  const indent = lines[run + 1].search(/\S/);
  const body: string[] = [];
  for (const line of lines.slice(run + 1)) {
    if (line.trim() !== "" && line.search(/\S/) < indent) break;
    body.push(line.slice(indent));
  }
  return body.join("\n");
}

const HAS_TOOLS = ["bash", "jq"].every((tool) => {
  try {
    return new Deno.Command(tool, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
});

Deno.test({
  name: "the release workflow refuses a tag that is not deno.json's version",
  ignore: !HAS_TOOLS, // the step's script needs bash and jq, as on GitHub's runners
  fn: async () => {
    const workflow = await Deno.readTextFile(`${REPO}.github/workflows/release.yml`);
    const script = stepScript(workflow, "Tag matches deno.json's version");
    const { version } = JSON.parse(await Deno.readTextFile(`${REPO}deno.json`));
    const run = async (tag: string) =>
      await new Deno.Command("bash", {
        args: ["-c", script],
        cwd: REPO,
        env: { GITHUB_REF_NAME: tag },
        stdout: "piped",
        stderr: "piped",
      }).output();
    assert.equal((await run(`v${version}`)).code, 0);
    const wrong = await run("v999.0.0");
    assert.notEqual(wrong.code, 0);
    assert.match(new TextDecoder().decode(wrong.stdout), /tag v999\.0\.0 is not v/);
    // The binaries are built only after the check.
    assert.ok(workflow.includes("\n  build:\n    needs: version\n"), "build needs version");
  },
});

Deno.test("static/options.html is what tools/options_page.ts makes from the flag table", async () => {
  const page = await Deno.readTextFile(`${REPO}${OPTIONS_PAGE}`);
  assert.equal(
    page,
    optionsPage(),
    "run: deno run --allow-write=static tools/options_page.ts",
  );
  const index = await Deno.readTextFile(`${REPO}static/index.html`);
  assert.match(index, /<a href="options.html">/);
});
