/**
 * The I/O threads under attack: what one thread holds must never strand clients the kernel gave
 * it, a worker lost at any moment is told to every thread, and the server-wide counts come back
 * to zero after hostile churn (`lib/io/loop.ts`, `lib/wire/counts.ts`, `lib/supervisor/`).
 */
import assert from "node:assert/strict";
import { TestServer } from "../_helpers/server.ts";
import { connect, readResponses, writeAll } from "../_helpers/http.ts";
import { makeSite } from "../_helpers/site.ts";
import { withServer } from "../_helpers/in_process.ts";
import { waitFor } from "../_helpers/wait.ts";

const KEEP_ALIVE_GET = new TextEncoder().encode("GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
const CLOSE_GET = new TextEncoder().encode(
  "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
);

Deno.test({
  name:
    "--reuse-port: a thread holding more connections than the other still accepts the ones the kernel queued on its own socket",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const site = await makeSite();
    const server = await TestServer.start(
      ["--root", site.root, "--io-threads", "2", "--reuse-port", "--keepalive-timeout", "60"],
      ["--unstable-net"],
    );
    const conns: Deno.TcpConn[] = [];
    try {
      // The kernel hashes each connection to one thread's socket: the counts walk apart at
      // random, past the accept gate's slack of 2 within a few dozen connections. Each one is
      // kept open and must be answered before the next opens.
      for (let i = 0; i < 60; i++) {
        const conn = await connect(server.port);
        conns.push(conn);
        await writeAll(conn, KEEP_ALIVE_GET);
        const responses = await readResponses(conn, { responses: 1, timeoutMs: 3000 })
          .catch((error) => assert.fail(`connection ${i + 1} got no answer: ${error.message}`));
        assert.equal(responses[0].status, 200);
      }
    } finally {
      for (const conn of conns) conn.close();
      await server.stop();
      await site.remove();
    }
  },
});

Deno.test("a worker lost after it was ready, while the pool still starts, is told to every I/O thread and replaced", async () => {
  const app = new URL("../fixtures/start_crash_app.ts", import.meta.url).pathname;
  const args = ["--app", app, "--workers", "2", "--io-threads", "2", "--quiet"];
  await withServer(args, async (server, lines) => {
    // Worker 1 ended while worker 2 still loaded: the server was "starting" then.
    assert.ok(lines.some((l) => /^Worker 1: crashed/.test(l)), lines.join("\n"));
    await waitFor(() => server.pool.workers[0].state === "ready", {
      timeoutMs: 10_000,
      what: "worker 1's replacement to be ready",
    });
    // Both workers serve, over connections both I/O threads accepted.
    const answers = await Promise.all(Array.from({ length: 20 }, async () => {
      const conn = await connect(server.addr.port);
      try {
        await writeAll(conn, CLOSE_GET);
        return (await readResponses(conn, { timeoutMs: 5000 }))[0]?.status;
      } finally {
        conn.close();
      }
    }));
    assert.deepEqual(answers, Array(20).fill(200));
  });
});
