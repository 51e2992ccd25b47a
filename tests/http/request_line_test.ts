import assert from "node:assert/strict";
import { HttpError } from "../../lib/http/errors.ts";
import { parseRequestLine } from "../../lib/http/request_line.ts";

Deno.test("parseRequestLine() splits method, target and version", () => {
  assert.deepEqual(parseRequestLine("GET /a?b=c HTTP/1.1"), {
    method: "GET",
    target: "/a?b=c",
    version: "HTTP/1.1",
  });
  assert.deepEqual(parseRequestLine("purge /x HTTP/1.0"), {
    method: "purge",
    target: "/x",
    version: "HTTP/1.0",
  });
});

const ACCEPTED: Array<[string, string]> = [
  ["GET", "/"],
  ["GET", "http://example.com"],
  ["POST", "HTTPS://example.com:8443/a?b"],
  ["OPTIONS", "*"],
  ["OPTIONS", "/x"],
  ["CONNECT", "example.com:443"],
  ["CONNECT", "[2001:db8::1]:8080"],
  ["CONNECT", "127.0.0.1:80"],
];

for (const [method, target] of ACCEPTED) {
  Deno.test(`parseRequestLine() accepts ${method} ${target}`, () => {
    assert.equal(parseRequestLine(`${method} ${target} HTTP/1.1`).target, target);
  });
}

const REJECTED: Array<[string, number, string]> = [
  ["", 400, "malformed-request-line"],
  ["GET", 400, "malformed-request-line"],
  [" / HTTP/1.1", 400, "malformed-request-line"],
  ["GET / HTTP/1.1 ", 400, "malformed-request-line"],
  ["GET /a b HTTP/1.1", 400, "malformed-request-line"],
  ["GET  HTTP/1.1", 400, "malformed-request-line"],
  ["GET\t/ HTTP/1.1", 400, "malformed-request-line"],
  ["G@T / HTTP/1.1", 400, "invalid-method"],
  ["GET / HTTP/1.1\r", 400, "bare-cr"],
  ["GET / HTTP/3", 400, "invalid-version"],
  ["GET / HTTP/1.10", 400, "invalid-version"],
  ["GET / HTTP/0.9", 505, "http-version-not-supported"],
  ["GET / HTTP/2.0", 505, "http-version-not-supported"],
  ["GET a/b HTTP/1.1", 400, "invalid-target"],
  ["GET ftp://x/ HTTP/1.1", 400, "invalid-target"],
  ["GET http:/// HTTP/1.1", 400, "invalid-target"],
  ["GET * HTTP/1.1", 400, "invalid-target"],
  ["OPTIONS ** HTTP/1.1", 400, "invalid-target"],
  ["GET host:80 HTTP/1.1", 400, "invalid-target"],
  ["CONNECT host HTTP/1.1", 400, "invalid-target"],
  ["CONNECT http://host:80/ HTTP/1.1", 400, "invalid-target"],
  ["CONNECT host:123456 HTTP/1.1", 400, "invalid-target"],
  ["GET /\x00 HTTP/1.1", 400, "nul-byte"],
  ["GET /\x7f HTTP/1.1", 400, "invalid-target"],
  ["GET /\xe9 HTTP/1.1", 400, "invalid-target"],
];

for (const [line, status, code] of REJECTED) {
  Deno.test(`parseRequestLine() rejects ${JSON.stringify(line)} with ${status}`, () => {
    assert.throws(() => parseRequestLine(line), (error: unknown) => {
      assert.ok(error instanceof HttpError);
      assert.deepEqual([error.status, error.code], [status, code]);
      return true;
    });
  });
}
