/**
 * @module report
 * What one benchmark round measured per server and scenario, the scenarios'
 * units and references, and the medians over rounds that the tables show.
 */
import { type CpuCost, medianCost } from "./cpu_cost.ts";
import { type LoadResult, percentile } from "./stats.ts";

/** The measured scenarios: the 1 KiB file, the 100 MiB file, the plain app route, the Hono route. */
export type Scenario = "small" | "big" | "app" | "hono";

/** What a scenario measures and against which server. */
export interface ScenarioInfo {
  /** Heading of its table. */
  title: string;
  /** Short name in ratio lines, e.g. `"1 KiB"`. */
  short: string;
  /** What CPU time is divided by. */
  unit: "request" | "MiB";
  /** Name of the server whose figures are 1.00×. */
  reference: string;
}

/** The scenarios, in the order of the tables. */
export const SCENARIOS: Record<Scenario, ScenarioInfo> = {
  small: {
    title: "1 KiB file, keep-alive",
    short: "1 KiB",
    unit: "request",
    reference: "baseline_memory",
  },
  big: { title: "100 MiB file", short: "100 MiB", unit: "MiB", reference: "baseline_stream" },
  app: {
    title: 'App route (`new Response("hello\\n")`)',
    short: "app",
    unit: "request",
    reference: "deno_serve",
  },
  hono: {
    title: 'Hono route (`app.get("/", (c) => c.text("hello\\n"))`)',
    short: "hono",
    unit: "request",
    reference: "deno_serve",
  },
};

/** One load run and the server's CPU cost per unit over it. */
export interface Measured extends LoadResult {
  /** CPU per unit of the scenario; `undefined` where `/proc` cannot be read. */
  cpu?: CpuCost;
}

/** Results of one server, by scenario; a scenario it did not run is absent. */
export interface ServerReport {
  /** Server name, e.g. `"heiretsu"`. */
  name: string;
  /** Name in the tables. @default name */
  label?: string;
  /** The 1 KiB file over many keep-alive connections. */
  small?: Measured;
  /** The 100 MiB file over a few connections. */
  big?: Measured;
  /** The plain app route (`hello_app.ts`). */
  app?: Measured;
  /** The Hono route (`hono_app.ts`). */
  hono?: Measured;
}

const MIB = 1024 * 1024;

/**
 * The units of work a run did in a scenario's unit.
 *
 * @param load The run.
 * @param unit Requests or MiB.
 * @returns Completed requests, or MiB read (headers included, which is noise next to 100 MiB).
 * @example
 * ```ts
 * unitsOf({ ...load, requests: 40 }, "request"); // 40
 * ```
 */
export function unitsOf(load: LoadResult, unit: ScenarioInfo["unit"]): number {
  return unit === "request" ? load.requests : (load.bytesPerSec * load.durationS) / MIB;
}

/**
 * A load run's rate in its scenario's unit.
 *
 * @param load The run.
 * @param unit Requests or MiB.
 * @returns Requests/s or MiB/s.
 * @example
 * ```ts
 * rateOf({ ...load, bytesPerSec: 2 * 1024 * 1024 }, "MiB"); // 2
 * ```
 */
export function rateOf(load: LoadResult, unit: ScenarioInfo["unit"]): number {
  return unit === "request" ? load.requestsPerSec : load.bytesPerSec / MIB;
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/**
 * The median of each figure of a server's runs in one scenario; errors are summed.
 *
 * @param results One run per round; missing rounds are skipped.
 * @returns The medians, or `undefined` when no round ran.
 * @example
 * ```ts
 * medianMeasured([round1.small, round2.small, round3.small]);
 * ```
 */
export function medianMeasured(results: Array<Measured | undefined>): Measured | undefined {
  const present = results.filter((result) => result !== undefined);
  if (present.length === 0) return undefined;
  const of = (pick: (result: Measured) => number) => median(present.map(pick));
  return {
    ...present[0],
    requests: of((r) => r.requests),
    requestsPerSec: of((r) => r.requestsPerSec),
    bytesPerSec: of((r) => r.bytesPerSec),
    p50Ms: of((r) => r.p50Ms),
    p99Ms: of((r) => r.p99Ms),
    errors: present.reduce((sum, r) => sum + r.errors, 0),
    cpu: medianCost(present.map((r) => r.cpu)),
  };
}

/**
 * Each server's median over rounds, figure by figure, so one noisy round does not decide.
 *
 * @param rounds The reports of each round, servers in the same order every round.
 * @returns One report per server with the median of each measured value and summed errors.
 * @example Two rounds of one server
 * ```ts
 * medianReports([[{ name: "heiretsu" }], [{ name: "heiretsu" }]]); // [{ name: "heiretsu" }]
 * ```
 */
export function medianReports(rounds: ServerReport[][]): ServerReport[] {
  return rounds[0].map(({ name, label }, i) => {
    const runs = rounds.map((round) => round[i]);
    const report: ServerReport = { name };
    if (label !== undefined) report.label = label;
    for (const scenario of Object.keys(SCENARIOS) as Scenario[]) {
      const measured = medianMeasured(runs.map((run) => run[scenario]));
      if (measured !== undefined) report[scenario] = measured;
    }
    return report;
  });
}
