import assert from "node:assert/strict";
import fc from "../_helpers/fast_check.ts";
import { HttpError } from "../../lib/http/errors.ts";
import { type ParserLimits, type RequestHead, RequestParser } from "../../lib/http/parser.ts";
import { latin1 } from "./_helpers.ts";

const LIMITS: ParserLimits = {
  maxRequestLineBytes: 8192,
  maxHeaderBytes: 32768,
  maxHeaderCount: 100,
};
// Far more next() calls than any test input can justify: reaching it means the parser loops.
const MAX_STEPS = 100_000;

type Seen =
  | { kind: "head"; head: RequestHead }
  | { kind: "body"; data: string }
  | { kind: "end"; trailers: Array<[string, string]> };

interface Outcome {
  events: Seen[];
  error: HttpError | null;
}

/** Bytes with one byte per character, so tests can write obs-text and NUL directly. */
function text(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += String.fromCharCode(byte);
  return out;
}

/**
 * Feeds the pieces in order, calling next() until "need-data" after each one and reset() after
 * each "paused", so pipelined messages are all read. Body events are merged, since how data is
 * split across them depends on how the bytes arrived.
 */
function drive(pieces: Uint8Array[], limits: ParserLimits = LIMITS): Outcome {
  const parser = new RequestParser(limits);
  const events: Seen[] = [];
  let steps = 0;
  try {
    for (const piece of pieces) {
      parser.feed(piece);
      for (;;) {
        assert.ok(++steps < MAX_STEPS, "parser keeps producing events without progress");
        const event = parser.next();
        if (event.kind === "need-data") break;
        if (event.kind === "paused") parser.reset();
        else if (event.kind === "body") addBody(events, text(event.data));
        else events.push(event);
      }
    }
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    assert.equal(parser.state, "error");
    return { events, error };
  }
  return { events, error: null };
}

function addBody(events: Seen[], data: string): void {
  const last = events.at(-1);
  if (last?.kind === "body") last.data += data;
  else events.push({ kind: "body", data });
}

function byteByByte(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
}

function head(fields: Partial<RequestHead> & { headers: Array<[string, string]> }): Seen {
  return {
    kind: "head",
    head: {
      method: "GET",
      target: "/",
      version: "HTTP/1.1",
      framing: { kind: "none" },
      keepAlive: true,
      expectContinue: false,
      ...fields,
    },
  };
}

const end = (trailers: Array<[string, string]> = []): Seen => ({ kind: "end", trailers });

const SECOND = "GET /second HTTP/1.1\r\nHost: b\r\n\r\n";
const SECOND_EVENTS = [head({ target: "/second", headers: [["host", "b"]] }), end()];

/** Checks one valid request fed whole, byte by byte, split in two everywhere, and pipelined. */
function assertParses(input: string, expected: Seen[]): void {
  const bytes = latin1(input);
  assert.deepEqual(drive([bytes]), { events: expected, error: null }, "fed whole");
  assert.deepEqual(drive(byteByByte(bytes)), { events: expected, error: null }, "byte by byte");
  for (let cut = 1; cut < bytes.length; cut++) {
    const pieces = [bytes.subarray(0, cut), bytes.subarray(cut)];
    assert.deepEqual(drive(pieces), { events: expected, error: null }, `split at ${cut}`);
  }
  const pipelined = { events: [...expected, ...SECOND_EVENTS], error: null };
  assert.deepEqual(drive([latin1(input + SECOND)]), pipelined, "pipelined");
  assert.deepEqual(drive(byteByByte(latin1(input + SECOND))), pipelined, "pipelined bytes");
}

const CHUNKED_BODY = '5;name=value\r\nhello\r\n6 ; q="a;\\"b" ;flag\r\n world\r\n0\r\n' +
  "Checksum: abc\r\nX-Trailer:1 \r\n\r\n";

