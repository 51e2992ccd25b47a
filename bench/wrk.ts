/**
 * @module wrk
 * Runs `wrk --latency` through `Deno.Command` and returns its measurements
 * in the same shape as our own generator (`load.ts`).
 */
import type { LoadOptions } from "./load.ts";
import { type LoadResult } from "./stats.ts";
import { parseWrkOutput } from "./wrk_output.ts";

/**
 * wrk threads: one, so that the load generator takes one core of the 2-core
 * bench machine and leaves the other to the server (issue 10's `wrk -t1`).
 */
export const WRK_THREADS = 1;
/**
 * wrk's own 2 s default would count every slow 100 MiB response as a
 * timeout and drop its latency, so responses may take up to this long.
 */
const MIN_WRK_TIMEOUT_S = 10;

/**
 * Reports whether `wrk` can be run.
 *
 * @returns `true` when `wrk --version` starts.
 * @example Choose a tool
 * ```ts
 * const tool = await hasWrk() ? "wrk" : "own";
 * ```
 */
export async function hasWrk(): Promise<boolean> {
  try {
    await new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds wrk's arguments: `-t1 -cN -dDs --timeout Ts --latency URL`.
 *
 * @param options URL, connections and duration.
 * @returns The argument list.
 * @example Arguments for 50 connections over 10 s
 * ```ts
 * wrkArgs({ url: "http://127.0.0.1:8000/1k.bin", connections: 50, durationS: 10 });
 * ```
 */
export function wrkArgs(options: LoadOptions): string[] {
  const timeoutS = Math.max(MIN_WRK_TIMEOUT_S, Math.ceil(options.durationS));
  return [
    `-t${Math.min(WRK_THREADS, options.connections)}`,
    `-c${options.connections}`,
    `-d${Math.max(1, Math.round(options.durationS))}s`,
    `--timeout`,
    `${timeoutS}s`,
    "--latency",
    options.url,
  ];
}

/**
 * Runs wrk against a URL.
 *
 * @param options URL, connections and duration; `workers` is ignored.
 * @returns wrk's measurements.
 * @throws {Error} When wrk exits non-zero or prints no totals.
 * @example Load a file for two seconds
 * ```ts
 * const result = await runWrk({ url: "http://127.0.0.1:8000/1k.bin", connections: 10, durationS: 2 });
 * ```
 */
export async function runWrk(options: LoadOptions): Promise<LoadResult> {
  const output = await new Deno.Command("wrk", { args: wrkArgs(options) }).output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    const reason = new TextDecoder().decode(output.stderr).trim() || text.trim();
    throw new Error(`Cannot run wrk (exit ${output.code}): ${reason}`);
  }
  return parseWrkOutput(text);
}
