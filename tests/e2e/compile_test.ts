/**
 * The single binary: `deno compile` with the worker module and the default site embedded, made
 * with the flags of `deno task compile` (tools/compile.ts). The compile downloads Deno's runtime (denort); where that cannot be fetched (no network), the
 * test is skipped with the reason in its name, and every other failure fails it.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import denoJson from "../../deno.json" with { type: "json" };
import { compileArgs } from "../../tools/compile.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const OUTPUT = await Deno.makeTempDir({ prefix: "heiretsu-compile-" });
const BINARY = `${OUTPUT}/heiretsu${Deno.build.os === "windows" ? ".exe" : ""}`;

/** Compiles like `deno task compile`, into a temp folder; returns null or why it could not. */
async function compile(): Promise<string | null> {
  const args = compileArgs({ output: BINARY });
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (success) return null;
  const text = new TextDecoder().decode(stderr);
  const network =
    /dns error|error sending request|Failed (to )?download|Name or service not known|os error 101/i;
  if (network.test(text)) {
    return `the Deno runtime for compiling (denort) could not be downloaded: ${
      reason(text, network)
    }`;
  }
  throw new Error(`deno compile failed:\n${text}`);
}

/** The line that names the failure (deno runs with NO_COLOR here, so it is plain text). */
function reason(text: string, pattern: RegExp): string {
  const lines = text.split("\n").map((line) => line.trim());
  return lines.find((line) => pattern.test(line)) ?? "";
}

const skipped = await compile();
if (skipped) console.log(`compile test skipped: ${skipped}`);

/** Starts the binary with `args` and returns its URL and a stop function. */
async function run(
  args: string[],
): Promise<{ url: string; lines: string[]; stop(): Promise<void> }> {
  const child = new Deno.Command(BINARY, {
    args: ["--port", "0", ...args],
    stdout: "piped",
    stderr: "inherit",
  })
    .spawn();
  const lines: string[] = [];
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the binary exited:\n${lines.join("\n")}`);
    pending += value;
    const split = pending.split("\n");
    pending = split.pop()!;
    lines.push(...split);
    const ready = lines.map((l) => /^Server: listening on (http:\/\/\S+) /.exec(l)).find(Boolean);
    if (ready) {
      (async () => {
        while (!(await reader.read()).done) { /* keep the pipe flowing */ }
      })();
      return {
        url: ready[1],
        lines,
        stop: async () => {
          child.kill("SIGTERM");
          assert.equal((await child.status).code, 0);
        },
      };
    }
  }
}

Deno.test({
  name: skipped
    ? `compiled binary (skipped: ${skipped})`
    : "compiled binary serves its embedded site and a given ROOT",
  ignore: skipped !== null,
  async fn() {
    try {
      const version = await new Deno.Command(BINARY, { args: ["--version"] }).output();
      assert.match(
        new TextDecoder().decode(version.stdout),
        new RegExp(`^heiretsu ${denoJson.version} \\(deno \\d`),
      );
      const embedded = await run(["--quiet"]);
      try {
        assert.match(await (await fetch(`${embedded.url}/`)).text(), /heiretsu/);
        assert.equal((await fetch(`${embedded.url}/style.css`)).status, 200);
      } finally {
        await embedded.stop();
      }
      const site = await Deno.makeTempDir();
      await Deno.writeTextFile(`${site}/hello.txt`, "from a folder\n");
      const folder = await run([site, "--quiet"]);
      try {
        assert.equal(await (await fetch(`${folder.url}/hello.txt`)).text(), "from a folder\n");
      } finally {
        await folder.stop();
        await Deno.remove(site, { recursive: true });
      }
    } finally {
      await Deno.remove(OUTPUT, { recursive: true });
    }
  },
});