const VALID: Array<[string, string, Seen[]]> = [
  ["GET in origin-form", "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n", [
    head({ target: "/index.html?q=1", headers: [["host", "example.com"]] }),
    end(),
  ]],
  ["GET in absolute-form", "GET HTTPS://Example.com/a HTTP/1.1\r\nHost: x\r\n\r\n", [
    head({ target: "HTTPS://Example.com/a", headers: [["host", "x"]] }),
    end(),
  ]],
  ["OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", [
    head({ method: "OPTIONS", target: "*", headers: [["host", "a"]] }),
    end(),
  ]],
  ["CONNECT in authority-form", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n", [
    head({ method: "CONNECT", target: "example.com:443", headers: [["host", "example.com"]] }),
    end(),
  ]],
  ["HTTP/1.0 without Host or keep-alive", "GET / HTTP/1.0\r\n\r\n", [
    head({ version: "HTTP/1.0", keepAlive: false, headers: [] }),
    end(),
  ]],
  ["HTTP/1.0 with keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", [
    head({ version: "HTTP/1.0", headers: [["connection", "Keep-Alive"]] }),
    end(),
  ]],
  ["HTTP/1.1 with Connection: close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: x, close\r\n\r\n", [
    head({ keepAlive: false, headers: [["host", "a"], ["connection", "x, close"]] }),
    end(),
  ]],
  ["Content-Length body", "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world", [
    head({
      method: "POST",
      target: "/up",
      framing: { kind: "length", length: 11 },
      headers: [["host", "a"], ["content-length", "11"]],
    }),
    { kind: "body", data: "hello world" },
    end(),
  ]],
  ["Content-Length: 0", "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", [
    head({
      method: "PUT",
      target: "/x",
      framing: { kind: "length", length: 0 },
      headers: [["host", "a"], ["content-length", "0"]],
    }),
    end(),
  ]],
  [
    "chunked body with extensions and trailers",
    `POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n${CHUNKED_BODY}`,
    [
      head({
        method: "POST",
        target: "/c",
        framing: { kind: "chunked" },
        headers: [["host", "a"], ["transfer-encoding", "Chunked"]],
      }),
      { kind: "body", data: "hello world" },
      end([["checksum", "abc"], ["x-trailer", "1"]]),
    ],
  ],
  [
    "empty chunked body",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    [
      head({
        method: "POST",
        framing: { kind: "chunked" },
        headers: [["host", "a"], ["transfer-encoding", "chunked"]],
      }),
      end(),
    ],
  ],
  [
    "several headers with OWS, obs-text, duplicates and empty values",
    "GET / HTTP/1.1\r\nHost: a\r\nX-A:  one \t\r\nx-a: two  words\r\nX-Obs: caf\xe9\x80\r\nX-Empty:\r\n\r\n",
    [
      head({
        headers: [["host", "a"], ["x-a", "one"], ["x-a", "two  words"], ["x-obs", "caf\xe9\x80"], [
          "x-empty",
          "",
        ]],
      }),
      end(),
    ],
  ],
  [
    "a browser's head: mixed-case names, long lines, an unknown method",
    "PURGE /a/b.css?v=3 HTTP/1.1\r\nHOST: example.com:8080\r\nUser-Agent: Mozilla/5.0 (X11; " +
    "Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\naccept-Encoding: gzip, br\r\n\r\n",
    [
      head({
        method: "PURGE",
        target: "/a/b.css?v=3",
        headers: [
          ["host", "example.com:8080"],
          ["user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"],
          ["accept-encoding", "gzip, br"],
        ],
      }),
      end(),
    ],
  ],
  ["leading empty lines", "\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", [
    head({ headers: [["host", "a"]] }),
    end(),
  ]],
  ["LF-only line ends", "GET / HTTP/1.1\nHost: a\n\n", [head({ headers: [["host", "a"]] }), end()]],
  [
    "Expect: 100-continue",
    "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx",
    [
      head({
        method: "POST",
        expectContinue: true,
        framing: { kind: "length", length: 1 },
        headers: [["host", "a"], ["expect", "100-Continue"], ["content-length", "1"]],
      }),
      { kind: "body", data: "x" },
      end(),
    ],
  ],
];

for (const [name, input, expected] of VALID) {
  Deno.test(`RequestParser.next() parses ${name} however the bytes arrive`, () => {
    assertParses(input, expected);
  });
}

function get(headers: string, version = "HTTP/1.1"): string {
  return `GET / ${version}\r\n${headers}\r\n`;
}

function post(headers: string, body: string): string {
  return `POST / HTTP/1.1\r\nHost: a\r\n${headers}\r\n${body}`;
}

const CHUNKED = "Transfer-Encoding: chunked\r\n";
const MANY_FIELDS = "Host: a\r\n" + "X: y\r\n".repeat(100);

