import assert from "node:assert/strict";
import fc from "../../_helpers/fast_check.ts";
import {
  contentRange,
  MAX_RANGES,
  multipartBody,
  newBoundary,
  parseRange,
} from "../../../lib/handler/static/range.ts";

const satisfiable = (...ranges: Array<[number, number]>) => ({
  kind: "satisfiable",
  ranges: ranges.map(([start, end]) => ({ start, end })),
});

Deno.test("parseRange() reads a-b, a- and -n, clamping ends to the length", () => {
  assert.deepEqual(parseRange("bytes=0-9", 100), satisfiable([0, 9]));
  assert.deepEqual(parseRange("bytes=90-", 100), satisfiable([90, 99]));
  assert.deepEqual(parseRange("bytes=-5", 100), satisfiable([95, 99]));
  assert.deepEqual(parseRange("bytes=-500", 100), satisfiable([0, 99]));
  assert.deepEqual(parseRange("bytes=50-5000", 100), satisfiable([50, 99]));
  assert.deepEqual(parseRange("Bytes = 1-1", 100), satisfiable([1, 1]));
});

Deno.test("parseRange() keeps several disjoint ranges in request order", () => {
  assert.deepEqual(
    parseRange("bytes=50-59, 0-9,,-1", 100),
    satisfiable([50, 59], [0, 9], [99, 99]),
  );
});

Deno.test("parseRange() merges overlapping ranges, sorted", () => {
  assert.deepEqual(parseRange("bytes=50-60,0-9,55-70,5-20", 100), satisfiable([0, 20], [50, 70]));
  assert.deepEqual(
    parseRange(`bytes=${Array(MAX_RANGES).fill("0-").join(",")}`, 100),
    satisfiable([0, 99]),
  );
});

Deno.test("parseRange() reports bytes=-0, 5-1 and starts past the end as unsatisfiable", () => {
  for (const field of ["bytes=-0", "bytes=5-1", "bytes=100-", "bytes=100-200", "bytes=5-1,-0"]) {
    assert.deepEqual(parseRange(field, 100), { kind: "unsatisfiable" }, field);
  }
  assert.deepEqual(parseRange("bytes=0-", 0), { kind: "unsatisfiable" });
  assert.deepEqual(parseRange("bytes=-1", 0), { kind: "unsatisfiable" });
});

Deno.test("parseRange() drops unsatisfiable ranges among satisfiable ones", () => {
  assert.deepEqual(parseRange("bytes=200-300,0-1", 100), satisfiable([0, 1]));
});

Deno.test("parseRange() ignores malformed fields, other units and too many ranges", () => {
  const many = `bytes=${Array.from({ length: MAX_RANGES + 1 }, (_, i) => `${i * 2}-${i * 2}`)}`;
  for (
    const field of [
      "",
      "bytes=",
      "bytes=a-b",
      "bytes=1-2-3",
      "bytes=--1",
      "items=0-1",
      "bytes 0-1",
      "bytes=0x1-2",
      many,
    ]
  ) {
    assert.deepEqual(parseRange(field, 100), { kind: "ignored" }, field);
  }
});

Deno.test("parseRange() never returns a range outside the representation", () => {
  fc.assert(fc.property(fc.string(), fc.nat(1000), (text, length) => {
    const outcome = parseRange(`bytes=${text}`, length);
    if (outcome.kind !== "satisfiable") return;
    assert.ok(outcome.ranges.length <= MAX_RANGES);
    for (const { start, end } of outcome.ranges) {
      assert.ok(0 <= start && start <= end && end < length);
    }
  }));
});

Deno.test("contentRange() formats a range and the unsatisfied form", () => {
  assert.equal(contentRange({ start: 0, end: 9 }, 100), "bytes 0-9/100");
  assert.equal(contentRange(null, 100), "bytes */100");
});

Deno.test("multipartBody() frames each part with its type and range and counts every byte", () => {
  const bytes = new TextEncoder().encode("0123456789");
  const { parts, byteLength } = multipartBody([{ start: 0, end: 1 }, { start: 8, end: 9 }], {
    length: 10,
    contentType: "text/plain",
    boundary: "BOUND",
    slice: (range) => bytes.subarray(range.start, range.end + 1),
  });
  const body = new TextDecoder().decode(
    new Uint8Array(parts.flatMap((p) => [...(p as Uint8Array)])),
  );
  assert.equal(
    body,
    "--BOUND\r\ncontent-type: text/plain\r\ncontent-range: bytes 0-1/10\r\n\r\n01" +
      "\r\n--BOUND\r\ncontent-type: text/plain\r\ncontent-range: bytes 8-9/10\r\n\r\n89" +
      "\r\n--BOUND--\r\n",
  );
  assert.equal(byteLength, new TextEncoder().encode(body).byteLength);
});

Deno.test("newBoundary() returns 24 fresh hex digits", () => {
  const a = newBoundary();
  assert.match(a, /^[0-9a-f]{24}$/);
  assert.notEqual(a, newBoundary());
});
