import assert from "node:assert/strict";
import { HttpError } from "../../lib/http/errors.ts";
import { bodyFraming, buildRequestHead } from "../../lib/http/head.ts";
import type { HttpVersion, RequestLine } from "../../lib/http/request_line.ts";

const GET11: RequestLine = { method: "GET", target: "/", version: "HTTP/1.1" };
const GET10: RequestLine = { ...GET11, version: "HTTP/1.0" };

function failure(action: () => unknown): [number, string] | null {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof HttpError);
    return [error.status, error.code];
  }
  return null;
}

Deno.test("buildRequestHead() copies the request line and keeps fields in order", () => {
  const headers: Array<[string, string]> = [["host", "a"], ["x", "1"], ["x", "2"]];
  assert.deepEqual(buildRequestHead(GET11, headers), {
    ...GET11,
    headers,
    framing: { kind: "none" },
    keepAlive: true,
    expectContinue: false,
  });
});

const PERSISTENCE: Array<[RequestLine, string | null, boolean]> = [
  [GET11, null, true],
  [GET11, "close", false],
  [GET11, "Upgrade, Close", false],
  [GET11, "keep-alive", true],
  [GET10, null, false],
  [GET10, "keep-alive", true],
  [GET10, "Keep-Alive, close", false],
];

for (const [line, connection, keepAlive] of PERSISTENCE) {
  Deno.test(`buildRequestHead() gives ${line.version} with Connection ${connection} keepAlive ${keepAlive}`, () => {
    const headers: Array<[string, string]> = [["host", "a"]];
    if (connection !== null) headers.push(["connection", connection]);
    assert.equal(buildRequestHead(line, headers).keepAlive, keepAlive);
  });
}

Deno.test("buildRequestHead() sees 100-continue on HTTP/1.1 only", () => {
  const headers: Array<[string, string]> = [["host", "a"], ["expect", "100-CONTINUE"]];
  assert.equal(buildRequestHead(GET11, headers).expectContinue, true);
  assert.equal(buildRequestHead(GET10, headers).expectContinue, false);
  assert.equal(buildRequestHead(GET11, [["host", "a"], ["expect", "x"]]).expectContinue, false);
});

Deno.test("buildRequestHead() requires exactly one Host on HTTP/1.1", () => {
  assert.deepEqual(failure(() => buildRequestHead(GET11, [])), [400, "missing-host"]);
  assert.deepEqual(
    failure(() => buildRequestHead(GET11, [["host", "a"], ["host", "b"]])),
    [400, "duplicate-host"],
  );
  assert.equal(failure(() => buildRequestHead(GET10, [])), null);
  assert.deepEqual(
    failure(() => buildRequestHead(GET10, [["host", "a"], ["host", "a"]])),
    [400, "duplicate-host"],
  );
});

Deno.test("buildRequestHead() rejects an empty Host with 400, in HTTP/1.1 and HTTP/1.0", () => {
  // Taken as given, "Host:" and "/admin/panel" made an app's URL "http:///admin/panel".
  assert.deepEqual(failure(() => buildRequestHead(GET11, [["host", ""]])), [400, "empty-host"]);
  assert.deepEqual(failure(() => buildRequestHead(GET10, [["host", ""]])), [400, "empty-host"]);
});

for (
  const host of [
    "example.com",
    "example.com:8080",
    "127.0.0.1:80",
    "[::1]:443",
    "xn--bcher-kva.example",
    ":8080",
    "a:",
    "[::1]",
    "[2001:db8::1]:",
    "%41b!$&'()*+,;=-._~",
  ]
) {
  Deno.test(`buildRequestHead() accepts Host ${JSON.stringify(host)}`, () => {
    assert.equal(failure(() => buildRequestHead(GET11, [["host", host]])), null);
  });
}

for (
  const host of [
    "a b",
    "a/b",
    "a@b",
    "a:b:c",
    "a:x",
    "a:1:2",
    "a:8080 ",
    "[::1",
    "[::1]x",
    "[]",
    "a[b]",
    "caf\u00e9",
    "a\tb",
    "a\u0130",
  ]
) {
  Deno.test(`buildRequestHead() rejects Host ${JSON.stringify(host)} with 400`, () => {
    assert.deepEqual(failure(() => buildRequestHead(GET11, [["host", host]])), [
      400,
      "invalid-host",
    ]);
  });
}

const FRAMINGS: Array<[string, HttpVersion, Array<[string, string]>, unknown]> = [
  ["no body fields", "HTTP/1.1", [], { kind: "none" }],
  ["Content-Length", "HTTP/1.1", [["content-length", "42"]], { kind: "length", length: 42 }],
  ["Content-Length 0", "HTTP/1.0", [["content-length", "0"]], { kind: "length", length: 0 }],
  ["15 digits", "HTTP/1.1", [["content-length", "999999999999999"]], {
    kind: "length",
    length: 999999999999999,
  }],
  ["chunked", "HTTP/1.1", [["transfer-encoding", "chunked"]], { kind: "chunked" }],
  ["Chunked in capitals", "HTTP/1.1", [["transfer-encoding", "CHUNKED"]], { kind: "chunked" }],
  ["chunked after empty members", "HTTP/1.1", [["transfer-encoding", " , chunked"]], {
    kind: "chunked",
  }],
  ["gzip, chunked", "HTTP/1.1", [["transfer-encoding", "gzip, chunked"]], [
    501,
    "unsupported-transfer-coding",
  ]],
  ["gzip then chunked fields", "HTTP/1.1", [["transfer-encoding", "gzip"], [
    "transfer-encoding",
    "chunked",
  ]], [501, "unsupported-transfer-coding"]],
  ["chunked, gzip", "HTTP/1.1", [["transfer-encoding", "chunked, gzip"]], [
    400,
    "invalid-transfer-encoding",
  ]],
  ["chunked, chunked", "HTTP/1.1", [["transfer-encoding", "chunked, chunked"]], [
    400,
    "invalid-transfer-encoding",
  ]],
  ["an empty Transfer-Encoding", "HTTP/1.1", [["transfer-encoding", ""]], [
    400,
    "invalid-transfer-encoding",
  ]],
  ["chunked with a parameter", "HTTP/1.1", [["transfer-encoding", "chunked;x=1"]], [
    400,
    "invalid-transfer-encoding",
  ]],
  ["Transfer-Encoding in HTTP/1.0", "HTTP/1.0", [["transfer-encoding", "chunked"]], [
    400,
    "transfer-encoding-in-http-1.0",
  ]],
  ["Content-Length and Transfer-Encoding", "HTTP/1.1", [["content-length", "1"], [
    "transfer-encoding",
    "chunked",
  ]], [400, "content-length-with-transfer-encoding"]],
  ["two equal Content-Length", "HTTP/1.1", [["content-length", "1"], ["content-length", "1"]], [
    400,
    "duplicate-content-length",
  ]],
];

for (const [what, version, headers, expected] of FRAMINGS) {
  Deno.test(`bodyFraming() handles ${what}`, () => {
    const error = failure(() => bodyFraming(version, headers));
    if (Array.isArray(expected)) assert.deepEqual(error, expected);
    else assert.deepEqual(bodyFraming(version, headers), expected);
  });
}

for (const value of ["", "5, 5", "+5", "-1", "0x10", "1 0", "1.0", "1000000000000000", "\u0661"]) {
  Deno.test(`bodyFraming() rejects Content-Length ${JSON.stringify(value)} with 400`, () => {
    assert.deepEqual(
      failure(() => bodyFraming("HTTP/1.1", [["content-length", value]])),
      [400, "invalid-content-length"],
    );
  });
}