const INVALID: Array<[string, number, string, string]> = [
  ["a bare CR in the request line", 400, "bare-cr", "GET / HTTP/1.1\rHost: a\r\n\r\n"],
  ["a bare CR in a header", 400, "bare-cr", get("Host: a\rX: b\r\n")],
  ["a bare CR line before the request", 400, "bare-cr", "\r\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"],
  ["a NUL in a header value", 400, "nul-byte", get("Host: a\0\r\n")],
  ["a NUL in the target", 400, "nul-byte", "GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"],
  ["obs-fold", 400, "obs-fold", get("Host: a\r\nX: b\r\n  c\r\n")],
  ["a folded first header", 400, "obs-fold", "GET / HTTP/1.1\r\n Host: a\r\n\r\n"],
  ["a method that is not a token", 400, "invalid-method", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n"],
  [
    "two spaces in the request line",
    400,
    "malformed-request-line",
    "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
  ],
  ["a request line without version", 400, "malformed-request-line", "GET /\r\nHost: a\r\n\r\n"],
  ["a space before the colon", 400, "invalid-field-name", get("Host : a\r\n")],
  ["a control byte after clean fields", 400, "invalid-field-value", get("Host: a\r\nX: \x01\r\n")],
  [
    "too many fields after a malformed one",
    431,
    "too-many-header-fields",
    get("A B\r\n" + MANY_FIELDS),
  ],
  ["a malformed Host", 400, "invalid-host", get("Host: a b\r\n")],
  ["a header without colon", 400, "invalid-field-name", get("Host: a\r\nNoColon\r\n")],
  ["a control character in a value", 400, "invalid-field-value", get("Host: a\r\nX: a\x01b\r\n")],
  ["a missing Host", 400, "missing-host", get("Accept: */*\r\n")],
  ["two Host headers", 400, "duplicate-host", get("Host: a\r\nHost: a\r\n")],
  [
    "Content-Length with Transfer-Encoding",
    400,
    "content-length-with-transfer-encoding",
    post(`Content-Length: 3\r\n${CHUNKED}`, ""),
  ],
  [
    "a Content-Length list",
    400,
    "invalid-content-length",
    post("Content-Length: 5, 5\r\n", "hello"),
  ],
  [
    "a signed Content-Length",
    400,
    "invalid-content-length",
    post("Content-Length: +5\r\n", "hello"),
  ],
  [
    "a 16-digit Content-Length",
    400,
    "invalid-content-length",
    post("Content-Length: 1000000000000000\r\n", ""),
  ],
  [
    "duplicate equal Content-Length",
    400,
    "duplicate-content-length",
    post("Content-Length: 1\r\nContent-Length: 1\r\n", "x"),
  ],
  [
    "Transfer-Encoding with chunked not last",
    400,
    "invalid-transfer-encoding",
    post("Transfer-Encoding: chunked, gzip\r\n", ""),
  ],
  [
    "chunked applied twice",
    400,
    "invalid-transfer-encoding",
    post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", ""),
  ],
  [
    "Transfer-Encoding without chunked",
    400,
    "invalid-transfer-encoding",
    post("Transfer-Encoding: gzip\r\n", ""),
  ],
  [
    "Transfer-Encoding in HTTP/1.0",
    400,
    "transfer-encoding-in-http-1.0",
    "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
  ],
  ["a chunk size that is not hex", 400, "invalid-chunk-size", post(CHUNKED, "zz\r\n")],
  ["an empty chunk size", 400, "invalid-chunk-size", post(CHUNKED, "\r\n")],
  [
    "a chunk size of 17 digits",
    400,
    "invalid-chunk-size",
    post(CHUNKED, "00000000000000001\r\nx\r\n"),
  ],
  ["a chunk size above 2^53 - 1", 400, "invalid-chunk-size", post(CHUNKED, "20000000000000\r\n")],
  [
    "a chunk-size line ending in bare LF",
    400,
    "invalid-chunk-line-end",
    post(CHUNKED, "1\nx\r\n0\r\n\r\n"),
  ],
  [
    "a chunk extension that is not a token",
    400,
    "invalid-chunk-size",
    post(CHUNKED, "1;a b\r\nx\r\n"),
  ],
  [
    "a chunk-size line over 4096 bytes",
    400,
    "chunk-line-too-long",
    post(CHUNKED, `1;a=${"b".repeat(4100)}\r\nx\r\n`),
  ],
  [
    "data without CRLF after it",
    400,
    "missing-chunk-crlf",
    post(CHUNKED, "3\r\nabcX\r\n0\r\n\r\n"),
  ],
  [
    "data followed by CR and no LF",
    400,
    "missing-chunk-crlf",
    post(CHUNKED, "3\r\nabc\rX0\r\n\r\n"),
  ],
  ["obs-fold in trailers", 400, "obs-fold", post(CHUNKED, "0\r\nT: a\r\n b\r\n\r\n")],
  ["a relative target", 400, "invalid-target", "GET index.html HTTP/1.1\r\nHost: a\r\n\r\n"],
  ["* with GET", 400, "invalid-target", "GET * HTTP/1.1\r\nHost: a\r\n\r\n"],
  ["authority-form with GET", 400, "invalid-target", "GET a.com:80 HTTP/1.1\r\nHost: a\r\n\r\n"],
  ["origin-form with CONNECT", 400, "invalid-target", "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n"],
  [
    "a byte >= 0x80 in the target",
    400,
    "invalid-target",
    "GET /caf\xe9 HTTP/1.1\r\nHost: a\r\n\r\n",
  ],
  ["DEL in the target", 400, "invalid-target", "GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n"],
  ["a lower-case version", 400, "invalid-version", "GET / http/1.1\r\nHost: a\r\n\r\n"],
  ["a version without minor", 400, "invalid-version", "GET / HTTP/1\r\nHost: a\r\n\r\n"],
  [
    "a request line over 8192 bytes",
    414,
    "request-line-too-long",
    `GET /${"a".repeat(8200)} HTTP/1.1\r\nHost: a\r\n\r\n`,
  ],
  [
    "a header section over 32768 bytes",
    431,
    "header-too-large",
    get(`Host: a\r\nX: ${"y".repeat(32768)}\r\n`),
  ],
  ["101 header fields", 431, "too-many-header-fields", get(MANY_FIELDS)],
  [
    "trailers beyond the field count",
    431,
    "too-many-header-fields",
    post(CHUNKED, `0\r\n${"T: v\r\n".repeat(99)}\r\n`),
  ],
  [
    "gzip before chunked",
    501,
    "unsupported-transfer-coding",
    post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"),
  ],
  ["HTTP/2.0", 505, "http-version-not-supported", "GET / HTTP/2.0\r\nHost: a\r\n\r\n"],
  ["HTTP/1.2", 505, "http-version-not-supported", "GET / HTTP/1.2\r\nHost: a\r\n\r\n"],
];

for (const [name, status, code, input] of INVALID) {
  Deno.test(`RequestParser.next() rejects ${name} with ${status}`, () => {
    const bytes = latin1(input);
    for (const [how, pieces] of [["fed whole", [bytes]], ["byte by byte", byteByByte(bytes)]]) {
      const { error } = drive(pieces as Uint8Array[]);
      assert.deepEqual([error?.status, error?.code], [status, code], how as string);
    }
  });
}

Deno.test("RequestParser.next() counts the line end toward maxRequestLineBytes", () => {
  const limits = { ...LIMITS, maxRequestLineBytes: 16 };
  assert.equal(drive([latin1("GET /a HTTP/1.0\n\n")], limits).error, null);
  assert.equal(drive([latin1("GET /a HTTP/1.0\r\n\r\n")], limits).error?.status, 414);
});

Deno.test("RequestParser.next() answers 414 as soon as maxRequestLineBytes arrive without LF", () => {
  const limits = { ...LIMITS, maxRequestLineBytes: 16 };
  assert.equal(drive([latin1("GET /a HTTP/1.0")], limits).error, null);
  const error = drive([latin1("GET /ab HTTP/1.0")], limits).error;
  assert.equal(error?.status, 414);
  assert.equal(error?.code, "request-line-too-long");
});

function parserWith(input: string, limits: ParserLimits = LIMITS): RequestParser {
  const parser = new RequestParser(limits);
  parser.feed(latin1(input));
  return parser;
}

function errorOf(parser: RequestParser): HttpError {
  try {
    parser.next();
  } catch (error) {
    assert.ok(error instanceof HttpError);
    return error;
  }
  assert.fail("next() did not throw");
}

Deno.test("RequestParser.next() moves head -> body -> done and pauses until reset()", () => {
  const parser = new RequestParser(LIMITS);
  assert.equal(parser.state, "head");
  assert.deepEqual(parser.next(), { kind: "need-data" });
  parser.feed(latin1("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  assert.equal(parser.next().kind, "head");
  assert.equal(parser.state, "body");
  assert.deepEqual(parser.next(), { kind: "end", trailers: [] });
  assert.equal(parser.state, "done");
  assert.deepEqual(parser.next(), { kind: "paused" });
  assert.deepEqual(parser.next(), { kind: "paused" });
  parser.reset();
  assert.equal(parser.state, "head");
  assert.deepEqual(parser.next(), { kind: "need-data" });
});

Deno.test("RequestParser.reset() outside done throws a 500 naming the state and event", () => {
  const parser = parserWith("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  assert.throws(() => parser.reset(), (thrown: unknown) => {
    assert.ok(thrown instanceof HttpError);
    assert.equal(thrown.status, 500);
    assert.equal(thrown.code, "illegal-parser-transition");
    assert.match(thrown.message, /"reset".*"head"/);
    return true;
  });
  assert.equal(parser.state, "head");
  assert.equal(parser.next().kind, "head");
});

Deno.test("RequestParser.next() stays in error and throws the same error again", () => {
  const parser = parserWith("GET / HTTP/1.1\r\n\r\n");
  const first = errorOf(parser);
  assert.equal(first.code, "missing-host");
  assert.equal(parser.state, "error");
  parser.feed(latin1("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  assert.equal(errorOf(parser), first);
  assert.equal(parser.state, "error");
});

Deno.test("RequestParser.next() emits Content-Length body bytes as they arrive", () => {
  const parser = parserWith("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nabc");
  assert.equal(parser.next().kind, "head");
  const first = parser.next();
  assert.ok(first.kind === "body");
  assert.equal(text(first.data), "abc");
  assert.deepEqual(parser.next(), { kind: "need-data" });
  parser.feed(latin1("defGET"));
  const second = parser.next();
  assert.ok(second.kind === "body");
  assert.equal(text(second.data), "def");
  assert.equal(parser.next().kind, "end");
  assert.equal(parser.bufferedBytes, 3);
});

Deno.test("RequestParser.next() emits chunk data before the chunk is complete", () => {
  const parser = parserWith(
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\na\r\nabc",
  );
  assert.equal(parser.next().kind, "head");
  const event = parser.next();
  assert.ok(event.kind === "body");
  assert.equal(text(event.data), "abc");
  assert.deepEqual(parser.next(), { kind: "need-data" });
});

Deno.test("RequestParser.takeBuffered() returns pipelined leftovers and empties the buffer", () => {
  const parser = parserWith("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next");
  assert.equal(parser.next().kind, "head");
  assert.equal(parser.bufferedBytes, 9);
  assert.equal(text(parser.takeBuffered()), "GET /next");
  assert.equal(parser.bufferedBytes, 0);
  assert.equal(parser.state, "body");
  assert.equal(parser.next().kind, "end");
  assert.equal(parser.takeBuffered().length, 0);
  assert.equal(parser.state, "done");
});

Deno.test("RequestParser.takeBuffered() in head drops the partial head and restarts", () => {
  const parser = parserWith("GET /partial HTTP/1.1\r\nHo");
  assert.deepEqual(parser.next(), { kind: "need-data" });
  assert.equal(text(parser.takeBuffered()), "GET /partial HTTP/1.1\r\nHo");
  parser.feed(latin1("GET /fresh HTTP/1.1\r\nHost: a\r\n\r\n"));
  const event = parser.next();
  assert.ok(event.kind === "head");
  assert.equal(event.head.target, "/fresh");
});

Deno.test("RequestParser.next() answers 431 as soon as a field beyond maxHeaderCount starts", () => {
  const limits = { ...LIMITS, maxHeaderCount: 3 };
  const fields = "GET / HTTP/1.1\r\nHost: a\r\nB: b\r\nC: c\r\n";
  assert.deepEqual(parserWith(fields, limits).next(), { kind: "need-data" });
  assert.deepEqual(parserWith(fields + "\r", limits).next(), { kind: "need-data" });
  assert.equal(drive([latin1(fields + "\r\n")], limits).error, null);
  assert.equal(errorOf(parserWith(fields + "D", limits)).code, "too-many-header-fields");
});

Deno.test("RequestParser.next() counts field lines with their line ends toward maxHeaderBytes", () => {
  const limits = { ...LIMITS, maxHeaderBytes: 20 };
  const fields = "Host: a\r\nX: 123456\r\n"; // 9 + 11 bytes
  assert.equal(drive([latin1(`GET / HTTP/1.1\r\n${fields}\r\n`)], limits).error, null);
  const over = errorOf(parserWith(`GET / HTTP/1.1\r\n${fields}Y`, limits));
  assert.equal(over.code, "header-too-large");
  const partial = errorOf(parserWith("GET / HTTP/1.1\r\nHost: a\r\nX: 123456789", limits));
  assert.equal(partial.status, 431);
});

Deno.test("RequestParser.next() counts trailers toward maxHeaderBytes with the headers", () => {
  const limits = { ...LIMITS, maxHeaderBytes: 60 };
  const head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"; // 37 field bytes
  assert.equal(drive([latin1(`${head}0\r\nT: ${"1".repeat(18)}\r\n\r\n`)], limits).error, null);
  const error = drive([latin1(`${head}0\r\nT: ${"1".repeat(19)}\r\n\r\n`)], limits).error;
  assert.equal(error?.code, "header-too-large");
});

Deno.test("RequestParser constructor rejects a limit below 1", () => {
  assert.throws(() => new RequestParser({ ...LIMITS, maxHeaderCount: 0 }), HttpError);
});

Deno.test("RequestParser.feed() copies, so the caller may reuse its array", () => {
  const parser = new RequestParser(LIMITS);
  const chunk = latin1("GET / HTTP/1.1\r\n");
  parser.feed(chunk);
  chunk.fill(0x41);
  parser.feed(latin1("Host: a\r\n\r\n"));
  const event = parser.next();
  assert.ok(event.kind === "head");
  assert.equal(event.head.target, "/");
});

// Property tests: generated requests, a test-only serializer for them, and arbitrary bytes.

const TCHARS = [..."!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"];
const VISIBLE = Array.from({ length: 0x7e - 0x20 }, (_, i) => String.fromCharCode(0x21 + i));
const OBS_TEXT = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(0x80 + i));
const RESERVED = new Set(["host", "content-length", "transfer-encoding", "connection", "expect"]);

interface FieldModel {
  name: string;
  value: string;
  before: string;
  after: string;
  eol: string;
}

type BodyModel =
  | { kind: "none" }
  | { kind: "length"; data: string }
  | { kind: "chunked"; chunks: Array<{ data: string; ext: string }>; trailers: FieldModel[] };

interface RequestModel {
  method: string;
  target: string;
  version: "HTTP/1.0" | "HTTP/1.1";
  fields: FieldModel[];
  body: BodyModel;
}

const tokenArb = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 10 });
const wordArb = fc.string({
  unit: fc.constantFrom(...VISIBLE, ...OBS_TEXT),
  minLength: 1,
  maxLength: 8,
});
const fieldArb: fc.Arbitrary<FieldModel> = fc.record({
  name: tokenArb.filter((name) => !RESERVED.has(name.toLowerCase())),
  value: fc.tuple(fc.array(wordArb, { maxLength: 4 }), fc.constantFrom(" ", "\t", " \t"))
    .map(([words, gap]) => words.join(gap)),
  before: fc.constantFrom("", " ", "\t", " \t "),
  after: fc.constantFrom("", " ", "\t", " \t "),
  eol: fc.constantFrom("\r\n", "\n"),
});
const dataArb = (minLength: number) =>
  fc.uint8Array({ minLength, maxLength: 24 }).map((bytes) => text(bytes));
const extArb = fc.array(
  fc.tuple(tokenArb, fc.option(fc.oneof(tokenArb, fc.constant('"q;\\" x"')))),
  {
    maxLength: 2,
  },
).map((exts) =>
  exts.map(([name, value]) => `;${name}${value === null ? "" : `=${value}`}`).join("")
);
const bodyArb: fc.Arbitrary<BodyModel> = fc.oneof(
  fc.constant({ kind: "none" as const }),
  dataArb(0).map((data) => ({ kind: "length" as const, data })),
  fc.record({
    kind: fc.constant("chunked" as const),
    chunks: fc.array(fc.record({ data: dataArb(1), ext: extArb }), { maxLength: 4 }),
    trailers: fc.array(fieldArb, { maxLength: 3 }),
  }),
);
const requestArb: fc.Arbitrary<RequestModel> = fc.record({
  method: tokenArb.filter((method) => method !== "CONNECT"),
  target: fc.oneof(
    fc.string({ unit: fc.constantFrom(...VISIBLE), maxLength: 20 }).map((path) => `/${path}`),
    fc.constantFrom("http://example.com/x", "HTTPS://h:8080/?q"),
  ),
  version: fc.constantFrom("HTTP/1.0" as const, "HTTP/1.1" as const),
  fields: fc.array(fieldArb, { maxLength: 6 }),
  body: bodyArb,
}).map((model) => (model.body.kind === "chunked" ? { ...model, version: "HTTP/1.1" } : model));

function framingFields(model: RequestModel): Array<[string, string]> {
  const fields: Array<[string, string]> = model.version === "HTTP/1.1" ? [["Host", "h"]] : [];
  if (model.body.kind === "length") fields.push(["Content-Length", `${model.body.data.length}`]);
  if (model.body.kind === "chunked") fields.push(["Transfer-Encoding", "chunked"]);
  return fields;
}

function serializeFields(fields: FieldModel[]): string {
  return fields.map((f) => `${f.name}:${f.before}${f.value}${f.after}${f.eol}`).join("");
}

/** The test-only serializer: the model as bytes, with its OWS and line ends as generated. */
function serialize(model: RequestModel): string {
  const extra = framingFields(model).map(([name, value]) => `${name}: ${value}\r\n`).join("");
  let out = `${model.method} ${model.target} ${model.version}\r\n${extra}`;
  out += `${serializeFields(model.fields)}\r\n`;
  if (model.body.kind === "length") out += model.body.data;
  if (model.body.kind === "chunked") {
    for (const { data, ext } of model.body.chunks) {
      out += `${data.length.toString(16)}${ext}\r\n${data}\r\n`;
    }
    out += `0\r\n${serializeFields(model.body.trailers)}\r\n`;
  }
  return out;
}

function expectedEvents(model: RequestModel): Seen[] {
  const lower = (fields: FieldModel[]) =>
    fields.map((f): [string, string] => [f.name.toLowerCase(), f.value]);
  const { body } = model;
  const data = body.kind === "length"
    ? body.data
    : body.kind === "chunked"
    ? body.chunks.map((chunk) => chunk.data).join("")
    : "";
  const framing = body.kind === "length" ? { kind: "length" as const, length: data.length } : {
    kind: body.kind,
  };
  const headers = framingFields(model).map(([n, v]): [string, string] => [n.toLowerCase(), v]);
  const events: Seen[] = [head({
    method: model.method,
    target: model.target,
    version: model.version,
    headers: [...headers.slice(0, 1), ...headers.slice(1), ...lower(model.fields)],
    framing,
    keepAlive: model.version === "HTTP/1.1",
  })];
  if (data !== "") events.push({ kind: "body", data });
  events.push(end(body.kind === "chunked" ? lower(body.trailers) : []));
  return events;
}

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(bytes.subarray(from, point));
    from = point;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

Deno.test("RequestParser.next() parses generated pipelined requests back to their model", () => {
  fc.assert(
    fc.property(fc.array(requestArb, { minLength: 1, maxLength: 3 }), (models) => {
      const bytes = latin1(models.map(serialize).join(""));
      assert.deepEqual(drive([bytes]), { events: models.flatMap(expectedEvents), error: null });
    }),
    { numRuns: 200 },
  );
});

Deno.test("RequestParser.next() gives the same events for generated requests split anywhere", () => {
  fc.assert(
    fc.property(
      fc.array(requestArb, { minLength: 1, maxLength: 3 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (models, cuts) => {
        const bytes = latin1(models.map(serialize).join(""));
        assert.deepEqual(drive(splitAt(bytes, cuts)), drive([bytes]));
      },
    ),
    { numRuns: 200 },
  );
});

const FRAGMENTS = [
  "GET",
  "POST",
  "OPTIONS",
  " ",
  "/",
  "*",
  "HTTP/1.1",
  "HTTP/1.0",
  "HTTP/2.0",
  "\r\n",
  "\r",
  "\n",
  "\0",
  "\t",
  ":",
  "\x80",
  "Host: a",
  "Content-Length: 3",
  "Content-Length: 0",
  "Transfer-Encoding: chunked",
  "Transfer-Encoding: gzip, chunked",
  "Connection: close",
  "abc",
  "0",
  "3",
  "fffffffffffffff",
  ";x=y",
  "\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
  "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
];
const SMALL_LIMITS: ParserLimits = {
  maxRequestLineBytes: 64,
  maxHeaderBytes: 128,
  maxHeaderCount: 4,
};
// Bytes that matter to the grammar, for mutating valid requests.
const SPECIAL = [
  0x00,
  0x09,
  0x0a,
  0x0d,
  0x20,
  0x2c,
  0x30,
  0x3a,
  0x3b,
  0x3d,
  0x41,
  0x7f,
  0x80,
  0xff,
];
const editArb = fc.tuple(fc.nat(), fc.constantFrom(...SPECIAL), fc.constantFrom(0, 1, 2));

function mutate(input: string, edits: Array<[number, number, number]>): Uint8Array {
  const bytes = [...latin1(input)];
  for (const [at, byte, how] of edits) {
    const i = at % (bytes.length + 1);
    if (how === 0) bytes.splice(i, 0, byte); // insert
    else if (how === 1) bytes.splice(i, 1); // delete
    else bytes.splice(i, 1, byte); // replace
  }
  return Uint8Array.from(bytes);
}

const noiseArb = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 }).map((parts) => latin1(parts.join(""))),
  fc.tuple(
    fc.array(requestArb, { minLength: 1, maxLength: 2 }),
    fc.array(editArb, { maxLength: 3 }),
  )
    .map(([models, edits]) => mutate(models.map(serialize).join(""), edits)),
);

