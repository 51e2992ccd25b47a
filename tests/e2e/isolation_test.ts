/**
 * The product's promise, tested: one slow client never holds up the others. Each check compares
 * fast requests' latency with the slow operation's own duration, with wide margins, so noisy
 * machines cannot make them flake.
 */
import assert from "node:assert/strict";
import { TestServer } from "../_helpers/server.ts";
import { connect, exchange, residentMb, timedGet, writeAll } from "../_helpers/http.ts";
import { makeSite } from "../_helpers/site.ts";
import { Server } from "../../lib/supervisor/server.ts";
import { parseConfig } from "../../lib/config/parse.ts";
import { NO_PROC } from "../_helpers/proc.ts";
import { quietTest } from "../_helpers/quiet.ts";
import { waitFor } from "../_helpers/wait.ts";
import { sendUnknownRecord } from "../_helpers/in_process.ts";

const encoder = new TextEncoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("isolation: a head trickled over 3 s does not delay 50 fast requests", async () => {
  const site = await makeSite();
  const server = await TestServer.start(["--root", site.root, "--quiet"]);
  try {
    const head = "GET /hello.txt HTTP/1.1\r\nHost: t\r\nX-Padding: " + "p".repeat(40) +
      "\r\nConnection: close\r\n\r\n";
    const trickleMs = 3000;
    const trickle = (async () => {
      const conn = await connect(server.port);
      const started = performance.now();
      for (let i = 0; i < head.length; i++) {
        await writeAll(conn, encoder.encode(head[i]));
        await sleep(trickleMs / head.length);
      }
      const [response] = await (await import("../_helpers/http.ts")).readResponses(conn);
      conn.close();
      return { status: response.status, ms: performance.now() - started };
    })();
    await sleep(100);
    const fast: number[] = [];
    for (let i = 0; i < 50; i++) {
      const { response, ms } = await timedGet(server.port, "/hello.txt");
      assert.equal(response.status, 200);
      fast.push(ms);
    }
    const slow = await trickle;
    assert.equal(slow.status, 200);
    assert.ok(slow.ms >= trickleMs * 0.9, `trickle took ${slow.ms} ms`);
    const worst = Math.max(...fast);
    assert.ok(
      worst < slow.ms / 4,
      `slowest fast request ${worst.toFixed(0)} ms vs trickle ${slow.ms.toFixed(0)} ms`,
    );
  } finally {
    await server.stop();
    await site.remove();
  }
});

Deno.test({
  name: "isolation: 20 slow readers of a large file leave fast requests fast and memory bounded",
  ignore: NO_PROC,
}, async () => {
  const site = await makeSite({ largeBytes: 64 * 1024 * 1024 });
  const server = await TestServer.start(["--root", site.root, "--quiet"]);
  const readers: Deno.TcpConn[] = [];
  let stop = false;
  try {
    const readMs = 3000;
    const slowReads = Array.from({ length: 20 }, async () => {
      const conn = await connect(server.port);
      readers.push(conn);
      await writeAll(conn, encoder.encode("GET /large.bin HTTP/1.1\r\nHost: t\r\n\r\n"));
      const chunk = new Uint8Array(16 * 1024);
      let received = 0;
      const started = performance.now();
      while (!stop && performance.now() - started < readMs) {
        const n = await conn.read(chunk);
        if (n === null) break;
        received += n;
        await sleep(20);
      }
      return { received, ms: performance.now() - started };
    });
    await sleep(300);
    const fast: number[] = [];
    let peakMb = 0;
    while (fast.length < 50) {
      const { response, ms } = await timedGet(server.port, "/hello.txt");
      assert.equal(response.status, 200);
      fast.push(ms);
      peakMb = Math.max(peakMb, await residentMb(server.pid));
      await sleep(20);
    }
    const slow = await Promise.all(slowReads);
    peakMb = Math.max(peakMb, await residentMb(server.pid));
    for (const reader of slow) assert.ok(reader.received > 0 && reader.received < 64 * 1024 * 1024);
    const slowMs = Math.min(...slow.map((s) => s.ms));
    const worst = Math.max(...fast);
    assert.ok(
      worst < slowMs / 4,
      `slowest fast request ${worst.toFixed(0)} ms vs slow readers ${slowMs.toFixed(0)} ms`,
    );
    assert.ok(peakMb < 200, `server resident memory peaked at ${peakMb.toFixed(0)} MB`);
  } finally {
    stop = true;
    for (const conn of readers) conn.close();
    await server.stop();
    await site.remove();
  }
});

// Deno prints the worker's uncaught error: run apart, shown only if the test fails.
quietTest(
  import.meta,
  "isolation: a worker that crashes is replaced and the next requests succeed",
  async () => {
    const site = await makeSite();
    const result = parseConfig({
      args: ["--root", site.root, "--port", "0", "--quiet", "--workers", "2"],
      env: () => undefined,
    });
    assert.equal(result.kind, "run");
    const lines: string[] = [];
    const server = new Server(
      result.kind === "run" ? result.config : ({} as never),
      (line) => lines.push(line),
    );
    await server.start();
    try {
      const port = server.addr.port;
      const victim = server.pool.workers[0];
      // A record of an unknown kind is a protocol violation: the worker throws and dies.
      sendUnknownRecord(server, victim);
      const crashed = await waitFor(() => lines.find((l) => /^Worker 1: crashed/.test(l)), {
        timeoutMs: 10_000,
        what: "the line 'Worker 1: crashed'",
      });
      assert.match(crashed, /^Worker 1: crashed \(.*protocol violation/, lines.join("\n"));
      for (let i = 0; i < 20; i++) {
        const [response] = await exchange(
          port,
          "GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        );
        assert.equal(response.status, 200);
      }
      await waitFor(() => server.pool.workers[0].state === "ready", {
        timeoutMs: 10_000,
        what: "the replacement worker to be ready",
      });
      assert.ok(lines.includes("Worker 1: restarted"), lines.join("\n"));
      assert.notEqual(server.pool.workers[0], victim);
    } finally {
      await server.shutdown();
      await site.remove();
    }
  },
);
