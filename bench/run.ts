/**
 * @module run
 * `deno task bench`: creates the fixtures, then in each round starts every
 * server in turn on loopback (`servers.ts`), warms it up and measures the
 * scenarios it serves — a 1 KiB file over many keep-alive connections, a
 * 100 MiB file over a few, the app route of `hello_app.ts` and the same answer
 * from a Hono app (`hono_app.ts`) — reading the
 * server's CPU time from `/proc` around each measured run. Prints Markdown
 * tables of medians on stdout (progress on stderr), then heiretsu's memory
 * under slow readers and the mixed app load (`mixed.ts`).
 *
 * Then, unless `--only` leaves it out, the I/O threads scenario (`io_threads.ts`:
 * heiretsu with `--io-threads 1` and `2`, plain and over TLS beside `Deno.serve`).
 *
 * Flags: `--duration S` (5), `--connections N` (50, 1 KiB and app runs),
 * `--big-connections N` (10, 100 MiB run), `--only NAME[,NAME]` (servers of `servers.ts`,
 * and `io-threads` for that scenario: `--only io-threads` runs it alone),
 * `--tool wrk|own` (wrk when installed), `--load-workers N` (2, own tool),
 * `--workers N` (passed to heiretsu), `--rss NAME|none` (heiretsu), `--rounds N` (3: the servers
 * take turns N times and the table shows medians, after each round's ratios, because one round
 * on a small noisy machine can be off by 10% or more), `--skip-app` (no app route, no mixed load,
 * no WebSocket echo: `ws_echo.ts`), `--apps-only` (the app routes alone).
 */
import { fileURLToPath } from "node:url";
import { canSampleCpu } from "./cpu_sampler.ts";
import { createFixtures, type Fixtures } from "./fixtures.ts";
import { benchIoThreads } from "./io_threads.ts";
import { attempt, type LoadPlan, measure, WARMUP_S, withServer } from "./measure.ts";
import { benchApp, formatMixedTable, MIXED_APP, type MixedReport } from "./mixed.ts";
import { findNginx } from "./nginx.ts";
import { type BenchOptions, parseBenchArgs } from "./options.ts";
import { type Measured, medianReports, SCENARIOS, type ServerReport } from "./report.ts";
import { BENCH_SERVERS, type BenchServer, type StartContext } from "./servers.ts";
import { runSlowReaders } from "./slow_readers.ts";
import { benchEcho, formatEchoTable } from "./ws_echo.ts";
import type { LoadTool } from "./stats.ts";
import {
  formatRoundRatios,
  formatRssLine,
  formatScenarioTable,
  formatThreadLines,
  formatVersusTable,
  type RssReport,
} from "./table.ts";
import { hasWrk, WRK_THREADS } from "./wrk.ts";

/** The app modules whose route the rounds measure: the plain one, and the same answer from Hono. */
const APP_ROUTES = [
  { scenario: "app", module: "bench/hello_app.ts", what: "app route" },
  { scenario: "hono", module: "bench/hono_app.ts", what: "Hono route" },
] as const;
const SLOW_READERS = 20;
const SLOW_READ_BYTES_PER_SEC = 1024 * 1024;
const SLOW_READ_S = 5;
/** Mixed-load rate: its burns take half of a 2-core machine. */
const MIXED_REQUESTS_PER_SEC = 200;
/** Longest mixed load, whatever `--duration` says. */
const MAX_MIXED_S = 10;
const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Everything a round needs. */
interface Context {
  options: BenchOptions;
  tool: LoadTool;
  /** The tool, the run's length and the generator's workers. */
  plan: LoadPlan;
  fixtures: Fixtures;
  start: StartContext;
}

