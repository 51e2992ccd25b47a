/**
 * In-process tests of the I/O threads' tunnel table against the pool: an idle WebSocket is
 * counted apart from requests, and counted no more once closed.
 */
import assert from "node:assert/strict";
import { Server } from "../../lib/supervisor/server.ts";
import { parseConfig } from "../../lib/config/parse.ts";
import type { ServerConfig } from "../../lib/config/settings.ts";

const APP = new URL("../fixtures/ws_app.ts", import.meta.url).pathname;

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("Tunnels counts an idle socket apart from requests, on its worker, until it closes", async () => {
  const result = parseConfig({
    args: ["--app", APP, "--port", "0", "--workers", "2", "--quiet"],
    env: () => undefined,
  });
  if (result.kind !== "run") throw new Error(`bad test config: ${JSON.stringify(result)}`);
  const server = new Server(result.config as ServerConfig, () => {});
  await server.start();
  try {
    const socket = new WebSocket(`ws://127.0.0.1:${server.addr.port}/echo`);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    const workers = server.pool.workers;
    await waitFor(() => workers.some((w) => w.board.tunnels === 1), "the tunnel is counted");
    // Idle: no request in hand anywhere, so neither the stall check nor the watchdog sees work.
    await waitFor(() => workers.every((w) => w.board.inFlight === 0), "no request in hand");
    const echoed = new Promise((resolve) => (socket.onmessage = (e) => resolve(e.data)));
    socket.send("x");
    assert.equal(await echoed, "x");
    const closed = new Promise((resolve) => (socket.onclose = resolve));
    socket.close();
    await closed;
    await waitFor(
      () => workers.every((w) => w.board.tunnels === 0 && w.board.inFlight === 0),
      "uncounted",
    );
  } finally {
    await server.shutdown();
  }
});
