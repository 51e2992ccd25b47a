/**
 * @module
 * Tests for lib/handler/access_log.ts: the access-log line format and the escaping that keeps one
 * request on one line.
 */
import assert from "node:assert/strict";
import {
  accessLine,
  type AccessRecord,
  appFailureLine,
  failureLine,
  noticeLine,
} from "../../lib/handler/access_log.ts";

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

Deno.test("accessLine() escapes C1 controls and line separators, which some readers take as line ends", () => {
  const referer = "a\x85FORGED - - [x] \x9b2J \u2028 \u2029";
  const line = accessLine(record({ referer }), { now: NOW, format: "combined" });
  assert.equal(line.split(/[\n\r\x85\u2028\u2029]/).length, 1, line);
  assert.ok(line.includes("a\\x85FORGED - - [x] \\x9b2J \\u2028 \\u2029"), line);
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

Deno.test("accessLine() writes - for no body bytes in common and combined, 0 in heiretsu", () => {
  const entry = record({ requestLine: "HEAD / HTTP/1.1", bytes: 0, headBytes: 220 });
  assert.match(accessLine(entry, { format: "common", now: NOW }), /" 200 -$/);
  assert.match(accessLine(entry, { format: "combined", now: NOW }), /" 200 - "-" "-"$/);
  assert.match(withoutDuration(accessLine(entry, { now: NOW })).rest, /" 200 0 worker=3$/);
});

Deno.test("accessLine() marks a response whose connection closed first, per format", () => {
  const entry = record({ bytes: 4096, ended: "aborted" });
  assert.match(accessLine(entry, { format: "common", now: NOW }), /" 499 4096$/);
  assert.match(accessLine(entry, { format: "combined", now: NOW }), /" 499 4096 "-" "-"$/);
  assert.match(accessLine(entry, { now: NOW }), /" 200 4096 [\d.]+ms worker=3 aborted$/);
  const json = JSON.parse(accessLine(entry, { format: "json", now: NOW }));
  assert.deepEqual([json.status, json.bytes, json.ended], [200, 4096, "aborted"]);
  const failed = record({ ended: "failed" });
  assert.match(accessLine(failed, { format: "common", now: NOW }), /" 200 512$/);
  assert.match(accessLine(failed, { now: NOW }), / worker=3 failed$/);
});

Deno.test("accessLine() json splits the request line and writes null for what is absent", () => {
  const json = JSON.parse(
    accessLine(record({ requestLine: "GET /a/b?x=1&y HTTP/1.0", headBytes: 99 }), {
      format: "json",
      now: NOW,
    }),
  );
  assert.equal(json.method, "GET");
  assert.equal(json.path, "/a/b");
  assert.equal(json.query, "x=1&y");
  assert.equal(json.protocol, "HTTP/1.0");
  assert.equal(json.bytes, 512);
  assert.equal(json.headBytes, 99);
  assert.equal(json.ended, "complete");
  assert.equal(json.referer, null);
  assert.equal(json.userAgent, null);
  const bad = JSON.parse(accessLine(record({ requestLine: "-", status: 400 }), { format: "json" }));
  assert.deepEqual([bad.requestLine, bad.method, bad.path, bad.query, bad.protocol], [
    null,
    null,
    null,
    null,
    null,
  ]);
  const noQuery = JSON.parse(accessLine(record(), { format: "json" }));
  assert.equal(noQuery.query, null);
});

Deno.test("failureLine() names the worker, method and path, escaped, or is one json object", () => {
  const failure = {
    worker: 2,
    method: "POST",
    target: '/x"\r\ny?q=1',
    afterHead: false,
    error: "Error: kaboom\n    at handler (app.ts:1:1)",
  };
  const plain = failureLine(failure, "heiretsu");
  assert.equal(
    plain.split("\n")[0],
    'Worker 2: request failed ("POST /x\\x22\\x0d\\x0ay?q=1"): Error: kaboom',
  );
  const json = JSON.parse(failureLine(failure, "json"));
  assert.deepEqual([json.type, json.worker, json.method, json.path, json.query], [
    "error",
    2,
    "POST",
    '/x"\r\ny',
    "q=1",
  ]);
  assert.equal(json.error, failure.error);
  const unparsed = failureLine(
    { ...failure, method: null, target: null, afterHead: true },
    "common",
  );
  assert.match(unparsed, /^Worker 2: response failed after its head was sent \("-"\): /);
});

Deno.test("appFailureLine() names the worker and what failed, frames indented, or is one json error object", () => {
  const failure = {
    worker: 1,
    what: "uncaught error in the app",
    error: "Error: kaboom\n    at tick (app.ts:1:1)",
  };
  assert.deepEqual(appFailureLine(failure, "heiretsu").split("\n"), [
    "Worker 1: uncaught error in the app: Error: kaboom",
    "    at tick (app.ts:1:1)",
  ]);
  const line = appFailureLine(failure, "json");
  assert.ok(!line.includes("\n"), line);
  const json = JSON.parse(line);
  assert.deepEqual(
    [json.type, json.source, json.worker, json.method, json.path, json.message, json.error],
    ["error", "worker", 1, null, null, "uncaught error in the app", failure.error],
  );
});

Deno.test("noticeLine() names the worker, method and path, escaped, with the reason, or is one json info object", () => {
  const notice = { worker: 3, method: "GET", target: "/s\n?x=1", reason: "the stream did not end" };
  assert.equal(
    noticeLine(notice, "heiretsu"),
    'Worker 3: note ("GET /s\\x0a?x=1"): the stream did not end',
  );
  const json = JSON.parse(noticeLine(notice, "json"));
  assert.deepEqual([json.type, json.worker, json.method, json.path, json.query, json.message], [
    "info",
    3,
    "GET",
    "/s\n",
    "x=1",
    "the stream did not end",
  ]);
  assert.match(noticeLine({ ...notice, method: null, target: null }, "heiretsu"), /\("-"\)/);
});
