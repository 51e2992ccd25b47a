/**
 * examples/hono: an ordinary Hono project with its own import map ("hono" → npm), run on
 * heiretsu's pool from its own folder. Its bare import resolves through its config, heiretsu's
 * packages through their full specifiers, and nothing is written into heiretsu's clone.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const EXAMPLE = `${REPO}examples/hono`;

/** Starts heiretsu from the example's folder; resolves with its URL once it listens. */
async function start(): Promise<{ url: string; child: Deno.ChildProcess }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      "deno.json",
      "--unstable-worker-options",
      "--allow-net=127.0.0.1",
      "--allow-read",
      `${REPO}main.ts`,
      "--app",
      "main.ts",
      "--port",
      "0",
      "--workers",
      "1",
      "--quiet",
    ],
    cwd: EXAMPLE,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).values();
  let seen = "";
  for await (const chunk of lines) {
    seen += chunk;
    const ready = /listening on (http:\/\/\S+) /.exec(seen);
    if (ready) return { url: ready[1], child };
  }
  throw new Error(`heiretsu exited: ${seen}${await new Response(child.stderr).text()}`);
}

Deno.test("examples/hono runs under --app with its own import map, writing nothing into the clone", async () => {
  const lockBefore = await Deno.readTextFile(`${REPO}deno.lock`);
  const { url, child } = await start();
  try {
    assert.equal(await (await fetch(`${url}/`)).text(), "Hello from Hono\n");
    assert.deepEqual(await (await fetch(`${url}/hello/heiretsu`)).json(), { hello: "heiretsu" });
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stderr.cancel();
  }
  assert.equal(await Deno.readTextFile(`${REPO}deno.lock`), lockBefore, "deno.lock unchanged");
  await assert.rejects(Deno.stat(`${EXAMPLE}/deno.lock`), Deno.errors.NotFound);
});
