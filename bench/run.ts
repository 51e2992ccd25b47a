/**
 * @module run
 * `deno task bench`: creates the fixtures, then for each server (heiretsu,
 * baseline_memory, baseline_stream) starts it on port 0, warms it up and
 * measures a 1 KiB file over many keep-alive connections and a 100 MiB file
 * over a few; heiretsu also gets slow readers while its RSS is sampled.
 * Prints a Markdown table on stdout and progress on stderr. Loopback only.
 *
 * Flags: `--duration S` (5), `--connections N` (50, 1 KiB run),
 * `--big-connections N` (10, 100 MiB run), `--only NAME[,NAME]`,
 * `--tool wrk|own` (wrk when installed), `--load-workers N` (2, own tool),
 * `--workers N` (passed to heiretsu), `--rss NAME|none` (heiretsu), `--rounds N` (3: the servers
 * take turns N times and the table shows medians, after each round's ratios, because one round
 * on a small noisy machine can be off by 10% or more).
 * Then the app benchmark (`bench/mixed.ts`): heiretsu `--app`, `deno serve --parallel` and
 * `deno serve` on the same app module; `--skip-app` leaves it out.
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createFixtures, type Fixtures } from "./fixtures.ts";
import { runLoad } from "./load.ts";
import { ServerProcess, type ServerSpec } from "./server_process.ts";
import { runSlowReaders } from "./slow_readers.ts";
import type { LoadResult, LoadTool } from "./stats.ts";
import {
  formatRoundRatios,
  formatRssLine,
  formatTable,
  medianReports,
  type RssReport,
  type ServerReport,
} from "./table.ts";
import { hasWrk, runWrk } from "./wrk.ts";
import {
  type AppServer,
  benchApp,
  formatMixedTable,
  type MixedReport,
  startDenoServe,
  startHeiretsuApp,
} from "./mixed.ts";

/** The servers compared, in the order they run. */
export const SERVERS: readonly ServerSpec[] = [
  { name: "heiretsu", script: "main.ts" },
  { name: "baseline_memory", script: "bench/baseline_memory.ts" },
  { name: "baseline_stream", script: "bench/baseline_stream.ts" },
];

/** Parsed command line of the benchmark. */
export interface BenchOptions {
  /** Seconds of each measured run. @default 5 */
  durationS: number;
  /** Connections of the 1 KiB run. @default 50 */
  connections: number;
  /** Connections of the 100 MiB run. @default 10 */
  bigConnections: number;
  /** Servers to run, in {@linkcode SERVERS} order. @default all */
  servers: ServerSpec[];
  /** Load tool; `undefined` picks wrk when installed. */
  tool?: LoadTool;
  /** Workers of our own load tool. @default 2 */
  loadWorkers: number;
  /** `--workers` for heiretsu; `undefined` keeps its default. */
  heiretsuWorkers?: number;
  /** Server measured under slow readers, if selected; `"none"` skips. @default "heiretsu" */
  rssServer: string;
  /** Leave out the app benchmark. @default false */
  skipApp: boolean;
  /** How many times the servers take turns; the table shows medians. @default 3 */
  rounds: number;
}

const WARMUP_S = 1;
const SLOW_READERS = 20;
const SLOW_READ_BYTES_PER_SEC = 1024 * 1024;
const SLOW_READ_S = 5;
const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

function positiveInteger(value: string, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new RangeError(`Cannot use ${flag} "${value}": expected a positive integer`);
  }
  return number;
}

function selectServers(only: string | undefined): ServerSpec[] {
  if (only === undefined) return [...SERVERS];
  const names = only.split(",").map((name) => name.trim());
  for (const name of names) {
    if (!SERVERS.some((spec) => spec.name === name)) {
      throw new RangeError(`Cannot run unknown server "${name}"`);
    }
  }
  return SERVERS.filter((spec) => names.includes(spec.name));
}

function parseTool(tool: string | undefined): LoadTool | undefined {
  if (tool === undefined || tool === "wrk" || tool === "own") return tool;
  throw new RangeError(`Cannot use load tool "${tool}": expected wrk or own`);
}

/**
 * Parses the benchmark's flags.
 *
 * @param args Arguments after the script name.
 * @returns The options, with defaults filled in.
 * @throws {RangeError} On a non-positive number, unknown server or tool.
 * @example Only the baselines, for 3 s
 * ```ts
 * parseBenchArgs(["--only=baseline_memory,baseline_stream", "--duration", "3"]);
 * ```
 */
export function parseBenchArgs(args: string[]): BenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      duration: { type: "string", default: "5" },
      connections: { type: "string", default: "50" },
      "big-connections": { type: "string", default: "10" },
      only: { type: "string" },
      tool: { type: "string" },
      "load-workers": { type: "string", default: "2" },
      workers: { type: "string" },
      rss: { type: "string", default: "heiretsu" },
      "skip-app": { type: "boolean", default: false },
      rounds: { type: "string", default: "3" },
    },
  });
  return {
    durationS: positiveInteger(values.duration, "--duration"),
    connections: positiveInteger(values.connections, "--connections"),
    bigConnections: positiveInteger(values["big-connections"], "--big-connections"),
    servers: selectServers(values.only),
    tool: parseTool(values.tool),
    loadWorkers: positiveInteger(values["load-workers"], "--load-workers"),
    heiretsuWorkers: values.workers === undefined
      ? undefined
      : positiveInteger(values.workers, "--workers"),
    rssServer: values.rss,
    skipApp: values["skip-app"],
    rounds: positiveInteger(values.rounds, "--rounds"),
  };
}

