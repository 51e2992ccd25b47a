/**
 * @module stats
 * The result shape shared by both load tools (`load.ts`, `wrk.ts`) and the
 * pure arithmetic behind it: percentiles over latency samples and the
 * reduction of raw counters into rates.
 */

/** Which tool produced a result. */
export type LoadTool = "own" | "wrk";

/** What one load run measured. */
export interface LoadResult {
  /** The generator that measured it. */
  tool: LoadTool;
  /** Completed responses (any status). */
  requests: number;
  /** Length of the measured window in seconds. */
  durationS: number;
  /** Completed responses per second. */
  requestsPerSec: number;
  /** Bytes read from the sockets per second, headers included. */
  bytesPerSec: number;
  /** Median latency in milliseconds; NaN without samples. */
  p50Ms: number;
  /** 99th-percentile latency in milliseconds; NaN without samples. */
  p99Ms: number;
  /** Socket errors, timeouts and non-2xx/3xx responses. */
  errors: number;
}

/** Raw counters a load run collects before they become rates. */
export interface LoadTotals {
  /** Completed responses. */
  requests: number;
  /** Bytes read, headers included. */
  bytes: number;
  /** Failures of any kind. */
  errors: number;
  /** Length of the measured window in seconds. */
  durationS: number;
  /** Per-request latencies in milliseconds, in any order. */
  latenciesMs: Float64Array;
}

/**
 * Nearest-rank percentile of ascending samples.
 *
 * @param sorted Samples sorted ascending.
 * @param p The percentile, from 0 to 100.
 * @returns The smallest sample with at least `p`% of samples at or below it;
 * NaN when there are no samples.
 * @example Median of five samples
 * ```ts
 * percentile(Float64Array.of(1, 2, 3, 4, 5), 50); // 3
 * ```
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`Cannot take percentile "${p}"`);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(rank, 1) - 1];
}

/**
 * Joins per-worker latency arrays into one ascending array.
 *
 * @param parts Latency arrays from each worker.
 * @returns A new sorted array holding every sample.
 * @example Merge two workers' samples
 * ```ts
 * mergeSorted([Float64Array.of(3, 1), Float64Array.of(2)]); // Float64Array [1, 2, 3]
 * ```
 */
export function mergeSorted(parts: Float64Array[]): Float64Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const merged = new Float64Array(total);
  let offset = 0;
  for (const part of parts) {
    merged.set(part, offset);
    offset += part.length;
  }
  return merged.sort();
}

/**
 * Turns raw counters into a {@linkcode LoadResult} for our own generator.
 *
 * @param totals Counters and sorted latency samples.
 * @returns Rates and percentiles.
 * @example Summarise two requests in one second
 * ```ts
 * summarizeLoad({ requests: 2, bytes: 100, errors: 0, durationS: 1, latenciesMs: Float64Array.of(1, 2) });
 * ```
 */
export function summarizeLoad(totals: LoadTotals): LoadResult {
  const seconds = totals.durationS > 0 ? totals.durationS : NaN;
  return {
    tool: "own",
    requests: totals.requests,
    durationS: totals.durationS,
    requestsPerSec: totals.requests / seconds,
    bytesPerSec: totals.bytes / seconds,
    p50Ms: percentile(totals.latenciesMs, 50),
    p99Ms: percentile(totals.latenciesMs, 99),
    errors: totals.errors,
  };
}
