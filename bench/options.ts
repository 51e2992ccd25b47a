/**
 * @module options
 * The command line of `deno task bench` (`run.ts`): flags, their defaults
 * and their checks.
 */
import { parseArgs } from "node:util";
import { BENCH_SERVERS } from "./servers.ts";
import type { LoadTool } from "./stats.ts";

/** Parsed command line of the benchmark. */
export interface BenchOptions {
  /** Seconds of each measured run. @default 5 */
  durationS: number;
  /** Connections of the 1 KiB and app runs. @default 50 */
  connections: number;
  /** Connections of the 100 MiB run. @default 10 */
  bigConnections: number;
  /** Names of the servers to run (see `servers.ts`). @default all */
  servers: string[];
  /** Run the I/O threads scenario (`io_threads.ts`). @default true, false when `--only` leaves it out */
  ioThreads: boolean;
  /** Load tool; `undefined` picks wrk when installed. */
  tool?: LoadTool;
  /** Workers of our own load tool. @default 2 */
  loadWorkers: number;
  /** `--workers` for heiretsu; `undefined` keeps its default. */
  heiretsuWorkers?: number;
  /** Server measured under slow readers, if selected; `"none"` skips. @default "heiretsu" */
  rssServer: string;
  /** Leave out the app routes and the mixed app load. @default false */
  skipApp: boolean;
  /**
   * Only the app routes (plain and Hono): no files, slow readers, mixed load or WebSocket echo.
   * @default false
   */
  appsOnly: boolean;
  /** How many times the servers take turns; the tables show medians. @default 3 */
  rounds: number;
}

function positiveInteger(value: string, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new RangeError(`Cannot use ${flag} "${value}": expected a positive integer`);
  }
  return number;
}

/** The `--only` name of the I/O threads scenario, which is no server of `servers.ts`. */
export const IO_THREADS_SCENARIO = "io-threads";

function selectServers(only: string | undefined): string[] {
  const known = BENCH_SERVERS.map((spec) => spec.name);
  if (only === undefined) return [...known, IO_THREADS_SCENARIO];
  const names = only.split(",").map((name) => name.trim());
  for (const name of names) {
    if (!known.includes(name) && name !== IO_THREADS_SCENARIO) {
      throw new RangeError(
        `Cannot run unknown server "${name}": expected one of ${known},${IO_THREADS_SCENARIO}`,
      );
    }
  }
  return [...known, IO_THREADS_SCENARIO].filter((name) => names.includes(name));
}

function parseTool(tool: string | undefined): LoadTool | undefined {
  if (tool === undefined || tool === "wrk" || tool === "own") return tool;
  throw new RangeError(`Cannot use load tool "${tool}": expected wrk or own`);
}

const FLAGS = {
  duration: { type: "string", default: "5" },
  connections: { type: "string", default: "50" },
  "big-connections": { type: "string", default: "10" },
  only: { type: "string" },
  tool: { type: "string" },
  "load-workers": { type: "string", default: "2" },
  workers: { type: "string" },
  rss: { type: "string", default: "heiretsu" },
  "skip-app": { type: "boolean", default: false },
  "apps-only": { type: "boolean", default: false },
  rounds: { type: "string", default: "3" },
} as const;

/**
 * Parses the benchmark's flags.
 *
 * @param args Arguments after the script name.
 * @returns The options, with defaults filled in.
 * @throws {RangeError} On a non-positive number, unknown server or tool, or both
 *   --skip-app and --apps-only.
 * @example Only the baselines, for 3 s
 * ```ts
 * parseBenchArgs(["--only=baseline_memory,nginx_1", "--duration", "3"]);
 * ```
 * @example Only the I/O threads scenario, 3 rounds
 * ```ts
 * parseBenchArgs(["--only", "io-threads", "--rounds", "3"]).ioThreads; // true
 * ```
 */
export function parseBenchArgs(args: string[]): BenchOptions {
  const { values } = parseArgs({ args, options: FLAGS });
  if (values["skip-app"] && values["apps-only"]) {
    throw new RangeError("Cannot use --skip-app with --apps-only: pick one");
  }
  const selected = selectServers(values.only);
  return {
    durationS: positiveInteger(values.duration, "--duration"),
    connections: positiveInteger(values.connections, "--connections"),
    bigConnections: positiveInteger(values["big-connections"], "--big-connections"),
    servers: selected.filter((name) => name !== IO_THREADS_SCENARIO),
    ioThreads: selected.includes(IO_THREADS_SCENARIO) && !values["apps-only"],
    tool: parseTool(values.tool),
    loadWorkers: positiveInteger(values["load-workers"], "--load-workers"),
    heiretsuWorkers: values.workers === undefined
      ? undefined
      : positiveInteger(values.workers, "--workers"),
    rssServer: values.rss,
    skipApp: values["skip-app"],
    appsOnly: values["apps-only"],
    rounds: positiveInteger(values.rounds, "--rounds"),
  };
}
