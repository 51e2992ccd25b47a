/**
 * Integration tests for bad input and the main thread's timeouts: every refusal has the right
 * status, and the server keeps serving afterwards.
 */
import assert from "node:assert/strict";
import { TestServer } from "../_helpers/server.ts";
import { connect, exchange, readResponses, timedGet, writeAll } from "../_helpers/http.ts";
import { makeSite, withSiteServer } from "../_helpers/site.ts";

const encoder = new TextEncoder();

const BAD_REQUESTS: [name: string, request: string, status: number][] = [
  ["garbage request line", "HELLO\r\n\r\n", 400],
  ["method with a slash", "GE/T / HTTP/1.1\r\nHost: t\r\n\r\n", 400],
  ["two spaces", "GET  / HTTP/1.1\r\nHost: t\r\n\r\n", 400],
  ["missing Host", "GET / HTTP/1.1\r\n\r\n", 400],
  ["two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
  ["space before colon", "GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400],
  ["obs-fold", "GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n", 400],
  ["bare CR", "GET / HTTP/1.1\r\nHost: t\rX: y\r\n\r\n", 400],
  ["NUL in a header", "GET / HTTP/1.1\r\nHost: t\r\nX: a\0b\r\n\r\n", 400],
  [
    "Content-Length with Transfer-Encoding",
    "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    400,
  ],
  ["Content-Length list", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3, 3\r\n\r\nabc", 400],
  ["request line too long", `GET /${"a".repeat(9000)} HTTP/1.1\r\nHost: t\r\n\r\n`, 414],
  [
    "header section too large",
    `GET / HTTP/1.1\r\nHost: t\r\nX: ${"a".repeat(40_000)}\r\n\r\n`,
    431,
  ],
  ["too many header fields", `GET / HTTP/1.1\r\nHost: t\r\n${"X: y\r\n".repeat(120)}\r\n`, 431],
  [
    "unknown transfer coding",
    "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    501,
  ],
  ["HTTP/2.0 request line", "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505],
];

Deno.test("server answers malformed requests with 400/414/431/501/505, closes, and keeps serving", async () => {
  await withSiteServer({ args: [] }, async (server) => {
    for (const [name, request, status] of BAD_REQUESTS) {
      const responses = await exchange(server.port, request);
      assert.equal(responses.length, 1, name);
      assert.equal(responses[0].status, status, name);
      assert.equal(responses[0].headers.get("connection"), "close", name);
      const { response } = await timedGet(server.port, "/hello.txt");
      assert.equal(response.status, 200, `after ${name}`);
    }
  });
});

Deno.test("server answers a request whose unread body is malformed, then closes the connection", async () => {
  await withSiteServer({ args: [] }, async (server) => {
    // The static route reads no body, so it answers first; draining then finds the bad chunk.
    const request = "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" +
      "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n";
    const responses = await exchange(server.port, request);
    assert.deepEqual(responses.map((r) => r.status), [405]);
  });
});

Deno.test("server answers 408 when a request head does not arrive within --header-timeout", async () => {
  await withSiteServer({ args: ["--header-timeout", "0.5"] }, async (server) => {
    const conn = await connect(server.port);
    const started = performance.now();
    await writeAll(conn, encoder.encode("GET / HTTP/1.1\r\nHost: t\r\n"));
    const responses = await readResponses(conn);
    conn.close();
    const ms = performance.now() - started;
    assert.deepEqual(responses.map((r) => r.status), [408]);
    assert.ok(ms >= 400 && ms < 5000, `408 after ${ms} ms`);
  });
});

Deno.test("server closes a silent new connection after --header-timeout without a response", async () => {
  await withSiteServer({ args: ["--header-timeout", "0.3"] }, async (server) => {
    const conn = await connect(server.port);
    const responses = await readResponses(conn);
    conn.close();
    assert.deepEqual(responses, []);
  });
});

Deno.test("server closes an idle keep-alive connection after --keepalive-timeout", async () => {
  await withSiteServer({ args: ["--keepalive-timeout", "0.3"] }, async (server) => {
    const conn = await connect(server.port);
    await writeAll(conn, encoder.encode("GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"));
    const started = performance.now();
    const responses = await readResponses(conn);
    conn.close();
    assert.deepEqual(responses.map((r) => r.status), [200]);
    const ms = performance.now() - started;
    assert.ok(ms >= 200 && ms < 5000, `closed after ${ms} ms`);
  });
});

Deno.test("server finishes an in-flight download on SIGTERM, then exits 0", async () => {
  const site = await makeSite({ largeBytes: 8 * 1024 * 1024 });
  const server = await TestServer.start(["--root", site.root, "--quiet", "--window", "65536"]);
  try {
    const conn = await connect(server.port);
    await writeAll(conn, encoder.encode("GET /large.bin HTTP/1.1\r\nHost: t\r\n\r\n"));
    const first = new Uint8Array(1024);
    assert.ok((await conn.read(first)) !== null);
    // An idle keep-alive connection (accepted, one response done) is closed at once.
    const idle = await connect(server.port);
    await writeAll(idle, encoder.encode("GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"));
    assert.deepEqual((await readResponses(idle, { responses: 1 })).map((r) => r.status), [200]);
    const stopping = server.stop();
    // Not read until the server counts it as in flight (read at once, it could be done first).
    await server.waitForLine(/^Server: draining \d+ connections/);
    // The slow download goes on after the signal and arrives whole.
    let received = 0;
    const chunk = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await conn.read(chunk);
      if (n === null) break;
      received += n;
    }
    conn.close();
    assert.ok(received > 8 * 1024 * 1024 - 1024, `received ${received}`);
    assert.equal(await idle.read(chunk), null);
    idle.close();
    const status = await stopping;
    assert.equal(status.code, 0);
  } finally {
    await site.remove();
  }
});

Deno.test("server cuts responses still running when --grace ends, and exits 0", async () => {
  const site = await makeSite({ largeBytes: 32 * 1024 * 1024 });
  const server = await TestServer.start([
    "--root",
    site.root,
    "--quiet",
    "--grace",
    "0.5",
    "--window",
    "65536",
  ]);
  try {
    const conn = await connect(server.port);
    await writeAll(conn, encoder.encode("GET /large.bin HTTP/1.1\r\nHost: t\r\n\r\n"));
    assert.ok((await conn.read(new Uint8Array(1024))) !== null);
    const started = performance.now();
    const status = await server.stop();
    assert.equal(status.code, 0);
    assert.ok(performance.now() - started < 5000);
    conn.close();
  } finally {
    await site.remove();
  }
});
