import assert from "node:assert/strict";
import fc from "../_helpers/fast_check.ts";
import { HttpError } from "../../lib/http/errors.ts";
import { parseRequestLine, readRequestLine } from "../../lib/http/request_line.ts";
import { latin1 } from "./_helpers.ts";

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

/** What a parse gives: the line, or the error's status, code and message. */
function outcome(parse: () => unknown): unknown {
  try {
    return parse();
  } catch (error) {
    assert.ok(error instanceof HttpError);
    return [error.status, error.code, error.message];
  }
}

/** readRequestLine() on the line placed between other bytes, as the parser's buffer holds it. */
function readBetween(line: string, before = "\r\n"): unknown {
  const bytes = latin1(`${before}${line}\r\nHost: a\r\n\r\n`);
  return outcome(() =>
    readRequestLine(bytes, { start: before.length, end: before.length + line.length })
  );
}

Deno.test("readRequestLine() reads common lines to constant methods and versions", () => {
  for (
    const method of ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "PURGE", "get"]
  ) {
    for (const version of ["HTTP/1.1", "HTTP/1.0"]) {
      assert.deepEqual(
        readBetween(`${method} /a/b.c?d=e%20f HTTP/1.1`.replace("HTTP/1.1", version)),
        {
          method,
          target: "/a/b.c?d=e%20f",
          version,
        },
      );
    }
  }
  assert.deepEqual(readBetween("GET / HTTP/1.1"), {
    method: "GET",
    target: "/",
    version: "HTTP/1.1",
  });
});

for (const [method, target] of ACCEPTED) {
  Deno.test(`readRequestLine() agrees with parseRequestLine() on ${method} ${target}`, () => {
    const line = `${method} ${target} HTTP/1.1`;
    assert.deepEqual(readBetween(line), outcome(() => parseRequestLine(line)));
  });
}

for (const [line, status] of REJECTED) {
  Deno.test(`readRequestLine() rejects ${JSON.stringify(line)} with ${status} as parseRequestLine() does`, () => {
    const expected = outcome(() => parseRequestLine(line));
    assert.deepEqual(readBetween(line), expected);
    assert.deepEqual(readBetween(line, ""), expected);
  });
}

Deno.test("readRequestLine() agrees with parseRequestLine() on generated lines", () => {
  const piece = fc.constantFrom(
    "GET",
    "CONNECT",
    "OPTIONS",
    "G@T",
    " ",
    "  ",
    "\t",
    "/",
    "/a",
    "*",
    "?",
    "%",
    "http://h",
    "h:1",
    "\0",
    "\r",
    "\x7f",
    "\xe9",
    "HTTP/1.1",
    "HTTP/1.0",
    "HTTP/1.2",
    "HTTP/2.0",
    "HTTP/1.",
  );
  const lineArb = fc.oneof(
    fc.array(piece, { maxLength: 8 }).map((parts) => parts.join("")),
    fc.tuple(
      fc.constantFrom("GET", "HEAD", "CONNECT", "OPTIONS", "X"),
      fc.array(piece, { maxLength: 4 }).map((parts) => "/" + parts.join("")),
      fc.constantFrom("HTTP/1.1", "HTTP/1.0", "HTTP/1.9", "HTTP/1.1 ", "HTTP/1.1\r", "HTTP/1.11"),
    ).map(([method, target, version]) => `${method} ${target} ${version}`),
  );
  fc.assert(
    fc.property(lineArb, fc.constantFrom("", "\r\n", "GET / HTTP/1.1\r\n\r\n"), (line, before) => {
      assert.deepEqual(readBetween(line, before), outcome(() => parseRequestLine(line)));
    }),
  );
});
