/**
 * @module
 * The release workflow's tag check, run with bash as GitHub's runners run it: a tag that is
 * not deno.json's version publishes nothing.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

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
