/**
 * @module table
 * Formats benchmark results as the Markdown that `bench/run.ts` prints: one
 * table per scenario (rate, latency, CPU per unit, main and busiest thread,
 * ratios to the scenario's reference), where each server's CPU went, a table
 * of one server against every baseline, per-round ratios and the memory line.
 */
import { capPerSec, type CpuCost, formatByLabel } from "./cpu_cost.ts";
import {
  type Measured,
  rateOf,
  type Scenario,
  type ScenarioInfo,
  SCENARIOS,
  type ServerReport,
} from "./report.ts";
import { percentile } from "./stats.ts";

/** Memory of a server while slow clients read a large file. */
export interface RssReport {
  /** Server name. */
  server: string;
  /** Number of slow readers. */
  readers: number;
  /** How long they read, in seconds. */
  durationS: number;
  /** Resident set size before the readers connected, in KiB. */
  startKiB: number;
  /** Largest resident set size sampled while they read, in KiB. */
  peakKiB: number;
  /** Body bytes the readers received in total. */
  bytesRead: number;
}

const MIB = 1024 * 1024;
/** Not measured (the server did not run the scenario, or failed). */
const NONE = "–";
/** Measured, but the CPU time could not be read (not Linux, or no /proc). */
const NOT_AVAILABLE = "n/a";

/**
 * Formats `value / reference` as a ratio such as `"0.85×"`.
 *
 * @param value The measured value.
 * @param reference The baseline's value.
 * @returns The ratio with two decimals, or `"–"` when either is missing.
 * @example Half as fast
 * ```ts
 * formatRatio(50, 100); // "0.50×"
 * ```
 */
export function formatRatio(value: number | undefined, reference: number | undefined): string {
  if (value === undefined || reference === undefined) return NONE;
  const ratio = value / reference;
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : NONE;
}

function formatNumber(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? NONE : value.toFixed(digits);
}

function formatMs(value: number | undefined): string {
  const number = formatNumber(value, 2);
  return number === NONE ? NONE : `${number} ms`;
}

function header(info: ScenarioInfo): string[] {
  const per = info.unit === "request" ? "req" : "MiB";
  const rate = `${per}/s`;
  const reference = info.reference;
  return [
    "server",
    rate,
    "p50",
    "p99",
    `CPU µs/${per}`,
    `main thread µs/${per}`,
    `busiest thread µs/${per}`,
    `its cap ${rate}`,
    `${rate} vs ${reference}`,
    `CPU vs ${reference}`,
    "errors",
  ];
}

function cpuCells(measured: Measured | undefined): string[] {
  const cpu = measured?.cpu;
  if (cpu === undefined) {
    // Without a completed request there is nothing to divide by; with one, /proc was missing.
    const cell = measured !== undefined && measured.requests > 0 ? NOT_AVAILABLE : NONE;
    return [cell, cell, cell, cell];
  }
  return [
    cpu.totalUs.toFixed(1),
    cpu.mainUs.toFixed(1),
    `${cpu.busiestUs.toFixed(1)} (${cpu.busiest})`,
    formatNumber(capPerSec(cpu.busiestUs), 0),
  ];
}

function formatRow(report: ServerReport, scenario: Scenario, reference?: Measured): string[] {
  const info = SCENARIOS[scenario];
  const measured = report[scenario];
  const rate = measured && rateOf(measured, info.unit);
  return [
    report.label ?? report.name,
    formatNumber(rate, 0),
    formatMs(measured?.p50Ms),
    formatMs(measured?.p99Ms),
    ...cpuCells(measured),
    formatRatio(rate, reference && rateOf(reference, info.unit)),
    formatRatio(measured?.cpu?.totalUs, reference?.cpu?.totalUs),
    measured === undefined ? NONE : String(measured.errors),
  ];
}

/**
 * Formats rows as a Markdown table, the first row being the header.
 *
 * @param rows The header, then the body rows, as cells.
 * @returns The table without a final newline.
 * @example
 * ```ts
 * markdown([["a", "b"], ["1", "2"]]); // "| a | b |\n| --- | --- |\n| 1 | 2 |"
 * ```
 */
