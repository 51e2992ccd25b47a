/**
 * @module mixed
 * The mixed app benchmark: the same app module ({@linkcode MIXED_APP}) on heiretsu, on
 * `deno serve --parallel` and on a single `deno serve`, under an open-loop load where one
 * request in ten burns 50 ms of CPU; reports the latency of the fast ones: what slow handlers
 * cost everybody else. (The app route's rate and CPU cost are measured in the rounds of
 * `run.ts`, on `hello_app.ts`.)
 */
import type { RunningServer } from "./server_process.ts";
import { percentile } from "./stats.ts";

/** What the mixed benchmark reports for one server. */
export interface MixedReport {
  name: string;
  /** Latency of the fast requests in the mixed load, in ms. */
  fastP50Ms: number;
  fastP99Ms: number;
  /** Requests that failed in the mixed load. */
  errors: number;
}

/** The app module of the mixed load: it has a fast route and `/burn?ms=N`. */
export const MIXED_APP = "examples/slow.ts";
/** One request in this many burns CPU. */
const BURN_EVERY = 10;
const BURN_MS = 50;

/**
 * An open-loop load: requests start at a fixed rate whatever the server does (as real clients
 * do), and every BURN_EVERY-th one burns CPU; the latencies of the fast ones are kept. At the
 * default 200 requests/s the burns take half of a 2-core machine, so the server is busy but
 * not overloaded, and what is measured is how much the burns delay everybody else.
 *
 * @param url the server's base URL
 * @param options requests per second and duration
 * @returns fast-request latencies (ms, ascending) and the error count
 */
export async function runMixedLoad(
  url: string,
  options: { requestsPerSec: number; durationS: number },
): Promise<{ fast: number[]; errors: number }> {
  const fast: number[] = [];
  let errors = 0;
  const one = async (burn: boolean) => {
    const started = performance.now();
    try {
      const response = await fetch(burn ? `${url}/burn?ms=${BURN_MS}` : `${url}/`);
      await response.arrayBuffer();
      if (!response.ok) errors++;
      else if (!burn) fast.push(performance.now() - started);
    } catch {
      errors++;
    }
  };
  const total = Math.round(options.requestsPerSec * options.durationS);
  const intervalMs = 1000 / options.requestsPerSec;
  const begin = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = begin + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(one(i % BURN_EVERY === 0));
  }
  await Promise.all(inFlight);
  return { fast: fast.sort((a, b) => a - b), errors };
}

/**
 * Measures one app server under the mixed load.
 *
 * @param server the running server, started on {@linkcode MIXED_APP}
 * @param options load shape
 * @returns the report
 * @example
 * ```ts
 * const report = await benchApp(server, { requestsPerSec: 200, durationS: 5 });
 * ```
 */
export async function benchApp(
  server: RunningServer,
  options: { requestsPerSec: number; durationS: number },
): Promise<MixedReport> {
  const mixed = await runMixedLoad(server.url, options);
  return {
    name: server.name,
    fastP50Ms: percentile(mixed.fast, 50),
    fastP99Ms: percentile(mixed.fast, 99),
    errors: mixed.errors,
  };
}

/**
 * The Markdown table of the app benchmark.
 *
 * @param reports one per server
 * @returns the table
 * @example
 * ```ts
 * import { formatMixedTable } from "./mixed.ts";
 * console.log(formatMixedTable([{ name: "x", fastP50Ms: 1, fastP99Ms: 2, errors: 0 }]));
 * ```
 */
export function formatMixedTable(reports: MixedReport[]): string {
  const rows = reports.map((r) =>
    `| ${r.name} | ${r.fastP50Ms.toFixed(2)} ms | ${r.fastP99Ms.toFixed(2)} ms | ${r.errors} |`
  );
  return [
    `| app server | fast p50 with 10% ${BURN_MS} ms burns | fast p99 | errors |`,
    "| --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}
