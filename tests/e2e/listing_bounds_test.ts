/**
 * @module
 * Integration tests of issue 16 point 5 over real sockets: `--list` on a folder of 100,000
 * files. Eight clients looping over its listing must leave a small file answered promptly, and
 * eight clients that ask for it and never read must not grow the server's memory without
 * bound. Every load loop is bounded in time and count; memory is read from /proc (Linux).
 */
import assert from "node:assert/strict";
import { connect, residentMb, writeAll } from "../_helpers/http.ts";
import { TestServer } from "../_helpers/server.ts";

/** The folder size of the measurement. */
const FILES = 100_000;
/** Clients looping over the listing at once. */
const LISTERS = 8;
/** How long the listers loop, and how many listings each makes at most. */
const LOAD_MS = 8_000;
const MAX_LISTINGS_EACH = 2_000;
/** Pause between two requests of the small file, so it samples the whole window. */
const PROBE_GAP_MS = 10;
/**
 * The bound asserted on the small file's p99 while the listers run. The target is 100 ms (see
 * the issue); this machine is shared and noisy, so the test allows five times it. Before the
 * fix it was 7-28 s.
 */
const P99_BOUND_MS = 500;
/** Requests pipelined on each connection that never reads. */
const UNREAD_REQUESTS = 10;
/**
 * Growth of the server's resident memory allowed, from its start to the peak with every unread
 * connection stalled (before the fix: 130 → 712 MiB). What grows is each worker's listing of
 * the folder (100,000 entries: ~50 MiB of RSS each, measured, with the garbage of reading it)
 * and its rendered pages (at most 8 MiB); each stalled response holds at most its window
 * (256 KiB) and one piece of a page. Measured: 97 → 235 MiB.
 */
const RSS_GROWTH_BOUND_MB = 200;

const linux = Deno.build.os === "linux";

/** Writes the folder's empty files, a few hundred at a time. */
async function makeBigFolder(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "heiretsu-big-listing-" });
  await Deno.mkdir(`${root}/dir`);
  await Deno.writeTextFile(`${root}/small.txt`, "small file\n");
  for (let i = 0; i < FILES; i += 500) {
    await Promise.all(
      Array.from(
        { length: 500 },
        (_, j) => Deno.writeFile(`${root}/dir/file-${i + j}.txt`, new Uint8Array()),
      ),
    );
  }
  return root;
}

/** Loops over `path` until the deadline or `max` responses, reading each whole. */
async function loop(url: string, until: { deadline: number; max: number }): Promise<number> {
  let done = 0;
  while (performance.now() < until.deadline && done < until.max) {
    const response = await fetch(url);
    await response.arrayBuffer();
    assert.equal(response.status, 200);
    done++;
  }
  return done;
}

/** Times GETs of `url` until the deadline; returns the latencies in ms, sorted. */
async function probe(url: string, deadline: number): Promise<number[]> {
  const latencies: number[] = [];
  while (performance.now() < deadline) {
    const started = performance.now();
    const response = await fetch(url);
    await response.arrayBuffer();
    latencies.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, PROBE_GAP_MS));
  }
  return latencies.sort((a, b) => a - b);
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

const root = linux ? await makeBigFolder() : null;
globalThis.addEventListener("unload", () => {
  if (root !== null) Deno.removeSync(root, { recursive: true });
});

Deno.test({
  name:
    "--list of 100,000 files: a small file's p99 stays bounded while 8 clients loop over the listing",
  // Reason: the folder is made only where the memory test can run too (Linux, /proc).
  ignore: !linux,
  fn: async () => {
    const server = await TestServer.start(["--list", "--root", root!]);
    try {
      const deadline = performance.now() + LOAD_MS;
      const until = { deadline, max: MAX_LISTINGS_EACH };
      const [latencies, ...listings] = await Promise.all([
        probe(`${server.url}/small.txt`, deadline),
        ...Array.from({ length: LISTERS }, () => loop(`${server.url}/dir/`, until)),
      ]);
      const p50 = quantile(latencies, 0.5);
      const p99 = quantile(latencies, 0.99);
      const total = listings.reduce((sum, n) => sum + n, 0);
      console.log(
        `small file while listing: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, ` +
          `${latencies.length} probes, ${total} listings in ${LOAD_MS / 1000} s`,
      );
      assert.ok(total >= LISTERS, `${total} listings`);
      assert.ok(p99 < P99_BOUND_MS, `p99 ${p99.toFixed(1)} ms`);
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "--list of 100,000 files: 8 clients that never read do not grow RSS past a bound",
  // Reason: VmRSS comes from /proc/PID/status (Linux only).
  ignore: !linux,
  fn: async () => {
    const server = await TestServer.start(["--list", "--root", root!]);
    const conns: Deno.TcpConn[] = [];
    const fresh = await residentMb(server.pid);
    try {
      // Both workers read the folder and render a page first: that memory is the cache's.
      await Promise.all(Array.from({ length: 4 }, () =>
        loop(`${server.url}/dir/`, {
          deadline: performance.now() + 60_000,
          max: 2,
        })));
      const before = await residentMb(server.pid);
      const requests = Array.from(
        { length: UNREAD_REQUESTS },
        (_, i) => `GET /dir/?page=${i + 1} HTTP/1.1\r\nHost: t\r\n\r\n`,
      ).join("");
      for (let i = 0; i < LISTERS; i++) {
        const conn = await connect(server.port);
        conns.push(conn);
        await writeAll(conn, new TextEncoder().encode(requests));
      }
      // Long enough for every response to fill its window and the socket buffers.
      let peak = before;
      for (let i = 0; i < 20; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        peak = Math.max(peak, await residentMb(server.pid));
      }
      const figures = `RSS at start ${fresh.toFixed(0)} MiB, listed ${before.toFixed(0)} MiB, ` +
        `${LISTERS} unread connections ${peak.toFixed(0)} MiB`;
      console.log(figures);
      assert.ok(peak - fresh < RSS_GROWTH_BOUND_MB, figures);
      // Still serving others meanwhile.
      const response = await fetch(`${server.url}/small.txt`);
      assert.equal(await response.text(), "small file\n");
    } finally {
      for (const conn of conns) conn.close();
      await server.stop();
    }
  },
});
