/**
 * Test helper: fast-check arbitraries of what a hostile or broken client sends, as latin1
 * strings (one char per byte): random bytes, valid requests mutated, random request lines with
 * random fields, and chunked bodies with wrong sizes and line ends.
 *
 * @module
 */
import fc from "./fast_check.ts";

/** Valid requests against the test site and an app at /echo, the seeds of mutation. */
const VALID: readonly string[] = [
  "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n",
  "HEAD /index.html HTTP/1.1\r\nHost: t\r\nAccept: */*\r\n\r\n",
  'GET /docs/ HTTP/1.1\r\nHost: t\r\nRange: bytes=0-3\r\nIf-None-Match: "x"\r\n\r\n',
  "GET /data.json HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
  "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n",
  "GET http://t/hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
  "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
  "PUT /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\n",
  "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
  "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\nHEAD /data.json HTTP/1.1\r\nHost: t\r\n\r\n",
];

/** Pieces that matter to a parser, inserted at random places. */
const SPLICES: readonly string[] = [
  "\r",
  "\n",
  "\r\n",
  "\r\n\r\n",
  " ",
  "\t",
  ":",
  ",",
  ";",
  "\0",
  "\x7f",
  "\xff",
  "0",
  "chunked",
  "Content-Length: 5\r\n",
  "Transfer-Encoding: chunked\r\n",
  "Host: t\r\n",
  " HTTP/1.1",
  "%00",
  "/..",
];

const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "get"];
const TARGETS = [
  "/",
  "*",
  "/hello.txt",
  "/echo",
  "/docs",
  "/../etc/passwd",
  "/%2e%2e/",
  "//",
  "t:80",
];
const VERSIONS = [
  "HTTP/1.1",
  "HTTP/1.0",
  "HTTP/0.9",
  "HTTP/2.0",
  "HTTP/1.2",
  "http/1.1",
  "HTTP/11",
];
const NAMES = [
  "Host",
  "Content-Length",
  "Transfer-Encoding",
  "Connection",
  "Expect",
  "Range",
  "If-None-Match",
  "If-Modified-Since",
  "Accept-Encoding",
];
const VALUES = ["t", "0", "5", "-1", "99999999999999999", "chunked", "close", "100-continue"];

/** A string of bytes in [min, max], one char per byte. */
function bytes(options: { min: number; max: number; maxLength: number }): fc.Arbitrary<string> {
  const unit = fc.integer({ min: options.min, max: options.max }).map((c) =>
    String.fromCharCode(c)
  );
  return fc.string({ unit, maxLength: options.maxLength });
}

const anyBytes = (maxLength: number) => bytes({ min: 0, max: 255, maxLength });
const printable = (maxLength: number) => bytes({ min: 0x20, max: 0x7e, maxLength });
const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/);

/** One edit of a request; positions are taken modulo the length when applied. */
type Mutation =
  | { kind: "flip"; at: number; byte: number }
  | { kind: "insert"; at: number; text: string }
  | { kind: "delete"; at: number; length: number }
  | { kind: "truncate"; at: number }
  | { kind: "duplicate-field"; line: number; value: string | null };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip"), at: fc.nat(), byte: fc.nat(255) }),
  fc.record({
    kind: fc.constant("insert"),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...SPLICES), anyBytes(8)),
  }),
  fc.record({ kind: fc.constant("delete"), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant("truncate"), at: fc.nat() }),
  fc.record({
    kind: fc.constant("duplicate-field"),
    line: fc.nat(),
    value: fc.option(fc.oneof(fc.constantFrom(...VALUES), printable(12))),
  }),
) as fc.Arbitrary<Mutation>;

/** Applies one mutation to a request. */
function mutate(request: string, edit: Mutation): string {
  const at = "at" in edit ? edit.at % (request.length + 1) : 0;
  switch (edit.kind) {
    case "flip":
      return request.slice(0, at) + String.fromCharCode(edit.byte) + request.slice(at + 1);
    case "insert":
      return request.slice(0, at) + edit.text + request.slice(at);
    case "delete":
      return request.slice(0, at) + request.slice(at + edit.length);
    case "truncate":
      return request.slice(0, at);
    case "duplicate-field":
      return duplicateField(request, edit);
    default:
      return edit satisfies never;
  }
}

