/**
 * @module
 * The operations files, read as their tools read them: the Dockerfile's user and shutdown
 * budget, the built-in options page. (The release workflow's tag check runs a shell: it is in
 * tests/e2e/release_test.ts.)
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
