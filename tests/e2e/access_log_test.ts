/**
 * @module
 * The access log over real sockets: body bytes only in common and combined, one line for every
 * request that reached a worker (aborted downloads and responses cut by the shutdown grace
 * period included), and JSON on every line under `--log-format json`.
 */
import assert from "node:assert/strict";
import { TestServer } from "../_helpers/server.ts";
import { connect, exchange, writeAll } from "../_helpers/http.ts";
import { makeSite } from "../_helpers/site.ts";

const encoder = new TextEncoder();

Deno.test("common log counts body bytes only, and - for a HEAD or a 304", async () => {
  const site = await makeSite();
  const server = await TestServer.start(["--root", site.root, "--log-format", "common"]);
  try {
    const close = "Host: t\r\nConnection: close\r\n\r\n";
    const [get] = await exchange(server.port, `GET /hello.txt HTTP/1.1\r\n${close}`);
    const etag = get.headers.get("etag")!;
    await exchange(server.port, `HEAD /hello.txt HTTP/1.1\r\n${close}`, { headRequests: [0] });
    await exchange(server.port, `GET /hello.txt?c HTTP/1.1\r\nIf-None-Match: ${etag}\r\n${close}`);
    assert.match(await server.waitForLine(/"GET \/hello.txt HTTP/), /" 200 13$/);
    assert.match(await server.waitForLine(/"HEAD \/hello.txt HTTP/), /" 200 -$/);
    assert.match(await server.waitForLine(/"GET \/hello.txt\?c HTTP/), /" 304 -$/);
  } finally {
    await server.stop();
    await site.remove();
  }
});

Deno.test("an aborted download gets one line with the bytes sent and its mark", async () => {
  const site = await makeSite({ largeBytes: 32 * 1024 * 1024 });
  const server = await TestServer.start(["--root", site.root]);
  try {
    const conn = await connect(server.port);
    await writeAll(conn, encoder.encode("GET /large.bin HTTP/1.1\r\nHost: t\r\n\r\n"));
    const chunk = new Uint8Array(64 * 1024);
    let read = 0;
    while (read < 300 * 1024) read += (await conn.read(chunk)) ?? 0;
    conn.close();
    const line = await server.waitForLine(/"GET \/large.bin HTTP/);
    const match = / 200 (\d+) [\d.]+ms worker=\d+ aborted$/.exec(line);
    assert.ok(match !== null, line);
    const bytes = Number(match[1]);
    assert.ok(bytes > 0 && bytes < 32 * 1024 * 1024, line);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(server.lines.filter((l) => l.includes("/large.bin")).length, 1);
  } finally {
    await server.stop();
    await site.remove();
  }
});

Deno.test("a response cut by the shutdown grace period is logged, as JSON like every line", async () => {
  const site = await makeSite({ largeBytes: 32 * 1024 * 1024 });
  const server = await TestServer.start([
    "--root",
    site.root,
    "--log-format",
    "json",
    "--grace",
    "0.3",
    "--send-timeout",
    "60",
  ]);
  let conn: Deno.TcpConn | null = null;
  try {
    conn = await connect(server.port);
    await writeAll(conn, encoder.encode("GET /large.bin?x=1 HTTP/1.1\r\nHost: t\r\n\r\n"));
    await conn.read(new Uint8Array(1024)); // the response has begun; then nothing is read
    await new Promise((resolve) => setTimeout(resolve, 100));
    const status = await server.stop();
    assert.equal(status.code, 0);
    const out = server.lines.filter((line) => line.trim() !== "");
    for (const line of out) assert.doesNotThrow(() => JSON.parse(line), line);
    const lines = out.map((line) => JSON.parse(line));
    const entry = lines.find((l) => l.type === "access");
    assert.ok(entry, out.join("\n"));
    assert.deepEqual(
      [entry.method, entry.path, entry.query, entry.protocol, entry.status, entry.ended],
      ["GET", "/large.bin", "x=1", "HTTP/1.1", 200, "aborted"],
    );
    assert.equal(entry.referer, null);
    assert.ok(entry.bytes > 0 && entry.bytes < 32 * 1024 * 1024);
    const messages = lines.filter((l) => l.type === "lifecycle").map((l) => l.message);
    assert.ok(messages.some((m) => /^Server: listening on /.test(m)), messages.join("\n"));
    assert.ok(messages.includes("Server: stopped"), messages.join("\n"));
  } finally {
    conn?.close();
    await site.remove();
  }
});

Deno.test("a main-thread refusal is a JSON line under --log-format json", async () => {
  const server = await TestServer.start([
    "--log-format",
    "json",
    "--header-timeout",
    "0.3",
  ]);
  try {
    const conn = await connect(server.port);
    await writeAll(conn, encoder.encode("GET / HTTP/1.1\r\n"));
    const line = await server.waitForLine(/"type":"refusal"/);
    const refusal = JSON.parse(line);
    assert.deepEqual([refusal.status, refusal.remote], [408, "127.0.0.1"]);
    conn.close();
  } finally {
    await server.stop();
  }
});
