import assert from "node:assert/strict";
import { createResponseScan, type ResponseScan, scanResponse } from "../../bench/response_scan.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

const OK = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
const NOT_FOUND = "HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\n\r\nno\n";
const NO_CONTENT = "HTTP/1.1 204 No Content\r\ndate: x\r\n\r\n";

/** Feeds `chunks` in order; returns the statuses of completed responses. */
function feed(scan: ResponseScan, chunks: Uint8Array[]): number[] {
  const statuses: number[] = [];
  for (const chunk of chunks) {
    let rest = chunk;
    for (;;) {
      const used = scanResponse(scan, rest);
      if (used < 0) break;
      statuses.push(scan.status);
      rest = rest.subarray(used);
      if (rest.length === 0) break;
    }
  }
  return statuses;
}

function byteByByte(text: string): Uint8Array[] {
  return Array.from(bytes(text), (byte) => Uint8Array.of(byte));
}

Deno.test("scanResponse() ends a whole response at its last body byte", () => {
  const scan = createResponseScan();
  assert.equal(scanResponse(scan, bytes(OK)), OK.length);
  assert.equal(scan.status, 200);
  assert.equal(scan.phase, "head");
});

Deno.test("scanResponse() finds responses fed byte by byte", () => {
  const scan = createResponseScan();
  assert.deepEqual(feed(scan, byteByByte(OK + NOT_FOUND)), [200, 404]);
});

Deno.test("scanResponse() finds every response whatever the split point", () => {
  const text = OK + NO_CONTENT + NOT_FOUND;
  for (let split = 0; split <= text.length; split++) {
    const scan = createResponseScan();
    const chunks = [bytes(text.slice(0, split)), bytes(text.slice(split))];
    assert.deepEqual(feed(scan, chunks), [200, 204, 404], `split at ${split}`);
  }
});

Deno.test("scanResponse() returns the length used when trailing bytes follow", () => {
  const scan = createResponseScan();
  assert.equal(scanResponse(scan, bytes(OK + "HTTP/1.1")), OK.length);
  assert.equal(scanResponse(scan, bytes("HTTP/1.1")), -1);
  assert.equal(scan.phase, "head");
});

Deno.test("scanResponse() returns -1 until the body is complete", () => {
  const scan = createResponseScan();
  assert.equal(scanResponse(scan, bytes(OK.slice(0, -2))), -1);
  assert.equal(scan.phase, "body");
  assert.equal(scan.bodyRemaining, 2);
  assert.equal(scanResponse(scan, bytes("lo")), 2);
});

Deno.test("scanResponse() reads header names in any case and skips spaces before the value", () => {
  const scan = createResponseScan();
  const text = "HTTP/1.1 200 OK\r\nCONTENT-LENGTH:\t  2\r\n\r\nhi";
  assert.equal(scanResponse(scan, bytes(text)), text.length);
});

Deno.test("scanResponse() expects no body after 204 and 304", () => {
  const scan = createResponseScan();
  const text = NO_CONTENT + "HTTP/1.1 304 Not Modified\r\n\r\n";
  assert.deepEqual(feed(scan, [bytes(text)]), [204, 304]);
});

Deno.test("scanResponse() rejects a body without Content-Length", () => {
  const scan = createResponseScan();
  assert.throws(
    () => scanResponse(scan, bytes("HTTP/1.1 200 OK\r\n\r\nhi")),
    /without Content-Length/,
  );
});

Deno.test("scanResponse() rejects Transfer-Encoding framing", () => {
  const scan = createResponseScan();
  const text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n";
  assert.throws(() => scanResponse(scan, bytes(text)), /Transfer-Encoding/);
});

Deno.test("scanResponse() rejects a malformed status line", () => {
  assert.throws(
    () => scanResponse(createResponseScan(), bytes("HTTP/2 200 OK\r\n\r\n")),
    /status line/,
  );
  assert.throws(
    () => scanResponse(createResponseScan(), bytes("HTTP/1.1 2x0 OK\r\n\r\n")),
    /status line/,
  );
  assert.throws(
    () => scanResponse(createResponseScan(), bytes("HTTP/1.1 2000 OK\r\n\r\n")),
    /status line/,
  );
  assert.throws(
    () => scanResponse(createResponseScan(), bytes("HTTP/1.1 099 OK\r\n\r\n")),
    /status line/,
  );
});

Deno.test("scanResponse() rejects a head larger than its buffer", () => {
  const scan = createResponseScan(32);
  const text = "HTTP/1.1 200 OK\r\nX-Long: " + "a".repeat(40) + "\r\n\r\n";
  assert.throws(() => scanResponse(scan, bytes(text)), /over 32 bytes/);
});
