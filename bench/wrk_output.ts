/**
 * @module wrk_output
 * Parses the text `wrk --latency` prints into a {@linkcode LoadResult}.
 * wrk writes sizes with 1024-based units (B, KB, MB, GB, TB) and times with
 * us, ms, s, m and h.
 */
import type { LoadResult } from "./stats.ts";

const BYTE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
};

const TIME_UNITS_MS: Record<string, number> = {
  us: 0.001,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Converts a wrk size such as `"96.93MB"` to bytes.
 *
 * @param text A number followed by a 1024-based unit.
 * @returns The size in bytes.
 * @example Parse kilobytes
 * ```ts
 * parseWrkBytes("1.50KB"); // 1536
 * ```
 */
export function parseWrkBytes(text: string): number {
  const match = /^([\d.]+)([KMGT]?B)$/.exec(text.trim());
  if (match === null) throw new SyntaxError(`Cannot parse wrk size "${text}"`);
  return Number(match[1]) * BYTE_UNITS[match[2]];
}

/**
 * Converts a wrk duration such as `"635.91us"` to milliseconds.
 *
 * @param text A number followed by us, ms, s, m or h.
 * @returns The duration in milliseconds.
 * @example Parse microseconds
 * ```ts
 * parseWrkDurationMs("500.00us"); // 0.5
 * ```
 */
export function parseWrkDurationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (match === null) throw new SyntaxError(`Cannot parse wrk duration "${text}"`);
  return Number(match[1]) * TIME_UNITS_MS[match[2]];
}

/** The lines read from wrk's output, named for error messages. */
const LINES = {
  "the request totals": /(\d+) requests in ([\d.]+\w+), ([\d.]+[KMGT]?B) read/,
  // wrk pads some values with a trailing space.
  "the 50% latency": /^\s*50%\s+(\S+)\s*$/m,
  "the 99% latency": /^\s*99%\s+(\S+)\s*$/m,
} as const;

function requireMatch(text: string, line: keyof typeof LINES): RegExpExecArray {
  const match = LINES[line].exec(text);
  if (match === null) throw new SyntaxError(`Cannot find ${line} in wrk output`);
  return match;
}

function countErrors(text: string): number {
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const status = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  const socketErrors = socket === null ? 0 : socket.slice(1).reduce((sum, n) => sum + Number(n), 0);
  return socketErrors + (status === null ? 0 : Number(status[1]));
}

/**
 * Parses the full output of `wrk --latency`.
 *
 * @param text wrk's standard output.
 * @returns The measured rates, percentiles and error count. Rates come from
 * the request and byte totals over the run time, which wrk prints with more
 * precision than its per-second lines. Without completed requests the
 * percentiles are NaN (wrk prints zeros then).
 * @example Parse a saved run
 * ```ts
 * const result = parseWrkOutput(Deno.readTextFileSync("wrk.txt"));
 * ```
 */
export function parseWrkOutput(text: string): LoadResult {
  const totals = requireMatch(text, "the request totals");
  const durationS = parseWrkDurationMs(totals[2]) / 1_000;
  const requests = Number(totals[1]);
  return {
    tool: "wrk",
    requests,
    durationS,
    requestsPerSec: requests / durationS,
    bytesPerSec: parseWrkBytes(totals[3]) / durationS,
    p50Ms: requests === 0 ? NaN : parseWrkDurationMs(requireMatch(text, "the 50% latency")[1]),
    p99Ms: requests === 0 ? NaN : parseWrkDurationMs(requireMatch(text, "the 99% latency")[1]),
    errors: countErrors(text),
  };
}
