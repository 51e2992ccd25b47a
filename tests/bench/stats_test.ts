import assert from "node:assert/strict";
import { mergeSorted, percentile, summarizeLoad } from "../../bench/stats.ts";

Deno.test("percentile() uses the nearest rank", () => {
  const samples = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(samples, 50), 50);
  assert.equal(percentile(samples, 99), 99);
  assert.equal(percentile(samples, 100), 100);
  assert.equal(percentile(samples, 0), 1);
  assert.equal(percentile([7], 99), 7);
  assert.equal(percentile([1, 2, 3, 4, 5], 50), 3);
});

Deno.test("percentile() returns NaN without samples and rejects out-of-range percentiles", () => {
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.throws(() => percentile([1], 101), RangeError);
  assert.throws(() => percentile([1], NaN), RangeError);
});

Deno.test("mergeSorted() joins parts into one ascending array", () => {
  const merged = mergeSorted([Float64Array.of(3, 1), Float64Array.of(), Float64Array.of(2, 0.5)]);
  assert.deepEqual(Array.from(merged), [0.5, 1, 2, 3]);
});

Deno.test("summarizeLoad() turns totals into rates and percentiles", () => {
  const result = summarizeLoad({
    requests: 4,
    bytes: 4_000,
    errors: 1,
    durationS: 2,
    latenciesMs: Float64Array.of(1, 2, 3, 10),
  });
  assert.deepEqual(result, {
    tool: "own",
    requests: 4,
    durationS: 2,
    requestsPerSec: 2,
    bytesPerSec: 2_000,
    p50Ms: 2,
    p99Ms: 10,
    errors: 1,
  });
});

Deno.test("summarizeLoad() reports NaN rates for an empty window", () => {
  const result = summarizeLoad({
    requests: 0,
    bytes: 0,
    errors: 0,
    durationS: 0,
    latenciesMs: Float64Array.of(),
  });
  assert.ok(Number.isNaN(result.requestsPerSec));
  assert.ok(Number.isNaN(result.p50Ms));
});
