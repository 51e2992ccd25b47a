/**
 * The server under attack, over real loopback sockets: slowloris connections, clients that hang
 * up mid-download, and request-smuggling shapes. Every loop here is bounded in time.
 */
import assert from "node:assert/strict";
import { connect, exchange, timedGet, writeAll } from "../_helpers/http.ts";
import type { TestServer } from "../_helpers/server.ts";
import { withSiteServer } from "../_helpers/site.ts";
import { type Loris, openLorises, releaseLorises, trickle } from "../_helpers/loris.ts";
import { openFds, openFileLimit, settledFds } from "../_helpers/fds.ts";
import { NO_PROC } from "../_helpers/proc.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const BRIDGE_APP = new URL("../fixtures/bridge_app.ts", import.meta.url).pathname;

const LORIS_COUNT = 1000;
const LORIS_HOLD_MS = 10_000;
const HEADER_TIMEOUT_S = 3;
/** Room above the header timeout for the server's sweep tick (≤ 250 ms) and a busy CI machine. */
const CUT_MARGIN_MS = 4000;

/** Fails early, and says why, when this machine cannot hold both ends of 1,000 sockets. */
async function assertRoomForSockets(server: TestServer, sockets: number): Promise<void> {
  for (const [who, pid] of [["test process", Deno.pid], ["server", server.pid]] as const) {
    const limit = await openFileLimit(pid);
    assert.ok(
      limit === null || limit >= sockets + 100,
      `the ${who} may open ${limit} files, too few for ${sockets} sockets: raise ulimit -Hn`,
    );
  }
}

Deno.test({
  name:
    "server keeps 50 fast requests quick while 1,000 slowloris connections trickle heads, and cuts every one at --header-timeout",
  ignore: NO_PROC,
}, async () => {
  const args = ["--header-timeout", String(HEADER_TIMEOUT_S), "--quiet"];
  await withSiteServer({ args }, async (server) => {
    await assertRoomForSockets(server, LORIS_COUNT + 50);
    const opening = performance.now();
    const lorises = await openLorises(server.port, LORIS_COUNT);
    console.log(
      `opened ${LORIS_COUNT} slowloris connections in ${
        (performance.now() - opening).toFixed(0)
      } ms`,
    );
    const trickling = trickle(lorises, { everyMs: 2000, untilMs: LORIS_HOLD_MS });
    try {
      let slowest = 0;
      for (let i = 0; i < 50; i++) {
        const { response, ms } = await timedGet(server.port, "/hello.txt");
        assert.equal(response.status, 200);
        assert.equal(decoder.decode(response.body), "hello, world\n");
        assert.ok(ms < LORIS_HOLD_MS / 4, `fast request ${i} took ${ms.toFixed(0)} ms`);
        slowest = Math.max(slowest, ms);
      }
      console.log(`slowest of 50 fast requests: ${slowest.toFixed(1)} ms`);
      const cut = lorises.filter((l) => l.closedAt !== undefined).length;
      assert.equal(cut, 0, `${cut} slowloris connections were cut before the fast requests ended`);
    } finally {
      await releaseLorises(lorises, HEADER_TIMEOUT_S * 1000 + CUT_MARGIN_MS);
      await trickling;
    }
    assertCutByHeaderTimeout(lorises);
  });
});

/** Each connection was closed by the server, not before the header timeout and not long after. */
function assertCutByHeaderTimeout(lorises: Loris[]): void {
  const timeoutMs = HEADER_TIMEOUT_S * 1000;
  let answered = 0;
  let shortest = Infinity;
  let longest = 0;
  for (const [i, loris] of lorises.entries()) {
    assert.ok(loris.closedAt !== undefined, `slowloris ${i} still open after the margin`);
    const heldMs = loris.closedAt - loris.sentAt;
    // The server arms the timer when the first bytes arrive, a little after they were sent.
    assert.ok(heldMs >= timeoutMs - 100, `slowloris ${i} cut after only ${heldMs.toFixed(0)} ms`);
    assert.ok(heldMs <= timeoutMs + CUT_MARGIN_MS, `slowloris ${i} cut after ${heldMs} ms`);
    // A trickled byte arrived before the cut: progress on a head does not extend its deadline.
    assert.ok(loris.trickled >= 1, `slowloris ${i} was cut before it trickled a byte`);
    const reply = decoder.decode(loris.reply);
    assert.ok(reply === "" || reply.startsWith("HTTP/1.1 408 "), `slowloris ${i} got ${reply}`);
    if (reply !== "") answered++;
    shortest = Math.min(shortest, heldMs);
    longest = Math.max(longest, heldMs);
  }
  console.log(
    `${answered} of ${lorises.length} slowloris connections got a 408; cut after ${
      shortest.toFixed(0)
    }-${longest.toFixed(0)} ms`,
  );
}

/** Connects, asks for /large.bin, reads a few KiB of it, then hangs up. */
async function abortedDownload(port: number): Promise<void> {
  using conn = await connect(port);
  await writeAll(conn, encoder.encode("GET /large.bin HTTP/1.1\r\nHost: t\r\n\r\n"));
  const chunk = new Uint8Array(4096);
  let received = 0;
  while (received < 8192) {
    const n = await conn.read(chunk);
    assert.ok(n !== null, "server closed before the download was aborted");
    received += n;
  }
}

