/**
 * @module table
 * Formats benchmark results as the Markdown table and the memory line that
 * `bench/run.ts` prints. Ratios compare each server with the baseline that
 * bounds its scenario: baseline_memory for small files, baseline_stream for
 * large ones.
 */
import { type LoadResult, percentile } from "./stats.ts";

/** Results of one server, by scenario; a skipped scenario is absent. */
export interface ServerReport {
  /** Server name, e.g. `"heiretsu"`. */
  name: string;
  /** The small-file (1 KiB) run. */
  small?: LoadResult;
  /** The large-file (100 MiB) run. */
  big?: LoadResult;
}

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

/** Server whose small-file rate is the 1.00× reference. */
export const SMALL_REFERENCE = "baseline_memory";
/** Server whose large-file throughput is the 1.00× reference. */
export const BIG_REFERENCE = "baseline_stream";

const MIB = 1024 * 1024;
const NONE = "–";

const HEADER = [
  "server",
  "1 KiB req/s",
  "p50",
  "p99",
  `vs ${SMALL_REFERENCE}`,
  "100 MiB MiB/s",
  `vs ${BIG_REFERENCE}`,
  "errors",
];

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

function formatRow(report: ServerReport, references: Map<string, ServerReport>): string[] {
  const { small, big } = report;
  const smallReference = references.get(SMALL_REFERENCE)?.small;
  const bigReference = references.get(BIG_REFERENCE)?.big;
  const errors = (small?.errors ?? 0) + (big?.errors ?? 0);
  return [
    report.name,
    formatNumber(small?.requestsPerSec, 0),
    formatMs(small?.p50Ms),
    formatMs(small?.p99Ms),
    formatRatio(small?.requestsPerSec, smallReference?.requestsPerSec),
    formatNumber(big === undefined ? undefined : big.bytesPerSec / MIB, 0),
    formatRatio(big?.bytesPerSec, bigReference?.bytesPerSec),
    small === undefined && big === undefined ? NONE : String(errors),
  ];
}

/**
 * Formats one Markdown table row per server.
 *
 * @param reports Each server's results, in the order to print.
 * @returns The table, header and separator included, without a final newline.
 * @example Format a single server
 * ```ts
 * formatTable([{ name: "heiretsu" }]);
 * ```
 */
export function formatTable(reports: ServerReport[]): string {
  const references = new Map(reports.map((report) => [report.name, report]));
  const rows = [HEADER, HEADER.map(() => "---"), ...reports.map((r) => formatRow(r, references))];
  return rows.map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

/**
 * Each server's median over rounds, metric by metric, so one noisy round does not decide.
 *
 * @param rounds The reports of each round, servers in the same order every round.
 * @returns One report per server with the median of each measured value.
 * @example Two rounds of one server
 * ```ts
 * medianReports([[{ name: "heiretsu" }], [{ name: "heiretsu" }]]); // [{ name: "heiretsu" }]
 * ```
 */
export function medianReports(rounds: ServerReport[][]): ServerReport[] {
  return rounds[0].map(({ name }, i) => {
    const runs = rounds.map((round) => round[i]);
    return {
      name,
      small: medianLoad(runs.map((run) => run.small)),
      big: medianLoad(runs.map((run) => run.big)),
    };
  });
}

function medianLoad(results: Array<LoadResult | undefined>): LoadResult | undefined {
  const present = results.filter((result) => result !== undefined);
  if (present.length === 0) return undefined;
  const of = (pick: (result: LoadResult) => number) => median(present.map(pick));
  return {
    ...present[0],
    requests: of((r) => r.requests),
    requestsPerSec: of((r) => r.requestsPerSec),
    bytesPerSec: of((r) => r.bytesPerSec),
    p50Ms: of((r) => r.p50Ms),
    p99Ms: of((r) => r.p99Ms),
    errors: present.reduce((sum, r) => sum + r.errors, 0),
  };
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/**
 * One line per scenario with a server's ratio to its baseline in each round, and their median.
 *
 * @param rounds The reports of each round.
 * @param server The server to compare, e.g. `"heiretsu"`.
 * @returns The lines, e.g. "heiretsu 1 KiB vs baseline_memory by round: 0.97× 1.04× (median 1.00×)".
 * @example
 * ```ts
 * formatRoundRatios([[{ name: "heiretsu" }]], "heiretsu");
 * ```
 */
export function formatRoundRatios(rounds: ServerReport[][], server: string): string {
  const scenarios = [
    {
      label: "1 KiB",
      reference: SMALL_REFERENCE,
      value: (r?: ServerReport) => r?.small?.requestsPerSec,
    },
    {
      label: "100 MiB",
      reference: BIG_REFERENCE,
      value: (r?: ServerReport) => r?.big?.bytesPerSec,
    },
  ];
  const lines: string[] = [];
  for (const { label, reference, value } of scenarios) {
    const ratios = rounds.map((round) => {
      const mine = value(round.find((r) => r.name === server));
      const theirs = value(round.find((r) => r.name === reference));
      return mine !== undefined && theirs !== undefined ? mine / theirs : NaN;
    }).filter(Number.isFinite);
    if (ratios.length === 0) continue;
    const listed = ratios.map((ratio) => `${ratio.toFixed(2)}×`).join(" ");
    lines.push(
      `${server} ${label} vs ${reference} by round: ${listed} (median ${
        median(ratios).toFixed(2)
      }×)`,
    );
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
