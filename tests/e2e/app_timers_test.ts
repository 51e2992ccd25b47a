/**
 * An app's own timers and I/O keep running while requests keep coming: an idle worker blocks on
 * its doorbell for a moment between requests, and that must never keep its event loop from
 * turning (it once did, for as long as the load lasted: 74 ticks of a 10 ms interval in 6 s).
 */
import assert from "node:assert/strict";
import { TestServer } from "../_helpers/server.ts";
import { connect, readResponses, writeAll } from "../_helpers/http.ts";

const APP = new URL("../fixtures/ticker_app.ts", import.meta.url).pathname;
const LOAD_MS = 2000;
const CLIENTS = 4;
/** Bounds each client's loop beyond its time limit. */
const MAX_REQUESTS = 200_000;

/** Sends requests one after another on a keep-alive connection until `until`. */
async function keepAsking(port: number, until: number): Promise<number> {
  const conn = await connect(port);
  const request = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  let answered = 0;
  try {
    while (performance.now() < until && answered < MAX_REQUESTS) {
      await writeAll(conn, request);
      const [response] = await readResponses(conn, { responses: 1 });
      assert.equal(response.status, 200);
      answered++;
    }
  } finally {
    conn.close();
  }
  return answered;
}

Deno.test("an app's 10 ms interval keeps ticking while one worker answers requests back to back", async () => {
  const server = await TestServer.start(["--app", APP, "--workers", "1", "--quiet"]);
  try {
    await fetch(`http://127.0.0.1:${server.port}/stats`).then((r) => r.body?.cancel());
    const until = performance.now() + LOAD_MS;
    const counts = await Promise.all(
      Array.from({ length: CLIENTS }, () => keepAsking(server.port, until)),
    );
    const answered = counts.reduce((sum, n) => sum + n, 0);
    const stats = await (await fetch(`http://127.0.0.1:${server.port}/stats`)).json();
    // Requests came far more often than every millisecond, so the worker was never idle long.
    assert.ok(answered > LOAD_MS, `only ${answered} requests in ${LOAD_MS} ms`);
    // 200 ticks are due; a loaded 2-core machine may delay a few, but not seconds of them.
    assert.ok(stats.ticks >= 100, `${stats.ticks} ticks in ${LOAD_MS} ms (${answered} requests)`);
    assert.ok(stats.longestGap < 300, `a gap of ${stats.longestGap} ms between ticks`);
  } finally {
    await server.stop();
  }
});