/** The mix: 4 in 10 aborted downloads, then 404, 400, 405, and three normal files. */
async function mixedRequest(port: number, i: number): Promise<void> {
  const kind = i % 10;
  if (kind < 4) return abortedDownload(port);
  const [request, status] = MIXED[kind - 4];
  const responses = await exchange(port, request, { timeoutMs: 10_000 });
  assert.deepEqual(responses.map((r) => r.status), [status], `request ${i}: ${request}`);
}

const MIXED: [request: string, status: number][] = [
  ["GET /missing.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 404],
  ["GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
  ["DELETE /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 405],
  ["GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 200],
  ["GET /docs/ HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 200],
  ["GET /large.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-99\r\nConnection: close\r\n\r\n", 206],
];

/** Runs `total` mixed requests, `lanes` at a time, and returns the most fds seen meanwhile. */
async function runMix(server: TestServer, options: { total: number; lanes: number }) {
  let next = 0;
  let peak = 0;
  const lane = async () => {
    while (next < options.total) {
      const i = next++;
      await mixedRequest(server.port, i);
      if (i % 250 === 0) peak = Math.max(peak, await openFds(server.pid));
    }
  };
  await Promise.all(Array.from({ length: options.lanes }, lane));
  return peak;
}

Deno.test({
  name:
    "server releases file handles of clients that disconnect mid-download, after 5,000 mixed requests",
  ignore: NO_PROC,
  fn: async () => {
    const args = ["--quiet", "--workers", "2"];
    await withSiteServer({ args, largeBytes: 16 * 1024 * 1024 }, async (server) => {
      // Warm-up: workers, file cache, listing and error pages have done their first-time work.
      await runMix(server, { total: 200, lanes: 10 });
      const before = await settledFds(server.pid, { timeoutMs: 3000 });
      const started = performance.now();
      const peak = await runMix(server, { total: 5000, lanes: 20 });
      // No tolerance: the server holds no descriptor beyond a request's life (measured equal
      // run after run), and settledFds gives closes still in flight 5 s to land.
      const after = await settledFds(server.pid, { timeoutMs: 5000, atMost: before });
      console.log(
        `fds: ${before} before, ${peak} at the peak, ${after} after 5,000 requests in ${
          (performance.now() - started).toFixed(0)
        } ms`,
      );
      assert.equal(after, before, "open file descriptors after the mix differ from before");
    });
  },
});

const SMUGGLE = "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n";

/** Shapes not already in limits_test.ts; each is followed by a pipelined request to smuggle. */
const SMUGGLING: [name: string, request: string][] = [
  [
    "Transfer-Encoding before Content-Length",
    "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
  ],
  [
    "two differing Content-Length fields",
    "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 0\r\n\r\nhello",
  ],
  [
    "Content-Length list of differing values",
    "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 0\r\n\r\nhello",
  ],
  ["signed Content-Length", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\nhello"],
  [
    "chunked followed by another coding",
    "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
  ],
  [
    "chunked then identity in a second field",
    "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n",
  ],
  [
    "chunked applied twice",
    "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
  ],
  [
    "Transfer-Encoding in HTTP/1.0",
    "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  ],
  [
    "obs-fold continuing Transfer-Encoding",
    "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
  ],
  [
    "obs-fold continuing Content-Length",
    "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n 0\r\n\r\nhello",
  ],
  ["bare CR in the request line", "GET /hello.txt\rX HTTP/1.1\r\nHost: t\r\n\r\n"],
  [
    "bare CR before Transfer-Encoding",
    "POST /echo HTTP/1.1\r\nHost: t\r\nX: y\rTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  ],
];

/** Chunked bodies the handler must read to find the fault. */
const BAD_CHUNKS: [name: string, body: string][] = [
  ["a 17-digit chunk size", "10000000000000005\r\nhello\r\n0\r\n\r\n"],
  ["a 16-digit chunk size past 2^53", "FFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n"],
  ["a negative chunk size", "-5\r\nhello\r\n0\r\n\r\n"],
  ["a 0x-prefixed chunk size", "0x5\r\nhello\r\n0\r\n\r\n"],
  ["bare CR in a chunk-size line", "5\r;a=b\r\nhello\r\n0\r\n\r\n"],
  ["a chunk longer than its size", "3\r\nhello\r\n0\r\n\r\n"],
];

/** Sends `request` + a pipelined GET; exactly one refusal must come back, then the close. */
async function assertRefused(server: TestServer, name: string, request: string): Promise<void> {
  const responses = await exchange(server.port, request + SMUGGLE, { timeoutMs: 10_000 });
  const statuses = responses.map((r) => r.status);
  assert.equal(statuses.length, 1, `${name}: answered ${statuses.join(", ")}`);
  const [status] = statuses;
  assert.ok((status >= 400 && status < 500) || status === 501, `${name}: answered ${status}`);
  const { response } = await timedGet(server.port, "/hello.txt");
  assert.equal(response.status, 200, `after ${name}`);
}

Deno.test("server refuses request-smuggling heads with 4xx or 501, closes, and keeps serving", async () => {
  await withSiteServer({ args: ["--app", BRIDGE_APP] }, async (server) => {
    for (const [name, request] of SMUGGLING) await assertRefused(server, name, request);
  });
});

Deno.test("server refuses malformed chunk framing with 4xx, closes without reading on, and keeps serving", async () => {
  // The app reads the body (400); the static files route answers first, then drains it (405).
  for (const args of [["--app", BRIDGE_APP], []]) {
    await withSiteServer({ args }, async (server) => {
      for (const [name, body] of BAD_CHUNKS) {
        const head = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
        await assertRefused(server, `${name} (${args.join(" ") || "files"})`, head + body);
      }
    });
  }
});
