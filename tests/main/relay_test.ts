/**
 * In-process tests of the relay's dispatch decisions that need a hand on the pool: the bounded queue, and
 * what happens to a request whose worker dies.
 */
import assert from "node:assert/strict";
import { Server } from "../../lib/main/server.ts";
import { parseConfig } from "../../lib/config/parse.ts";
import type { ServerConfig } from "../../lib/config/settings.ts";
import { connect, exchange, readResponses, writeAll } from "../_helpers/http.ts";
import { makeSite, type TestSite } from "../_helpers/site.ts";
import { quietTest } from "../_helpers/quiet.ts";
import { waitFor } from "../_helpers/wait.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withServer(
  args: string[],
  fn: (server: Server, lines: string[], site: TestSite) => Promise<void>,
): Promise<void> {
  const site = await makeSite();
  const result = parseConfig({
    args: ["--root", site.root, "--port", "0", ...args],
    env: () => undefined,
  });
  if (result.kind !== "run") throw new Error(`bad test config: ${JSON.stringify(result)}`);
  const lines: string[] = [];
  const server = new Server(result.config as ServerConfig, (line) => lines.push(line));
  await server.start();
  try {
    await fn(server, lines, site);
  } finally {
    await server.shutdown();
    await site.remove();
  }
}

/** Makes every worker look busy with no progress, as a CPU-bound handler would. */
async function stallAll(server: Server, stallMs: number): Promise<() => void> {
  for (const worker of server.pool.workers) server.pool.claim(worker);
  await sleep(stallMs * 3);
  return () => {
    for (const worker of server.pool.workers) server.pool.release(worker);
  };
}

Deno.test("server queues requests while every worker is stalled and serves them once one recovers", async () => {
  await withServer(["--workers", "2", "--stall-timeout", "20", "--queue", "10"], async (server) => {
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
  });
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

// The worker's crash prints its stack trace: run apart, shown only if the test fails.
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
        await waitFor(() => worker.inFlight > 0, {
          timeoutMs: 5000,
          what: "the worker to hold it",
        });
        worker.channel.send({ kind: 200, flags: 0, stream: 0, arg: 0 });
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