/** Repeats one header line right after itself, with its own value or another. */
function duplicateField(request: string, edit: { line: number; value: string | null }): string {
  const headEnd = request.indexOf("\r\n\r\n");
  const lines = request.slice(0, headEnd === -1 ? request.length : headEnd).split("\r\n");
  if (lines.length < 2) return request;
  const index = 1 + (edit.line % (lines.length - 1));
  const line = lines[index];
  const colon = line.indexOf(":");
  const copy = edit.value === null || colon === -1
    ? line
    : `${line.slice(0, colon)}: ${edit.value}`;
  lines.splice(index + 1, 0, copy);
  return lines.join("\r\n") + (headEnd === -1 ? "" : request.slice(headEnd));
}

/** A valid request with one to four mutations. */
const mutatedRequest: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...VALID), fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([request, edits]) => edits.reduce(mutate, request));

const field = fc
  .tuple(
    fc.oneof(fc.constantFrom(...NAMES), token),
    fc.constantFrom(": ", ":", " : ", ":\t", ": \r\n "),
    fc.oneof(fc.constantFrom(...VALUES), printable(24)),
  )
  .map(([name, separator, value]) => `${name}${separator}${value}\r\n`);

/** A chunked body: sizes right or random, odd extensions, line ends and trailers. */
const chunkedBody: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(
      fc.tuple(
        anyBytes(40),
        fc.option(fc.stringMatching(/^[0-9a-fA-F]{1,20}$/)),
        fc.constantFrom("", ";a=b", ';a="q"', " ;x", ";", "\r;x"),
        fc.constantFrom("\r\n", "\r\n", "\n", "", "\r"),
      ),
      { maxLength: 4 },
    ),
    fc.array(field, { maxLength: 2 }),
    fc.boolean(),
  )
  .map(([chunks, trailers, finished]) => {
    const body = chunks.map(([data, size, ext, end]) =>
      `${size ?? data.length.toString(16)}${ext}\r\n${data}${end}`
    );
    return body.join("") + (finished ? `0\r\n${trailers.join("")}\r\n` : "");
  });

/** A request line from known and random parts, random fields, and maybe a body. */
const randomRequest: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(fc.constantFrom(...METHODS), token, printable(8)),
    fc.oneof(fc.constantFrom(...TARGETS), printable(24).map((t) => `/${t}`)),
    fc.oneof(fc.constantFrom(...VERSIONS), printable(10)),
    fc.constantFrom(" ", " ", " ", "  ", "\t"),
    fc.array(field, { maxLength: 8 }),
    fc.oneof(fc.constant(""), anyBytes(64), chunkedBody),
  )
  .map(([method, target, version, gap, fields, body]) =>
    `${method}${gap}${target}${gap}${version}\r\n${fields.join("")}\r\n${body}`
  );

/** A POST whose chunked body is framed oddly. */
const chunkedRequest: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom("/echo", "/hello.txt"), chunkedBody)
  .map(([path, body]) =>
    `POST ${path} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n${body}`
  );

/**
 * Everything a fuzzing client sends on one connection, as latin1 text.
 *
 * @example
 * ```ts ignore
 * fc.sample(fuzzRequest, 3); // three byte strings to send
 * ```
 */
export const fuzzRequest: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: anyBytes(1500), weight: 1 },
  { arbitrary: mutatedRequest, weight: 4 },
  { arbitrary: randomRequest, weight: 3 },
  { arbitrary: chunkedRequest, weight: 2 },
);

/**
 * Encodes latin1 text as the bytes it stands for.
 *
 * @param text one char per byte
 * @returns the bytes
 * @example
 * ```ts ignore
 * latin1Bytes("\xff") // Uint8Array [255]
 * ```
 */
export function latin1Bytes(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}
