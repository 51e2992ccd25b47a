/**
 * What happens to a request whose worker dies: the relay answers 502 and the pool replaces the
 * worker. The crash prints the app thread's stack trace, so the test runs in a child process
 * (quietTest) and a passing run prints nothing.
 */
import assert from "node:assert/strict";
import { connect, exchange, readResponses, writeAll } from "../_helpers/http.ts";
import { sendUnknownRecord, withServer } from "../_helpers/in_process.ts";
import { quietTest } from "../_helpers/quiet.ts";
import { waitFor } from "../_helpers/wait.ts";

quietTest(
  import.meta,
  "server answers 502 for a request whose worker dies before it responds",
  async () => {
    const app = ["--app", "examples/slow.ts", "--workers", "1", "--quiet"];
    await withServer(app, async (server, lines) => {
      const conn = await connect(server.addr.port);
      try {
        // The app sleeps on it: the worker holds the request without answering.
        await writeAll(
          conn,
          new TextEncoder().encode("GET /sleep?ms=5000 HTTP/1.1\r\nHost: t\r\n\r\n"),
        );
        const worker = server.pool.workers[0];
        await waitFor(() => worker.board.inFlight > 0, {
          timeoutMs: 5000,
          what: "the worker to hold it",
        });
        sendUnknownRecord(server, worker);
        const responses = await readResponses(conn);
        assert.deepEqual(responses.map((r) => r.status), [502]);
        assert.ok(lines.some((l) => /^Worker 1: crashed/.test(l)), lines.join("\n"));
      } finally {
        conn.close();
      }
      // The replacement serves.
      await waitFor(() => server.pool.workers[0].state === "ready", {
        timeoutMs: 10_000,
        what: "the replacement worker to be ready",
      });
      const [response] = await exchange(
        server.addr.port,
        "GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
      );
      assert.equal(response.status, 200);
    });
  },
);