export function markdown(rows: string[][]): string {
  return [rows[0], rows[0].map(() => "---"), ...rows.slice(1)]
    .map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

/**
 * Formats one scenario's table: a row per server that ran it.
 *
 * @param reports Each server's results, in the order to print.
 * @param scenario Which scenario.
 * @returns The table without a final newline, or `undefined` when no server ran the scenario.
 * @example
 * ```ts
 * formatScenarioTable(reports, "small");
 * ```
 */
export function formatScenarioTable(
  reports: ServerReport[],
  scenario: Scenario,
): string | undefined {
  const ran = reports.filter((report) => scenario in report);
  if (ran.length === 0) return undefined;
  const reference = reports.find((r) => r.name === SCENARIOS[scenario].reference)?.[scenario];
  return markdown([
    header(SCENARIOS[scenario]),
    ...ran.map((report) => formatRow(report, scenario, reference)),
  ]);
}

/**
 * Lists where each server's CPU went in a scenario, by thread label.
 *
 * @param reports Each server's results.
 * @param scenario Which scenario.
 * @returns A Markdown list, or `""` when no server has CPU figures for it.
 * @example
 * ```ts
 * formatThreadLines(reports, "small"); // "- heiretsu: main 12.5, worker-1 6.7, …"
 * ```
 */
export function formatThreadLines(reports: ServerReport[], scenario: Scenario): string {
  return reports.flatMap((report) => {
    const cpu = report[scenario]?.cpu;
    return cpu === undefined ? [] : [`- ${report.label ?? report.name}: ${formatByLabel(cpu)}`];
  }).join("\n");
}

function versusRow(mine: Measured, theirs: ServerReport, scenario: Scenario): string[] | [] {
  const measured = theirs[scenario]!;
  const { unit } = SCENARIOS[scenario];
  if (!(rateOf(measured, unit) > 0)) return [];
  const cost = (cpu?: CpuCost) => cpu?.totalUs;
  const busiest = (cpu?: CpuCost) => cpu?.busiestUs;
  return [
    SCENARIOS[scenario].short,
    theirs.label ?? theirs.name,
    formatRatio(rateOf(mine, unit), rateOf(measured, unit)),
    formatRatio(cost(mine.cpu), cost(measured.cpu)),
    formatRatio(busiest(mine.cpu), busiest(measured.cpu)),
  ];
}

/**
 * One server against every other server, scenario by scenario: its rate,
 * CPU per unit and busiest thread's time per unit divided by theirs. Servers
 * that completed nothing in a scenario (a 100 MiB response longer than the run) are left out.
 *
 * @param reports Each server's (median) results.
 * @param server The server compared, e.g. `"heiretsu"`.
 * @returns The table, or `undefined` when there is nothing to compare.
 * @example
 * ```ts
 * formatVersusTable(reports, "heiretsu");
 * ```
 */
export function formatVersusTable(reports: ServerReport[], server: string): string | undefined {
  const mine = reports.find((report) => report.name === server);
  if (mine === undefined) return undefined;
  const rows: string[][] = [];
  for (const scenario of Object.keys(SCENARIOS) as Scenario[]) {
    const measured = mine[scenario];
    if (measured === undefined) continue;
    for (const theirs of reports) {
      const row = theirs !== mine && theirs[scenario] !== undefined
        ? versusRow(measured, theirs, scenario)
        : [];
      if (row.length > 0) rows.push(row);
    }
  }
  if (rows.length === 0) return undefined;
  const title = ["scenario", "baseline", `${server} rate ÷ baseline`, "CPU/unit ÷", "busiest ÷"];
  return markdown([title, ...rows]);
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/** Which server to compare with which, in which scenario. */
interface Pairing {
  server: string;
  reference: string;
  scenario: Scenario;
}

function roundRatios(
  rounds: ServerReport[][],
  pairing: Pairing,
  pick: (measured: Measured) => number | undefined,
): string | undefined {
  const value = (round: ServerReport[], name: string) => {
    const measured = round.find((report) => report.name === name)?.[pairing.scenario];
    return measured === undefined ? undefined : pick(measured);
  };
  const ratios = rounds.map((round) => {
    const mine = value(round, pairing.server);
    const theirs = value(round, pairing.reference);
    return mine !== undefined && theirs !== undefined ? mine / theirs : NaN;
  }).filter(Number.isFinite);
  if (ratios.length === 0) return undefined;
  const listed = ratios.map((ratio) => `${ratio.toFixed(2)}×`).join(" ");
  return `${listed} (median ${median(ratios).toFixed(2)}×)`;
}

/**
 * One line per scenario with a server's ratios to the scenario's reference in
 * each round, and their median: the rate, and the CPU per unit.
 *
 * @param rounds The reports of each round.
 * @param server The server to compare, e.g. `"heiretsu"`.
 * @returns The lines, e.g.
 * "heiretsu 1 KiB vs baseline_memory by round: req/s 0.97× 1.04× (median 1.00×); CPU/req 1.70× 1.80× (median 1.75×)".
 * @example
 * ```ts
 * formatRoundRatios([[{ name: "heiretsu" }]], "heiretsu"); // ""
 * ```
 */
export function formatRoundRatios(rounds: ServerReport[][], server: string): string {
  const lines: string[] = [];
  for (const scenario of Object.keys(SCENARIOS) as Scenario[]) {
    const { short, unit, reference } = SCENARIOS[scenario];
    const per = unit === "request" ? "req" : "MiB";
    const pairing = { server, reference, scenario };
    const rate = roundRatios(rounds, pairing, (m) => rateOf(m, unit));
    if (rate === undefined) continue;
    const cpu = roundRatios(rounds, pairing, (m) => m.cpu?.totalUs);
    const cpuPart = cpu === undefined ? "" : `; CPU/${per} ${cpu}`;
    lines.push(`${server} ${short} vs ${reference} by round: ${per}/s ${rate}${cpuPart}`);
  }
  return lines.join("\n");
}

/**
 * Formats the peak-memory line of the slow-reader scenario.
 *
 * @param rss What the scenario measured.
 * @returns One sentence with the peak and starting RSS in MiB.
 * @example Format a measurement
 * ```ts
 * formatRssLine({ server: "heiretsu", readers: 20, durationS: 5, startKiB: 40960, peakKiB: 61440, bytesRead: 104857600 });
 * ```
 */
export function formatRssLine(rss: RssReport): string {
  const mib = (kib: number) => (kib / 1024).toFixed(1);
  return `${rss.server} peak RSS with ${rss.readers} slow readers of the 100 MiB file for ` +
    `${rss.durationS} s: ${mib(rss.peakKiB)} MiB (${mib(rss.startKiB)} MiB before; ` +
    `readers got ${(rss.bytesRead / MIB).toFixed(1)} MiB in total)`;
}
