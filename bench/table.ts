/**
 * @module table
 * Formats benchmark results as the Markdown table and the memory line that
 * `bench/run.ts` prints. Ratios compare each server with the baseline that
 * bounds its scenario: baseline_memory for small files, baseline_stream for
 * large ones.
 */
import type { LoadResult } from "./stats.ts";

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
