/**
 * In-process tests of the relay's dispatch decisions that need a hand on the pool: the bounded
 * queue. What happens to a request whose worker dies: tests/e2e/worker_loss_test.ts (the crash
 * prints, so it runs in a child process).
 */
import assert from "node:assert/strict";
import type { Server } from "../../lib/supervisor/server.ts";
import { exchange } from "../_helpers/http.ts";
import { withServer } from "../_helpers/in_process.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Makes every worker look busy with no progress, as a CPU-bound handler would. */
async function stallAll(server: Server, stallMs: number): Promise<() => void> {
  for (const worker of server.pool.workers) worker.board.claim();
  await sleep(stallMs * 3);
  return () => {
    for (const worker of server.pool.workers) worker.board.release();
  };
}

Deno.test("server queues requests while every worker is stalled and serves them once one recovers", async () => {
  await withServer(
    ["--workers", "2", "--stall-timeout", "20", "--queue", "10", "--quiet"],
    async (server) => {
      const release = await stallAll(server, 20);
      const pending = exchange(
        server.addr.port,
        "GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
      );
      await sleep(200);
      let settled = false;
      pending.then(() => (settled = true));
      await sleep(0);
      assert.equal(settled, false, "a request was served while every worker was stalled");
      release();
      const [response] = await pending;
      assert.equal(response.status, 200);
    },
  );
});

Deno.test("server answers 503 with Retry-After at once when the queue is full", async () => {
  await withServer(
    ["--workers", "1", "--stall-timeout", "20", "--queue", "0"],
    async (server, lines) => {
      const release = await stallAll(server, 20);
      try {
        const started = performance.now();
        const [response] = await exchange(
          server.addr.port,
          "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n",
        );
        assert.equal(response.status, 503);
        assert.equal(response.headers.get("retry-after"), "1");
        assert.equal(response.headers.get("connection"), "close");
        assert.ok(performance.now() - started < 2000);
        assert.ok(lines.some((l) => /^Server: 503 to 127\.0\.0\.1/.test(l)), lines.join("\n"));
      } finally {
        release();
      }
    },
  );
});
