/**
 * @module
 * Tests for lib/worker/access_log.ts: the access-log line format and the escaping that keeps one
 * request on one line.
 */
import assert from "node:assert/strict";
import { accessLine, type AccessRecord } from "../../lib/worker/access_log.ts";

/** Sun, 06 Nov 1994 08:49:37 GMT, the RFC 9110 example date. */
const NOW = new Date(Date.UTC(1994, 10, 6, 8, 49, 37));

function record(overrides: Partial<AccessRecord> = {}): AccessRecord {
  return {
    remote: "127.0.0.1",
    requestLine: "GET /index.html HTTP/1.1",
    status: 200,
    bytes: 512,
    startedAt: performance.now(),
    worker: 3,
    ...overrides,
  };
}

/** Splits a line around its duration field, which depends on the clock. */
function withoutDuration(line: string): { rest: string; ms: string } {
  const match = /^(.*) (\d+\.\d)ms (worker=\d+)$/.exec(line);
  assert.ok(match !== null, line);
  return { rest: `${match[1]} ${match[3]}`, ms: match[2] };
}

Deno.test("accessLine() formats remote, UTC time, request, status, bytes, duration and worker", () => {
  const line = accessLine(record(), { now: NOW });
  assert.equal(
    withoutDuration(line).rest,
    '127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] "GET /index.html HTTP/1.1" 200 512 worker=3',
  );
});

Deno.test("accessLine() reports the time since startedAt in ms with one decimal", () => {
  const line = accessLine(record({ startedAt: performance.now() - 250 }), { now: NOW });
  const ms = Number(withoutDuration(line).ms);
  assert.ok(ms >= 250 && ms < 10_000, line);
});

Deno.test("accessLine() pads day, hours, minutes and seconds with zeros", () => {
  const now = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
  const line = accessLine(record({ requestLine: "-", status: 400, bytes: 0 }), { now });
  assert.equal(
    withoutDuration(line).rest,
    '127.0.0.1 - - [02/Jan/2026:03:04:05 +0000] "-" 400 0 worker=3',
  );
});

Deno.test("accessLine() escapes quotes and backslashes in the request line", () => {
  const line = accessLine(record({ requestLine: 'GET /a"b\\c HTTP/1.1' }), { now: NOW });
  assert.ok(line.includes('"GET /a\\x22b\\x5cc HTTP/1.1"'), line);
});

Deno.test("accessLine() escapes control characters so a request stays on one line", () => {
  const requestLine = 'GET /\r\n1.2.3.4 - - [x] "GET / HTTP/1.1" 200\t\x00\x1b\x7f HTTP/1.1';
  const line = accessLine(record({ requestLine }), { now: NOW });
  assert.ok([...line].every((c) => c >= " " && c !== "\x7f"), line);
  assert.ok(
    line.includes(
      '"GET /\\x0d\\x0a1.2.3.4 - - [x] \\x22GET / HTTP/1.1\\x22 200\\x09\\x00\\x1b\\x7f HTTP/1.1"',
    ),
    line,
  );
});

Deno.test("accessLine() keeps printable non-ASCII characters as they are", () => {
  const line = accessLine(record({ requestLine: "GET /caf\u00e9/\u{1f600} HTTP/1.1" }), {
    now: NOW,
  });
  assert.ok(line.includes('"GET /caf\u00e9/\u{1f600} HTTP/1.1"'), line);
});

Deno.test("accessLine() writes the common, combined and json formats", () => {
  const entry = record({ referer: "https://a.example/", userAgent: 'curl "8"' });
  const common = accessLine(entry, { format: "common", now: NOW });
  assert.doesNotMatch(common, /worker=|ms$/);
  const combined = accessLine(entry, { format: "combined", now: NOW });
  assert.equal(combined, `${common} "https://a.example/" "curl \\x228\\x22"`);
  const json = JSON.parse(accessLine(entry, { format: "json", now: NOW }));
  assert.equal(json.time, NOW.toISOString());
  assert.equal(json.requestLine, entry.requestLine);
  assert.equal(json.status, entry.status);
  assert.equal(json.worker, entry.worker);
  assert.equal(json.userAgent, 'curl "8"');
  assert.equal(typeof json.durationMs, "number");
});
