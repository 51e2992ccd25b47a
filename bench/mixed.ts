/**
 * @module mixed
 * The app benchmark: the same app module (`examples/slow.ts`) on heiretsu, on
 * `deno serve --parallel` and on a single `deno serve`. Measures the requests/s of a small app
 * route, then a mixed open-loop load where one request in ten burns 50 ms of CPU, and reports
 * the latency of the fast ones: what slow handlers cost everybody else.
 */
import { percentile } from "./stats.ts";
import { ServerProcess } from "./server_process.ts";

/** How to start one app server and where it listens. */
export interface AppServer {
  name: string;
  url: string;
  stop(): Promise<void>;
}

/** What the mixed benchmark reports for one server. */
export interface MixedReport {
  name: string;
  /** Requests/s of the fast app route alone. */
  appRequestsPerSec: number;
  /** Latency of the fast requests in the mixed load, in ms. */
  fastP50Ms: number;
  fastP99Ms: number;
  /** Requests that failed in the mixed load. */
  errors: number;
}

const APP = "examples/slow.ts";
/** One request in this many burns CPU. */
const BURN_EVERY = 10;
const BURN_MS = 50;

/**
 * Starts heiretsu with the app (files from `root` come first, as in production).
 *
 * @param options the fixtures folder and the repository folder
 * @returns the running server
 */
export async function startHeiretsuApp(options: { root: string; cwd: string }): Promise<AppServer> {
  const server = await ServerProcess.start({ name: "heiretsu", script: "main.ts" }, {
    ...options,
    extraArgs: ["--app", APP],
  });
  return { name: "heiretsu", url: server.url, stop: async () => void await server.stop() };
}

/**
 * Starts `deno serve` on the app, with `--parallel` or not.
 *
 * @param options whether to run one instance per CPU, and the repository folder
 * @returns the running server, once it answers
 */
export async function startDenoServe(
  options: { parallel: boolean; cwd: string },
): Promise<AppServer> {
  const port = freePort();
  const args = ["serve", "--allow-net", "--host", "127.0.0.1", "--port", String(port)];
  if (options.parallel) args.push("--parallel");
  const child = new Deno.Command(Deno.execPath(), {
    args: [...args, APP],
    cwd: options.cwd,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(url);
  const name = options.parallel ? "deno serve --parallel" : "deno serve";
  return {
    name,
    url,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

async function waitUntilAnswering(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/`);
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer within 20 s`);
}

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
 * Measures one app server: the fast route's rate, then the mixed load.
 *
 * @param server the running server
 * @param options load shape and a function measuring requests/s of a URL
 * @returns the report
 */
export async function benchApp(
  server: AppServer,
  options: { requestsPerSec: number; durationS: number; rate: (url: string) => Promise<number> },
): Promise<MixedReport> {
  const appRequestsPerSec = await options.rate(`${server.url}/`);
  const mixed = await runMixedLoad(server.url, options);
  return {
    name: server.name,
    appRequestsPerSec,
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
 * console.log(formatMixedTable([{ name: "x", appRequestsPerSec: 1000, fastP50Ms: 1, fastP99Ms: 2, errors: 0 }]));
 * ```
 */
export function formatMixedTable(reports: MixedReport[]): string {
  const rows = reports.map((r) =>
    `| ${r.name} | ${Math.round(r.appRequestsPerSec)} | ${r.fastP50Ms.toFixed(2)} ms | ${
      r.fastP99Ms.toFixed(2)
    } ms | ${r.errors} |`
  );
  return [
    `| app server | fast route req/s | fast p50 with 10% ${BURN_MS} ms burns | fast p99 | errors |`,
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}
