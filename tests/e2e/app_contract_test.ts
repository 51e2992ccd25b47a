/**
 * The app contract as `deno serve` keeps it: `onListen`, the signal after the response, an app's
 * Content-Length on a stream, and the 500 an app's error earns.
 */
import assert from "node:assert/strict";
import { TestServer } from "../_helpers/server.ts";

/** Starts the server with an app written from `source` to a temporary file. */
async function withAppSource(
  source: string,
  args: string[],
  fn: (server: TestServer) => Promise<void>,
): Promise<void> {
  const app = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(app, source);
  try {
    const server = await TestServer.start(["--app", app, ...args]);
    try {
      await fn(server);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(app);
  }
}

Deno.test("onListen(addr) of the app's default export is called once, with the address, by worker 1", async () => {
  const source = `export default {
    fetch: () => new Response("ok"),
    onListen(addr) { console.log("onListen " + JSON.stringify(addr)); },
  };`;
  await withAppSource(source, ["--workers", "3"], async (server) => {
    await server.waitForLine(/^onListen /);
    // Every worker has loaded the app by now: the server said it listens once all were ready.
    await server.waitForLine(/^Server: listening on /);
    assert.equal(await (await fetch(server.url)).text(), "ok");
    const calls = server.lines.filter((line) => line.startsWith("onListen "));
    assert.equal(calls.length, 1, calls.join("\n"));
    const addr = JSON.parse(calls[0].slice("onListen ".length));
    assert.deepEqual(addr, { transport: "tcp", hostname: "127.0.0.1", port: server.port });
  });
});
