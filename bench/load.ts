/**
 * @module load
 * Our own HTTP/1.1 load generator, used when `wrk` is not installed: N
 * keep-alive connections spread over a few Web Workers hammer one URL for a
 * bounded time; the result has the same shape as `wrk.ts`'s.
 *
 * Usage: `deno run --allow-net --allow-read bench/load.ts URL [--connections 50] [--duration 10] [--workers 2]`
 */
import { parseArgs } from "node:util";
import type { FromLoadWorker } from "./load_protocol.ts";
import { type LoadResult, mergeSorted, summarizeLoad } from "./stats.ts";

/** How to load a URL. */
export interface LoadOptions {
  /** Absolute `http:` URL to request. */
  url: string;
  /** Keep-alive connections, spread over the workers. */
  connections: number;
  /** Seconds to keep sending requests. */
  durationS: number;
  /** Web Workers to spread connections over; the bench machine has 2 cores. @default 2 */
  workers?: number;
}

/** Default number of load workers: one per core of the 2-core bench machine. */
export const DEFAULT_LOAD_WORKERS = 2;
/** Extra time a worker gets past the run to report before the run fails. */
const REPORT_GRACE_MS = 10_000;
/**
 * How long a worker may take to load and say it is ready, before the run starts. A first run
 * type-checks the worker module, which takes seconds on a busy machine: this wait is not part of
 * the measured run, so it gets its own, looser bound.
 */
const WORKER_READY_TIMEOUT_MS = 120_000;

/**
 * Splits `total` items over `parts` buckets as evenly as possible.
 *
 * @param total Items to split.
 * @param parts Number of buckets; empty buckets are dropped.
 * @returns The non-zero bucket sizes, larger first.
 * @example Split 5 connections over 2 workers
 * ```ts
 * splitEvenly(5, 2); // [3, 2]
 * ```
 */
export function splitEvenly(total: number, parts: number): number[] {
  const shares = Array.from(
    { length: parts },
    (_, i) => Math.floor((total + parts - 1 - i) / parts),
  );
  return shares.filter((share) => share > 0);
}

function nextMessage(worker: Worker, timeoutMs: number): Promise<FromLoadWorker> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("Load worker did not answer in time")),
      timeoutMs,
    );
    worker.onmessage = (event: MessageEvent<FromLoadWorker>) => {
      clearTimeout(timer);
      resolve(event.data);
    };
    worker.onerror = (event) => {
      clearTimeout(timer);
      event.preventDefault();
      reject(new Error(`Load worker failed: ${event.message}`));
    };
  });
}

/** A load worker and the connections it is to open. */
interface Share {
  worker: Worker;
  connections: number;
}

async function runWorkers(shares: Share[], options: LoadOptions) {
  const durationMs = options.durationS * 1_000;
  const ready = await Promise.all(
    shares.map(({ worker }) => nextMessage(worker, WORKER_READY_TIMEOUT_MS)),
  );
  const done = shares.map(({ worker, connections }) => {
    const reply = nextMessage(worker, durationMs + REPORT_GRACE_MS);
    worker.postMessage({ kind: "start", url: options.url, connections, durationMs });
    return reply;
  });
  const replies = [...ready, ...await Promise.all(done)];
  const failure = replies.find((reply) => reply.kind === "failed");
  if (failure !== undefined) throw new Error(failure.message);
  return replies.filter((reply) => reply.kind === "done");
}

/**
 * Runs the load and measures it.
 *
 * @param options URL, connections, duration and worker count.
 * @returns Requests/s, bytes/s, p50/p99 latency and errors.
 * @example Ten connections for two seconds
 * ```ts
 * const result = await runLoad({ url: "http://127.0.0.1:8000/1k.bin", connections: 10, durationS: 2 });
 * ```
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const workerUrl = new URL("./load_worker.ts", import.meta.url).href;
  const shares = splitEvenly(options.connections, options.workers ?? DEFAULT_LOAD_WORKERS)
    .map((connections) => ({ worker: new Worker(workerUrl, { type: "module" }), connections }));
  try {
    const reports = await runWorkers(shares, options);
    return summarizeLoad({
      requests: reports.reduce((sum, report) => sum + report.requests, 0),
      bytes: reports.reduce((sum, report) => sum + report.bytes, 0),
      errors: reports.reduce((sum, report) => sum + report.errors, 0),
      durationS: Math.max(...reports.map((report) => report.elapsedMs)) / 1_000,
      latenciesMs: mergeSorted(reports.map((report) => report.latenciesMs)),
    });
  } finally {
    for (const { worker } of shares) worker.terminate();
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      connections: { type: "string", default: "50" },
      duration: { type: "string", default: "10" },
      workers: { type: "string", default: String(DEFAULT_LOAD_WORKERS) },
    },
  });
  if (positionals.length !== 1) {
    throw new TypeError("Usage: load.ts URL [--connections N] [--duration S]");
  }
  const result = await runLoad({
    url: positionals[0],
    connections: Number(values.connections),
    durationS: Number(values.duration),
    workers: Number(values.workers),
  });
  console.log(JSON.stringify(result, null, 2));
}

if (import.meta.main) await main();
