import assert from "node:assert/strict";
import { parseWrkBytes, parseWrkDurationMs, parseWrkOutput } from "../../bench/wrk_output.ts";

// Outputs captured from wrk 4.1.0 against the baseline servers.
const SMALL_RUN = `Running 2s test @ http://127.0.0.1:38837/1k.bin
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.17ms  656.94us  10.40ms   92.71%
    Req/Sec    22.38k     3.25k   29.03k    67.50%
  Latency Distribution
     50%    1.01ms
     75%    1.28ms
     90%    1.58ms
     99%    4.25ms
  88999 requests in 2.00s, 96.93MB read
Requests/sec:  44391.21
Transfer/sec:     48.35MB
`;

// wrk pads "s" values with a trailing space.
const SLOW_RUN = `Running 3s test @ http://127.0.0.1:42985/100m.bin
  2 threads and 10 connections
  Latency Distribution
     50%    3.13s 
     75%    3.13s 
     90%    3.13s 
     99%    3.13s 
  1 requests in 3.13s, 213.41MB read
Requests/sec:      0.32
Transfer/sec:     68.20MB
`;

const NOT_FOUND_RUN = `  Latency Distribution
     50%    3.19ms
     99%    9.61ms
  14643 requests in 1.00s, 1.86MB read
  Non-2xx or 3xx responses: 14643
Requests/sec:  14587.49
`;

const DEAD_RUN = `  Latency Distribution
     50%    0.00us
     75%    0.00us
     90%    0.00us
     99%    0.00us
  0 requests in 3.01s, 0.00B read
  Socket errors: connect 1, read 10, write 2, timeout 3
Requests/sec:      0.00
Transfer/sec:       0.00B
`;

Deno.test("parseWrkBytes() reads 1024-based units", () => {
  assert.equal(parseWrkBytes("0.00B"), 0);
  assert.equal(parseWrkBytes("1.50KB"), 1536);
  assert.equal(parseWrkBytes("2MB"), 2 * 1024 * 1024);
  assert.equal(parseWrkBytes("1.00GB"), 1024 ** 3);
  assert.throws(() => parseWrkBytes("12 MB"), SyntaxError);
  assert.throws(() => parseWrkBytes("12PB"), SyntaxError);
});

Deno.test("parseWrkDurationMs() reads us, ms, s, m and h", () => {
  assert.equal(parseWrkDurationMs("500.00us"), 0.5);
  assert.equal(parseWrkDurationMs("1.01ms"), 1.01);
  assert.equal(parseWrkDurationMs("3.13s "), 3130);
  assert.equal(parseWrkDurationMs("2m"), 120_000);
  assert.equal(parseWrkDurationMs("1h"), 3_600_000);
  assert.throws(() => parseWrkDurationMs("5 days"), SyntaxError);
});

Deno.test("parseWrkOutput() computes rates from the request and byte totals", () => {
  const result = parseWrkOutput(SMALL_RUN);
  assert.equal(result.tool, "wrk");
  assert.equal(result.requests, 88999);
  assert.equal(result.durationS, 2);
  assert.equal(result.requestsPerSec, 44499.5);
  assert.equal(result.bytesPerSec, (96.93 * 1024 * 1024) / 2);
  assert.equal(result.p50Ms, 1.01);
  assert.equal(result.p99Ms, 4.25);
  assert.equal(result.errors, 0);
});

Deno.test("parseWrkOutput() accepts percentile lines with trailing spaces", () => {
  const result = parseWrkOutput(SLOW_RUN);
  assert.equal(result.p50Ms, 3130);
  assert.equal(result.p99Ms, 3130);
  assert.equal(result.requests, 1);
});

Deno.test("parseWrkOutput() counts non-2xx/3xx responses as errors", () => {
  assert.equal(parseWrkOutput(NOT_FOUND_RUN).errors, 14643);
});

Deno.test("parseWrkOutput() sums socket errors and reports no latency without requests", () => {
  const result = parseWrkOutput(DEAD_RUN);
  assert.equal(result.errors, 16);
  assert.equal(result.requestsPerSec, 0);
  assert.ok(Number.isNaN(result.p50Ms));
  assert.ok(Number.isNaN(result.p99Ms));
});

Deno.test("parseWrkOutput() rejects output without totals or percentiles", () => {
  assert.throws(
    () => parseWrkOutput("unable to connect to 127.0.0.1:1 Connection refused"),
    SyntaxError,
  );
  assert.throws(() => parseWrkOutput("  5 requests in 1.00s, 5.00KB read\n"), /50% latency/);
});
