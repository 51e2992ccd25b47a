/**
 * @module measure
 * One measured load run against a running server — a warm-up, then the load
 * between two readings of the server's CPU time (`cpu_sampler.ts`) — and what
 * every scenario of `run.ts` and `io_threads.ts` does around it: start a
 * server for a body and always stop it, and report and skip a scenario that fails.
 */
import { cpuCost } from "./cpu_cost.ts";
import { sampleCpu } from "./cpu_sampler.ts";
import { runLoad } from "./load.ts";
import { type Measured, unitsOf } from "./report.ts";
import type { RunningServer } from "./server_process.ts";
import type { LoadTool } from "./stats.ts";
import { runWrk } from "./wrk.ts";

/** Seconds of load before each measured run, not measured. */
export const WARMUP_S = 1;

/** How to load a server: the tool and how long. */
export interface LoadPlan {
  /** wrk, or our own generator (`load.ts`, plain HTTP only). */
  tool: LoadTool;
  /** Seconds of the measured run. */
  durationS: number;
  /** Web Workers of our own generator; wrk ignores it. */
  loadWorkers: number;
}

/** One URL to load, how many connections to load it with, and what its CPU is divided by. */
export interface Target {
  url: string;
  connections: number;
  unit: "request" | "MiB";
}

/**
 * Warms a server up for {@linkcode WARMUP_S}, then loads it while its CPU time is read.
 *
 * @param target URL, connections and the unit CPU time is divided by.
 * @param options The server, and how to load it.
 * @returns The load's figures, with the CPU cost per unit where `/proc` can be read.
 * @example
 * ```ts
 * const target = { url: `${server.url}/1k.bin`, connections: 50, unit: "request" as const };
 * const measured = await measure(target, { server, plan: { tool: "wrk", durationS: 5, loadWorkers: 2 } });
 * ```
 */
export async function measure(
  target: Target,
  options: { server: RunningServer; plan: LoadPlan },
): Promise<Measured> {
  const { server, plan } = options;
  const load = { url: target.url, connections: target.connections, workers: plan.loadWorkers };
  const run = plan.tool === "wrk" ? runWrk : runLoad;
  await run({ ...load, durationS: WARMUP_S });
  const { value, cpu } = await sampleCpu(
    server.pid,
    () => run({ ...load, durationS: plan.durationS }),
  );
  return cpu === undefined ? value : { ...value, cpu: cpuCost(cpu, unitsOf(value, target.unit)) };
}

/**
 * Runs one scenario; a server that fails is reported on stderr and skipped.
 *
 * @param name The server or scenario, for the message.
 * @param scenario What to run.
 * @returns What it returned, or `undefined` when it threw.
 * @example
 * ```ts
 * const measured = await attempt("heiretsu", () => measure(target, { server, plan }));
 * ```
 */
export async function attempt<T>(name: string, scenario: () => Promise<T>): Promise<T | undefined> {
  try {
    return await scenario();
  } catch (error) {
    console.error(`${name}: failed: ${error instanceof Error ? error.message : error}`);
    return undefined;
  }
}

/**
 * Starts a server, runs `body` with it and stops it, whether `body` succeeds or throws.
 *
 * @param start Starts the server.
 * @param body What to do while it runs.
 * @returns What `body` returned.
 * @example
 * ```ts
 * await withServer(() => ServerProcess.start(spec, options), (server) => measure(target, { server, plan }));
 * ```
 */
export async function withServer<T>(
  start: () => Promise<RunningServer>,
  body: (server: RunningServer) => Promise<T>,
): Promise<T> {
  const server = await start();
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}