Deno.test("RequestParser.next() turns any bytes into events or a 4xx/501/505 HttpError", () => {
  fc.assert(
    fc.property(noiseArb, fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
      for (const limits of [LIMITS, SMALL_LIMITS]) {
        const { error } = drive(splitAt(bytes, cuts), limits);
        if (error !== null) assert.ok([400, 414, 431, 501, 505].includes(error.status), error.code);
      }
    }),
    { numRuns: 200 },
  );
});

Deno.test("RequestParser.next() reaches the same outcome for any bytes however they are split", () => {
  fc.assert(
    fc.property(noiseArb, fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
      const summary = ({ events, error }: Outcome) => ({ events, status: error?.status });
      for (const limits of [LIMITS, SMALL_LIMITS]) {
        const whole = summary(drive([bytes], limits));
        assert.deepEqual(summary(drive(splitAt(bytes, cuts), limits)), whole);
        assert.deepEqual(summary(drive(byteByByte(bytes), limits)), whole);
      }
    }),
    { numRuns: 200 },
  );
});

Deno.test("RequestParser parses in lent storage and moves to its own buffer when it outgrows it", () => {
  const storage = new Uint8Array(32).fill(0x7a);
  const parser = new RequestParser(LIMITS, storage);
  parser.feed(latin1("GET /a HTTP/1.1\r\nHost: h\r\n"));
  assert.equal(String.fromCharCode(...storage.subarray(0, 4)), "GET ", "the lent buffer was used");
  parser.feed(latin1("X-Long: " + "v".repeat(40) + "\r\n\r\nGET /b HTTP/1.1\r\n"));
  storage.fill(0);
  const event = parser.next();
  assert.equal(event.kind, "head");
  assert.equal(event.kind === "head" && event.head.target, "/a");
  assert.equal(parser.next().kind, "end");
  assert.equal(String.fromCharCode(...parser.takeBuffered()), "GET /b HTTP/1.1\r\n");
});

Deno.test("RequestParser.takeBuffered() with nothing left allocates nothing", () => {
  const parser = new RequestParser(LIMITS);
  parser.feed(latin1("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  parser.next();
  parser.next();
  const first = parser.takeBuffered();
  parser.reset();
  assert.equal(first.byteLength, 0);
  assert.equal(parser.takeBuffered(), first);
});
