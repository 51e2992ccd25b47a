/**
 * @module io_table
 * Formats the I/O threads scenario (`io_threads.ts`) as Markdown: a table of
 * each server's medians over rounds with its CPU per request by thread role
 * (`thread_roles.ts`), its ratios to a reference server taken round by round,
 * lines of those ratios against the scenario's targets, and how the I/O
 * threads shared the work.
 */
import { capPerSec, type CpuCost } from "./cpu_cost.ts";
import { type Measured, medianMeasured } from "./report.ts";
import { percentile } from "./stats.ts";
import { markdown } from "./table.ts";
import { compareRoles, ioShares } from "./thread_roles.ts";

/** One round: each server's run by name, CPU costs by role; a server that failed is absent. */
export type IoRound = Record<string, Measured | undefined>;

/** A server of the scenario's tables. */
export interface IoRow {
  /** Name in the rounds, e.g. `"k2"`. */
  name: string;
  /** Name in the table, e.g. `"heiretsu --io-threads 2"`. */
  label: string;
}

/** The goals of issue 18 on a 2-core machine: K=2 against K=1. */
export const IO_TARGETS = {
  /** The busiest thread's µs per request at K=2 at most this share of K=1's. */
  busiest: 0.6,
  /** The total CPU µs per request at K=2 at most this multiple of K=1's. */
  total: 1.15,
} as const;

/** Not measured, or nothing to divide by. */
const NONE = "–";

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/**
 * The ratio of one server's figure to another's in each round where both ran.
 *
 * @param rounds The rounds.
 * @param pair The server divided and the one it is divided by, and the figure compared.
 * @returns One finite ratio per round, in round order.
 * @example
 * ```ts
 * roundRatios(rounds, { server: "k2", reference: "k1", pick: (m) => m.cpu?.busiestUs });
 * ```
 */
export function roundRatios(
  rounds: IoRound[],
  pair: { server: string; reference: string; pick: (measured: Measured) => number | undefined },
): number[] {
  return rounds.map((round) => {
    const mine = round[pair.server];
    const theirs = round[pair.reference];
    const a = mine && pair.pick(mine);
    const b = theirs && pair.pick(theirs);
    return a === undefined || b === undefined ? NaN : a / b;
  }).filter(Number.isFinite);
}

/**
 * Lists ratios by round with their median and, if given, whether the median meets a ceiling.
 *
 * @param ratios The ratios, in round order.
 * @param target The highest median that meets the goal; absent: no goal.
 * @returns E.g. `"0.55× 0.61× 0.58× (median 0.58×; target ≤ 0.60×: met)"`, or `"–"` without ratios.
 * @example
 * ```ts
 * formatRatios([1.2, 1.1, 1.3], 1.15); // "1.20× 1.10× 1.30× (median 1.20×; target ≤ 1.15×: missed)"
 * ```
 */
export function formatRatios(ratios: number[], target?: number): string {
  if (ratios.length === 0) return NONE;
  const middle = median(ratios);
  const listed = ratios.map((ratio) => `${ratio.toFixed(2)}×`).join(" ");
  const goal = target === undefined
    ? ""
    : `; target ≤ ${target.toFixed(2)}×: ${middle <= target ? "met" : "missed"}`;
  return `${listed} (median ${middle.toFixed(2)}×${goal})`;
}

function medianRatio(rounds: IoRound[], pair: Parameters<typeof roundRatios>[1]): string {
  const ratios = roundRatios(rounds, pair);
  return ratios.length === 0 ? NONE : `${median(ratios).toFixed(2)}×`;
}

function cell(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? NONE : value.toFixed(digits);
}

function milliseconds(value: number | undefined): string {
  return value === undefined ? NONE : `${value.toFixed(2)} ms`;
}

/** Total CPU, each role's, the busiest thread's and its cap, per request. */
function cpuCells(cpu: CpuCost | undefined, roles: string[]): string[] {
  const byRole = roles.map((role) => cell(cpu?.byLabel[role]));
  if (cpu === undefined) return [NONE, ...byRole, NONE, NONE];
  const busiest = `${cell(cpu.busiestUs)} (${cpu.busiest})`;
  return [cell(cpu.totalUs), ...byRole, busiest, cell(capPerSec(cpu.busiestUs), 0)];
}

function tableHeader(roles: string[], versus: string): string[] {
  return [
    ...["server", "req/s", "p50", "p99", "CPU µs/req"],
    ...roles.map((role) => `${role} µs/req`),
    ...["busiest thread µs/req", "its cap req/s", `req/s vs ${versus}`, `CPU/req vs ${versus}`],
    "errors",
  ];
}

