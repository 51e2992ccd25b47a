/**
 * @module cpu_cost
 * Turns the CPU time a server spent over a measured run (`proc_stat.ts`) into
 * costs per unit of work (a request, or a MiB of a large file), the cap on
 * throughput its busiest thread implies, and medians of those over rounds.
 */
import type { CpuDelta } from "./proc_stat.ts";
import { percentile } from "./stats.ts";

/** A server's CPU cost per unit of work (request or MiB) over one run, or a median of runs. */
export interface CpuCost {
  /** µs of all its threads and child processes, per unit. */
  totalUs: number;
  /** µs of its main thread (the thread whose id is the server's pid), per unit. */
  mainUs: number;
  /** µs of its busiest single thread, per unit: that thread caps the server. */
  busiestUs: number;
  /** Label of the busiest thread, e.g. `"main"` or `"worker-1"`. */
  busiest: string;
  /** µs per unit by thread label, threads with the same label summed. */
  byLabel: Record<string, number>;
}

/**
 * Divides a run's CPU time by the units of work it did.
 *
 * @param delta CPU time of the server's threads over the run.
 * @param units Requests served, or MiB sent; must be positive.
 * @returns The cost per unit, or `undefined` without any unit of work.
 * @example 2 s of CPU over 100,000 requests
 * ```ts
 * cpuCost({ totalUs: 2e6, threads: [{ label: "main", tid: 1, us: 1.5e6 }] }, 100_000);
 * // { totalUs: 20, mainUs: 15, busiestUs: 15, busiest: "main", byLabel: { main: 15 } }
 * ```
 */
export function cpuCost(delta: CpuDelta, units: number): CpuCost | undefined {
  if (!(units > 0)) return undefined;
  const byLabel: Record<string, number> = {};
  for (const { label, us } of delta.threads) byLabel[label] = (byLabel[label] ?? 0) + us / units;
  const busiest = delta.threads.reduce(
    (top, thread) => thread.us > top.us ? thread : top,
    { label: "–", tid: 0, us: 0 },
  );
  return {
    totalUs: delta.totalUs / units,
    mainUs: byLabel.main ?? 0,
    busiestUs: busiest.us / units,
    busiest: busiest.label,
    byLabel,
  };
}

/**
 * The rate one thread could sustain if it did nothing else: 10⁶ / µs per unit.
 *
 * @param usPerUnit The busiest thread's µs per request (or per MiB).
 * @returns Units per second; `Infinity` for a thread that was never scheduled.
 * @example 12.5 µs per request
 * ```ts
 * capPerSec(12.5); // 80000
 * ```
 */
export function capPerSec(usPerUnit: number): number {
  return usPerUnit > 0 ? 1e6 / usPerUnit : Infinity;
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/**
 * The median of each figure over rounds. The busiest thread's label is the
 * one of the round whose busiest time is that median; a label absent from a
 * round counts as 0 there.
 *
 * @param costs One cost per round; missing rounds are skipped.
 * @returns The medians, or `undefined` when no round has a cost.
 * @example
 * ```ts
 * medianCost([costA, costB, costC]);
 * ```
 */
export function medianCost(costs: Array<CpuCost | undefined>): CpuCost | undefined {
  const present = costs.filter((cost) => cost !== undefined);
  if (present.length === 0) return undefined;
  const of = (pick: (cost: CpuCost) => number) => median(present.map(pick));
  const busiestUs = of((cost) => cost.busiestUs);
  const labels = new Set(present.flatMap((cost) => Object.keys(cost.byLabel)));
  const byLabel: Record<string, number> = {};
  for (const label of labels) byLabel[label] = of((cost) => cost.byLabel[label] ?? 0);
  return {
    totalUs: of((cost) => cost.totalUs),
    mainUs: of((cost) => cost.mainUs),
    busiestUs,
    busiest: present.find((cost) => cost.busiestUs === busiestUs)?.busiest ?? "–",
    byLabel,
  };
}

/**
 * One line naming where a server's CPU went, largest first, e.g.
 * `"main 12.5, worker-1 6.7, worker-2 6.6, V8 DefaultWorke 1.7"`.
 *
 * @param cost The cost to break down.
 * @param minUs Labels below this many µs per unit are left out. @default 0.05
 * @returns The labels and their µs per unit with one decimal.
 * @example
 * ```ts
 * formatByLabel({ totalUs: 3, mainUs: 2, busiestUs: 2, busiest: "main", byLabel: { main: 2, "worker-1": 1 } });
 * // "main 2.0, worker-1 1.0"
 * ```
 */
export function formatByLabel(cost: CpuCost, minUs = 0.05): string {
  return Object.entries(cost.byLabel)
    .filter(([, us]) => us >= minUs)
    .sort(([, a], [, b]) => b - a)
    .map(([label, us]) => `${label} ${us.toFixed(1)}`)
    .join(", ");
}