async function benchFiles(spec: BenchServer, context: Context, report: ServerReport) {
  const { options, start, fixtures } = context;
  await withServer(() => spec.startFiles!(start), async (server) => {
    console.error(`${spec.name}: ${server.url}, 1 KiB file, ${options.connections} connections`);
    const small = { url: `${server.url}/${fixtures.smallName}`, connections: options.connections };
    report.small = await measure({ ...small, unit: "request" }, { server, plan: context.plan });
    if (spec.smallOnly) return;
    console.error(`${spec.name}: 100 MiB file, ${options.bigConnections} connections`);
    const big = { url: `${server.url}/${fixtures.bigName}`, connections: options.bigConnections };
    report.big = await measure({ ...big, unit: "MiB" }, { server, plan: context.plan });
  });
}

async function benchAppRoute(
  spec: BenchServer,
  route: typeof APP_ROUTES[number],
  context: Context,
): Promise<Measured> {
  const { options, start } = context;
  return await withServer(() => spec.startApp!(start, route.module), (server) => {
    console.error(`${spec.name}: ${server.url}, ${route.what}, ${options.connections} connections`);
    const target = { url: `${server.url}/`, connections: options.connections };
    return measure({ ...target, unit: "request" }, { server, plan: context.plan });
  });
}

async function benchRound(servers: BenchServer[], context: Context): Promise<ServerReport[]> {
  const reports: ServerReport[] = [];
  for (const spec of servers) {
    const report: ServerReport = { name: spec.name, label: spec.label };
    if (spec.startFiles && !context.options.appsOnly) {
      await attempt(spec.name, () => benchFiles(spec, context, report));
    }
    for (const route of spec.startApp && !context.options.skipApp ? APP_ROUTES : []) {
      const measured = await attempt(spec.name, () => benchAppRoute(spec, route, context));
      if (measured) report[route.scenario] = measured;
    }
    reports.push(report);
  }
  return reports;
}

async function benchMemory(spec: BenchServer, context: Context): Promise<RssReport> {
  const durationS = Math.min(SLOW_READ_S, context.options.durationS);
  return await withServer(() => spec.startFiles!(context.start), async (server) => {
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
  });
}

/** The mixed app load: each app server in turn. */
async function benchMixed(servers: BenchServer[], context: Context): Promise<MixedReport[]> {
  const durationS = Math.min(MAX_MIXED_S, context.options.durationS);
  const reports: MixedReport[] = [];
  for (const spec of servers.filter((server) => server.startApp)) {
    const report = await attempt(
      spec.name,
      () =>
        withServer(() => spec.startApp!(context.start, MIXED_APP), (server) => {
          console.error(`${spec.name}: 10% of requests burning 50 ms, ${durationS} s`);
          return benchApp(server, { requestsPerSec: MIXED_REQUESTS_PER_SEC, durationS });
        }),
    );
    if (report) reports.push({ ...report, name: spec.label });
  }
  return reports;
}

function loadLine(context: Context): string {
  const { options, tool } = context;
  const generator = tool === "wrk"
    ? `wrk -t${WRK_THREADS} -c${options.connections} (100 MiB: -c${options.bigConnections})`
    : `bench/load.ts, ${options.loadWorkers} workers, ${options.connections} connections ` +
      `(100 MiB: ${options.bigConnections})`;
  const rounds = options.rounds > 1 ? `medians of ${options.rounds} rounds` : "one round";
  return `Load: ${generator}, ${options.durationS} s runs after ${WARMUP_S} s of warm-up, ${rounds}.`;
}

/** The CPUs and, where Linux tells, the load average when the run began: others' work shows. */
async function machineLine(): Promise<string> {
  let load = "";
  try {
    const minute = (await Deno.readTextFile("/proc/loadavg")).split(" ")[0];
    load = `, load average ${minute} when the run began`;
  } catch {
    // Not Linux: the CPU count alone.
  }
  return `Machine: ${navigator.hardwareConcurrency} CPUs${load}.`;
}