/**
 * The scenario's table: one row per server with the medians of its rounds —
 * req/s, p50 and p99 latency, CPU µs per request in all and by thread role, the busiest
 * thread's µs per request and the req/s it caps the server at — and, against
 * the reference, the median of the round-by-round ratios of req/s and CPU per request.
 *
 * @param rounds The rounds, costs by role.
 * @param table The rows in order, and the name of the reference row.
 * @returns The Markdown table, or `undefined` when no row ran in any round.
 * @example
 * ```ts
 * formatIoTable(rounds, { rows: [{ name: "k1", label: "K=1" }, { name: "k2", label: "K=2" }], reference: "k1" });
 * ```
 */
export function formatIoTable(
  rounds: IoRound[],
  table: { rows: IoRow[]; reference: string },
): string | undefined {
  const medians = table.rows.map((row) => medianMeasured(rounds.map((round) => round[row.name])));
  if (medians.every((measured) => measured === undefined)) return undefined;
  const roles = [...new Set(medians.flatMap((m) => Object.keys(m?.cpu?.byLabel ?? {})))]
    .sort(compareRoles);
  const versus = table.rows.find((row) => row.name === table.reference)?.label ?? table.reference;
  const header = tableHeader(roles, versus);
  const body = table.rows.map((row, i) => {
    const measured = medians[i];
    const against = { server: row.name, reference: table.reference };
    return [
      row.label,
      cell(measured?.requestsPerSec, 0),
      milliseconds(measured?.p50Ms),
      milliseconds(measured?.p99Ms),
      ...cpuCells(measured?.cpu, roles),
      medianRatio(rounds, { ...against, pick: (m) => m.requestsPerSec }),
      medianRatio(rounds, { ...against, pick: (m) => m.cpu?.totalUs }),
      measured === undefined ? NONE : String(measured.errors),
    ];
  });
  return markdown([header, ...body]);
}

/**
 * One server against another, round by round, as a Markdown list item: the
 * ratios of the busiest thread's µs per request, of the CPU µs per request
 * and of req/s, each with its median, and with targets, whether the first two medians meet them.
 *
 * @param rounds The rounds.
 * @param pair The server divided, the one it is divided by, and the targets.
 * @returns The line.
 * @example
 * ```ts
 * formatPairLine(rounds, { server: { name: "k2", label: "K=2" }, reference: { name: "k1", label: "K=1" }, targets: IO_TARGETS });
 * // "- K=2 ÷ K=1, by round: busiest thread µs/req 0.55× … (median 0.55×; target ≤ 0.60×: met); …"
 * ```
 */
export function formatPairLine(
  rounds: IoRound[],
  pair: { server: IoRow; reference: IoRow; targets?: typeof IO_TARGETS },
): string {
  const against = { server: pair.server.name, reference: pair.reference.name };
  const ratios = (pick: (measured: Measured) => number | undefined) =>
    roundRatios(rounds, { ...against, pick });
  const busiest = formatRatios(ratios((m) => m.cpu?.busiestUs), pair.targets?.busiest);
  const total = formatRatios(ratios((m) => m.cpu?.totalUs), pair.targets?.total);
  const rate = formatRatios(ratios((m) => m.requestsPerSec));
  return `- ${pair.server.label} ÷ ${pair.reference.label}, by round: ` +
    `busiest thread µs/req ${busiest}; CPU µs/req ${total}; req/s ${rate}`;
}

/**
 * Each round's split of the I/O threads' CPU time between them.
 *
 * @param rounds The rounds, costs by role.
 * @param server The server with several I/O threads, e.g. `"k2"`.
 * @returns E.g. `"io-1 52% / io-2 48%, io-1 61% / io-2 39%"`, or `"–"` without I/O time.
 * @example
 * ```ts
 * formatIoShares(rounds, "k2");
 * ```
 */
export function formatIoShares(rounds: IoRound[], server: string): string {
  const splits = rounds.flatMap((round) => {
    const cpu = round[server]?.cpu;
    const shares = cpu === undefined ? [] : ioShares(cpu);
    if (shares.length === 0) return [];
    return [shares.map(([role, share]) => `${role} ${(share * 100).toFixed(0)}%`).join(" / ")];
  });
  return splits.length === 0 ? NONE : splits.join(", ");
}
