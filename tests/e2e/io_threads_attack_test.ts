/**
 * The I/O threads under attack: what one thread holds must never strand clients the kernel gave
 * it, a worker lost at any moment is told to every thread, and the server-wide counts come back
 * to zero after hostile churn (`lib/io/loop.ts`, `lib/wire/counts.ts`, `lib/supervisor/`).
 */
import assert from "node:assert/strict";
import { TestServer } from "../_helpers/server.ts";
import { connect, readResponses, writeAll } from "../_helpers/http.ts";
import { makeSite } from "../_helpers/site.ts";

const KEEP_ALIVE_GET = new TextEncoder().encode("GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");

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
