import assert from "node:assert/strict";
import {
  type ChunkedDecoder,
  type ChunkedEvent,
  MAX_CHUNK_LINE_BYTES,
  newChunkedDecoder,
  readChunked,
} from "../../lib/http/chunked.ts";
import { HttpError } from "../../lib/http/errors.ts";
import { newSectionScan } from "../../lib/http/section.ts";
import { latin1 } from "./_helpers.ts";

const LIMITS = { maxHeaderBytes: 100, maxHeaderCount: 4 };

/** Runs the decoder over the text, dropping consumed bytes as the parser does. */
function decode(text: string, decoder = newChunkedDecoder(newSectionScan())) {
  let view = latin1(text);
  const events: Array<ChunkedEvent | { kind: "body"; data: string }> = [];
  for (;;) {
    const event = readChunked(decoder, { view, limits: LIMITS });
    view = view.subarray(decoder.pos);
    if (event.kind === "body") {
      events.push({ kind: "body", data: String.fromCharCode(...event.data) });
    } else events.push(event);
    if (event.kind !== "body") return { events, rest: view, decoder };
  }
}

function failure(text: string, decoder?: ChunkedDecoder): [number, string] | null {
  try {
    decode(text, decoder);
  } catch (error) {
    assert.ok(error instanceof HttpError);
    return [error.status, error.code];
  }
  return null;
}

Deno.test("readChunked() hands out each chunk's data, then the trailers", () => {
  const { events, rest, decoder } = decode(
    '3\r\nabc\r\nA;x="y"\r\n0123456789\r\n0\r\nT: 1\r\n\r\nNEXT',
  );
  assert.deepEqual(events, [
    { kind: "body", data: "abc" },
    { kind: "body", data: "0123456789" },
    { kind: "end", trailers: [["t", "1"]] },
  ]);
  assert.equal(String.fromCharCode(...rest), "NEXT");
  assert.equal(decoder.phase, "trailer");
});

Deno.test("readChunked() answers need-data in every phase and consumes nothing partial", () => {
  const cases: Array<[string, string]> = [["1", "size"], ["5\r\nab", "data"], [
    "1\r\na\r",
    "data-end",
  ], [
    "0\r\nT: 1\r\n",
    "trailer",
  ]];
  for (const [text, phase] of cases) {
    const { events, decoder } = decode(text);
    assert.deepEqual(events.at(-1), { kind: "need-data" }, text);
    assert.equal(decoder.phase, phase, text);
  }
});

Deno.test("readChunked() resumes a size line without searching its bytes again", () => {
  const decoder = newChunkedDecoder(newSectionScan());
  assert.deepEqual(readChunked(decoder, { view: latin1("ff;a"), limits: LIMITS }), {
    kind: "need-data",
  });
  assert.equal(decoder.pos, 0);
  assert.equal(decoder.scan, 4);
  const event = readChunked(decoder, { view: latin1("ff;a=b\r\nx"), limits: LIMITS });
  assert.equal(event.kind, "body");
  assert.equal(decoder.remaining, 0xff - 1);
});

Deno.test("readChunked() accepts sizes up to 2^53 - 1 and with 16 digits", () => {
  const { decoder } = decode("1fffffffffffff\r\n");
  assert.equal(decoder.remaining, Number.MAX_SAFE_INTEGER);
  assert.equal(decode("000000000000000A\r\n").decoder.remaining, 10);
});

const REJECTED: Array<[string, string, [number, string]]> = [
  ["a size that is not hex", "g\r\n", [400, "invalid-chunk-size"]],
  ["a negative size", "-1\r\n", [400, "invalid-chunk-size"]],
  ["a 0x prefix", "0x1\r\n", [400, "invalid-chunk-size"]],
  ["space before the size", " 1\r\n", [400, "invalid-chunk-size"]],
  ["an extension without name", "1;\r\n", [400, "invalid-chunk-size"]],
  ["an unterminated quoted extension", '1;a="b\r\n', [400, "invalid-chunk-size"]],
  ["a size of 17 digits", "00000000000000001\r\n", [400, "invalid-chunk-size"]],
  ["a size of 2^53", "20000000000000\r\n", [400, "invalid-chunk-size"]],
  ["a size line ending in bare LF", "1\n", [400, "invalid-chunk-line-end"]],
  ["a bare CR in the size line", "1\r;a\r\n", [400, "invalid-chunk-size"]],
  ["a wrong byte after the data", "1\r\naX", [400, "missing-chunk-crlf"]],
  ["CR then a wrong byte after the data", "1\r\na\rX", [400, "missing-chunk-crlf"]],
  ["LF alone after the data", "1\r\na\n", [400, "missing-chunk-crlf"]],
  ["too many trailers", `0\r\n${"T: 1\r\n".repeat(5)}`, [431, "too-many-header-fields"]],
  ["obs-fold in trailers", "0\r\nT: 1\r\n 2\r\n\r\n", [400, "obs-fold"]],
];

for (const [what, text, expected] of REJECTED) {
  Deno.test(`readChunked() rejects ${what} with ${expected[0]}`, () => {
    assert.deepEqual(failure(text), expected);
  });
}

Deno.test("readChunked() bounds the size line at MAX_CHUNK_LINE_BYTES with its CRLF", () => {
  const fits = `1;a=${"b".repeat(MAX_CHUNK_LINE_BYTES - 6)}\r\n`;
  assert.equal(fits.length, MAX_CHUNK_LINE_BYTES);
  assert.equal(failure(fits), null);
  assert.deepEqual(failure(`1;a=${"b".repeat(MAX_CHUNK_LINE_BYTES - 5)}\r\n`), [
    400,
    "chunk-line-too-long",
  ]);
  assert.deepEqual(failure(`1;a=${"b".repeat(MAX_CHUNK_LINE_BYTES)}`), [
    400,
    "chunk-line-too-long",
  ]);
});

Deno.test("readChunked() counts trailers after the head's fields", () => {
  const section = newSectionScan();
  section.fieldLines = 4;
  assert.deepEqual(failure("0\r\nT: 1\r\n\r\n", newChunkedDecoder(section)), [
    431,
    "too-many-header-fields",
  ]);
});
