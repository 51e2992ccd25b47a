/**
 * heiretsu as a library (mod.ts): options validated as the CLI validates flags, a handle with
 * the bound address, and the promise itself, asserted the way a user's CI test would.
 */
import assert from "node:assert/strict";
import { serve } from "../mod.ts";

const SLOW_APP = new URL("../examples/slow.ts", import.meta.url);

Deno.test("serve() keeps fast requests fast while another burns CPU (a user's CI test)", async () => {
  const server = await serve({ app: SLOW_APP, port: 0, workers: 2, quiet: true });
  try {
    const started = performance.now();
    const slow = fetch(`${server.url}/burn?ms=2000`).then((r) => r.text())
      .then(() => performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (let i = 0; i < 10; i++) {
      assert.equal(await (await fetch(`${server.url}/`)).text(), "fast\n");
    }
    const fastMs = performance.now() - started;
    const slowMs = await slow;
    assert.ok(fastMs < slowMs / 2, `10 fast requests took ${fastMs} ms, the burn ${slowMs} ms`);
  } finally {
    await server.shutdown();
  }
});

Deno.test("serve() returns the bound address, and finished settles after shutdown()", async () => {
  const server = await serve({ port: 0, workers: 1, quiet: true });
  assert.notEqual(server.addr.port, 0);
  assert.equal(server.url, `http://127.0.0.1:${server.addr.port}`);
  assert.equal(server.config.workers, 1);
  let done = false;
  server.finished.then(() => done = true);
  const response = await fetch(`${server.url}/`);
  assert.equal(response.status, 200);
  await response.body?.cancel();
  await server.shutdown();
  await server.finished;
  assert.ok(done);
});

Deno.test("serve() takes limits in milliseconds and headers as pairs, as ServerConfig has them", async () => {
  const server = await serve({
    port: 0,
    workers: 1,
    quiet: true,
    headerTimeoutMs: 2500,
    extraHeaders: [["X-Test", "yes"]],
    appPermissions: { env: ["HOME"] },
  });
  try {
    assert.equal(server.config.headerTimeoutMs, 2500);
    assert.deepEqual(server.config.appPermissions, { env: ["HOME"] });
    const response = await fetch(`${server.url}/`);
    await response.body?.cancel();
    assert.equal(response.headers.get("x-test"), "yes");
  } finally {
    await server.shutdown();
  }
});

Deno.test("serve() rejects a bad option with the CLI's message, naming the flag", async () => {
  await assert.rejects(serve({ port: 70000 }), /--port: .*out of range/);
  await assert.rejects(serve({ workers: 0 }), /--workers/);
  await assert.rejects(serve({ root: "/does/not/exist" }), /does not exist/);
  await assert.rejects(serve({ nonsense: 1 } as never), /unknown option "nonsense"/);
});