function printTables(reports: ServerReport[]): void {
  for (const scenario of Object.keys(SCENARIOS) as (keyof typeof SCENARIOS)[]) {
    const table = formatScenarioTable(reports, scenario);
    if (table === undefined) continue;
    const { title, unit } = SCENARIOS[scenario];
    console.log(`\n### ${title}\n\n${table}`);
    const threads = formatThreadLines(reports, scenario);
    if (threads !== "") console.log(`\nCPU by thread, µs/${unit}:\n\n${threads}`);
  }
  const versus = formatVersusTable(reports, "heiretsu");
  if (versus !== undefined) console.log(`\n### heiretsu against each baseline\n\n${versus}`);
}

async function prepare(options: BenchOptions) {
  const tool = options.tool ?? (await hasWrk() ? "wrk" : "own");
  const nginx = await findNginx();
  const notes: string[] = [];
  let servers = BENCH_SERVERS.filter((spec) => options.servers.includes(spec.name));
  if (nginx === undefined && servers.some((spec) => spec.nginx)) {
    servers = servers.filter((spec) => !spec.nginx);
    notes.push("nginx is not installed (`apt-get install nginx`): its rows are left out.");
  }
  if (!await canSampleCpu()) notes.push("CPU columns need Linux's /proc: n/a here.");
  return { tool, nginx, servers, notes };
}

/** What runs after the rounds: memory under slow readers, the mixed app load, WebSocket echo. */
async function benchExtras(servers: BenchServer[], context: Context): Promise<void> {
  const { options } = context;
  const rssSpec = servers.find((spec) => spec.name === options.rssServer && spec.startFiles);
  const rss = rssSpec && await attempt(rssSpec.name, () => benchMemory(rssSpec, context));
  if (rss) console.log(`\n${formatRssLine(rss)}`);
  if (!options.skipApp) {
    console.log(
      `\n### Mixed app load\n\n${formatMixedTable(await benchMixed(servers, context))}`,
    );
    const echo = { clients: options.connections, durationS: options.durationS, cwd: REPO_ROOT };
    const reports = await attempt(
      "ws_echo",
      () => benchEcho({ ...echo, workers: options.heiretsuWorkers }),
    );
    if (reports) {
      console.log(`\n### WebSocket echo, 1 KiB messages\n\n${formatEchoTable(reports)}`);
    }
  }
}

/** The rounds of every selected server, their tables, then what runs after the rounds. */
async function benchServers(servers: BenchServer[], context: Context): Promise<void> {
  const { options } = context;
  const rounds: ServerReport[][] = [];
  for (let round = 1; round <= options.rounds; round++) {
    if (options.rounds > 1) console.error(`Round ${round} of ${options.rounds}`);
    rounds.push(await benchRound(servers, context));
  }
  const ratios = formatRoundRatios(rounds, "heiretsu");
  if (options.rounds > 1 && ratios !== "") console.log(`\n${ratios}`);
  printTables(medianReports(rounds));
  if (!options.appsOnly) await benchExtras(servers, context);
}

async function main(): Promise<void> {
  const options = parseBenchArgs(Deno.args);
  const machine = await machineLine();
  const { tool, nginx, servers, notes } = await prepare(options);
  console.error(`Creating fixtures; load tool: ${tool}; nginx: ${nginx ?? "not installed"}`);
  const fixtures = await createFixtures();
  const start = { root: fixtures.dir, cwd: REPO_ROOT, heiretsuWorkers: options.heiretsuWorkers };
  const plan = { tool, durationS: options.durationS, loadWorkers: options.loadWorkers };
  const context: Context = { options, tool, plan, fixtures, start: { ...start, nginx } };
  try {
    console.log(`${machine}\n${loadLine(context)}`);
    if (servers.length > 0) await benchServers(servers, context);
    if (options.ioThreads) {
      const io = { plan, connections: options.connections, rounds: options.rounds, fixtures };
      const workers = options.heiretsuWorkers;
      console.log(`\n${await benchIoThreads({ ...io, cwd: REPO_ROOT, heiretsuWorkers: workers })}`);
    }
    for (const note of notes) console.log(`\n${note}`);
  } finally {
    await Deno.remove(fixtures.dir, { recursive: true });
  }
}

if (import.meta.main) await main();