/** Everything one server's runs need. */
interface Context {
  options: BenchOptions;
  tool: LoadTool;
  fixtures: Fixtures;
}

function startServer(spec: ServerSpec, context: Context): Promise<ServerProcess> {
  const workers = context.options.heiretsuWorkers;
  const extraArgs = spec.name === "heiretsu" && workers !== undefined
    ? ["--workers", String(workers)]
    : [];
  return ServerProcess.start(spec, { root: context.fixtures.dir, cwd: REPO_ROOT, extraArgs });
}

/** One URL to load and how many connections to load it with. */
interface Target {
  url: string;
  connections: number;
}

async function measure(target: Target, context: Context): Promise<LoadResult> {
  const { tool, options } = context;
  const load = { ...target, workers: options.loadWorkers };
  const run = tool === "wrk" ? runWrk : runLoad;
  await run({ ...load, durationS: WARMUP_S });
  return await run({ ...load, durationS: options.durationS });
}

async function benchServer(spec: ServerSpec, context: Context): Promise<ServerReport> {
  const { fixtures, options } = context;
  const server = await startServer(spec, context);
  try {
    console.error(`${spec.name}: ${server.url}, 1 KiB file, ${options.connections} connections`);
    const smallUrl = `${server.url}/${fixtures.smallName}`;
    const small = await measure({ url: smallUrl, connections: options.connections }, context);
    console.error(`${spec.name}: 100 MiB file, ${options.bigConnections} connections`);
    const bigUrl = `${server.url}/${fixtures.bigName}`;
    const big = await measure({ url: bigUrl, connections: options.bigConnections }, context);
    return { name: spec.name, small, big };
  } finally {
    await stopServer(server);
  }
}

async function stopServer(server: ServerProcess): Promise<void> {
  const status = await server.stop();
  if (!status.success) {
    console.error(
      `${server.name}: exited with code ${status.code} (signal ${status.signal}) on SIGTERM`,
    );
  }
}

async function benchMemory(spec: ServerSpec, context: Context): Promise<RssReport> {
  const durationS = Math.min(SLOW_READ_S, context.options.durationS);
  const server = await startServer(spec, context);
  try {
    console.error(
      `${spec.name}: ${SLOW_READERS} slow readers of the 100 MiB file for ${durationS} s`,
    );
    const result = await runSlowReaders({
      url: `${server.url}/${context.fixtures.bigName}`,
      readers: SLOW_READERS,
      durationS,
      bytesPerSec: SLOW_READ_BYTES_PER_SEC,
      pid: server.pid,
    });
    return { server: spec.name, readers: SLOW_READERS, durationS, ...result };
  } finally {
    await stopServer(server);
  }
}

/** Mixed-load rate: its burns take half of a 2-core machine. */
const MIXED_REQUESTS_PER_SEC = 200;

/** The app benchmark: each app server in turn, under the same loads. */
async function benchApps(context: Context): Promise<MixedReport[]> {
  const durationS = Math.min(10, context.options.durationS);
  const rate = async (url: string) =>
    (await measure({ url, connections: context.options.connections }, context)).requestsPerSec;
  const starters: [string, () => Promise<AppServer>][] = [
    ["heiretsu", () => startHeiretsuApp({ root: context.fixtures.dir, cwd: REPO_ROOT })],
    ["deno serve --parallel", () => startDenoServe({ parallel: true, cwd: REPO_ROOT })],
    ["deno serve", () => startDenoServe({ parallel: false, cwd: REPO_ROOT })],
  ];
  const reports: MixedReport[] = [];
  for (const [name, start] of starters) {
    const report = await attempt(name, async () => {
      const server = await start();
      try {
        console.error(
          `${name}: app route, then 10% of requests burning 50 ms, ${durationS} s each`,
        );
        return await benchApp(server, { requestsPerSec: MIXED_REQUESTS_PER_SEC, durationS, rate });
      } finally {
        await server.stop();
      }
    });
    if (report) reports.push(report);
  }
  return reports;
}

/** Runs one scenario; a server that fails is reported and skipped. */
async function attempt<T>(name: string, scenario: () => Promise<T>): Promise<T | undefined> {
  try {
    return await scenario();
  } catch (error) {
    console.error(`${name}: failed: ${error instanceof Error ? error.message : error}`);
    return undefined;
  }
}

async function main(): Promise<void> {
  const options = parseBenchArgs(Deno.args);
  const tool = options.tool ?? (await hasWrk() ? "wrk" : "own");
  console.error(`Creating fixtures; load tool: ${tool}`);
  const fixtures = await createFixtures();
  const context: Context = { options, tool, fixtures };
  try {
    const rounds: ServerReport[][] = [];
    for (let round = 1; round <= options.rounds; round++) {
      if (options.rounds > 1) console.error(`Round ${round} of ${options.rounds}`);
      const reports: ServerReport[] = [];
      for (const spec of options.servers) {
        reports.push(
          await attempt(spec.name, () => benchServer(spec, context)) ?? { name: spec.name },
        );
      }
      rounds.push(reports);
    }
    if (options.rounds > 1) console.log(`${formatRoundRatios(rounds, "heiretsu")}\n`);
    const reports = medianReports(rounds);
    const rssSpec = options.servers.find((spec) => spec.name === options.rssServer);
    const rss = rssSpec && await attempt(rssSpec.name, () => benchMemory(rssSpec, context));
    console.log(formatTable(reports));
    if (rss) console.log(`\n${formatRssLine(rss)}`);
    if (!options.skipApp) console.log(`\n${formatMixedTable(await benchApps(context))}`);
  } finally {
    await Deno.remove(fixtures.dir, { recursive: true });
  }
}

if (import.meta.main) await main();
