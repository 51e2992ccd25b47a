/**
 * @module thread_roles
 * Which part of heiretsu each of its threads is, from the thread's label
 * (`proc_stat.ts`), and a CPU cost (`cpu_cost.ts`) regrouped by those roles:
 * the supervisor (`main`), each I/O thread (`io-1`, `io-2`, …), each handler
 * worker (`handler-1`, …) and everything else (`other`: V8's helpers, Tokio's
 * blocking pool, Deno's own threads).
 *
 * The name given to `new Worker` is not the thread's name: Deno 2.9 names a
 * Web Worker's thread `worker-N`, N counting the workers the process created,
 * from 1. heiretsu starts its K I/O threads first, one after another, then
 * its handler workers, so `worker-1`…`worker-K` are the I/O threads and every
 * later `worker-N` is a handler worker (one that replaced a lost worker too).
 */
import type { CpuCost } from "./cpu_cost.ts";

/** The supervisor: the server's main thread. */
export const MAIN_ROLE = "main";
/** Every thread that is no I/O thread, handler worker or the main thread. */
export const OTHER_ROLE = "other";

const WORKER_THREAD = /^worker-(\d+)$/;

/**
 * The role of a heiretsu thread.
 *
 * @param label The thread's label: `"main"`, or its name such as `"worker-3"`.
 * @param ioThreads The server's `--io-threads`; 0 for a server without I/O threads.
 * @returns `"main"`, `"io-N"`, `"handler-N"` or `"other"`.
 * @example Two I/O threads: the third Web Worker is the first handler worker
 * ```ts
 * threadRole("worker-2", 2); // "io-2"
 * threadRole("worker-3", 2); // "handler-1"
 * threadRole("tokio-runtime-w", 2); // "other"
 * ```
 */
export function threadRole(label: string, ioThreads: number): string {
  if (label === MAIN_ROLE) return MAIN_ROLE;
  const match = WORKER_THREAD.exec(label);
  if (match === null) return OTHER_ROLE;
  const number = Number(match[1]);
  return number <= ioThreads ? `io-${number}` : `handler-${number - ioThreads}`;
}

/**
 * A cost regrouped by role: the time of threads of one role is summed, and the
 * busiest thread is named by its role. Total and busiest times are unchanged.
 *
 * @param cost The cost by thread label.
 * @param ioThreads The server's `--io-threads`; 0 for a server without I/O threads.
 * @returns The same cost with roles as labels.
 * @example
 * ```ts
 * const cost = { totalUs: 9, mainUs: 1, busiestUs: 5, busiest: "worker-1", byLabel: { main: 1, "worker-1": 5, "worker-2": 3 } };
 * costByRole(cost, 1).byLabel; // { main: 1, "io-1": 5, "handler-1": 3 }
 * ```
 */
export function costByRole(cost: CpuCost, ioThreads: number): CpuCost {
  const byLabel: Record<string, number> = {};
  for (const [label, us] of Object.entries(cost.byLabel)) {
    const role = threadRole(label, ioThreads);
    byLabel[role] = (byLabel[role] ?? 0) + us;
  }
  const busiest = cost.busiest === "–" ? cost.busiest : threadRole(cost.busiest, ioThreads);
  return { ...cost, busiest, byLabel };
}

const ROLE_ORDER = /^(main|io|handler|other)(?:-(\d+))?$/;
const KINDS = ["main", "io", "handler", "other"];

function rank(role: string): [number, number] {
  const match = ROLE_ORDER.exec(role);
  // Not a role: after every role, in name order (the caller sorts those by name).
  if (match === null) return [KINDS.length, 0];
  return [KINDS.indexOf(match[1]), Number(match[2] ?? 0)];
}

/**
 * Orders roles as the tables show them: main, the I/O threads, the handler
 * workers (by number), then other.
 *
 * @param a One role.
 * @param b Another.
 * @returns Negative when `a` comes first, positive when `b` does, 0 when equal.
 * @example
 * ```ts
 * ["other", "handler-10", "io-1", "handler-2", "main"].sort(compareRoles);
 * // ["main", "io-1", "handler-2", "handler-10", "other"]
 * ```
 */
export function compareRoles(a: string, b: string): number {
  const [kindA, numberA] = rank(a);
  const [kindB, numberB] = rank(b);
  if (kindA !== kindB) return kindA - kindB;
  if (numberA !== numberB) return numberA - numberB;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Each I/O thread's share of the time all I/O threads spent: with keep-alive
 * connections that each cost about the same, the share of the connections
 * (and requests) it accepted.
 *
 * @param cost A cost by role (see {@linkcode costByRole}).
 * @returns The `io-N` roles and their shares, in thread order; empty without I/O time.
 * @example
 * ```ts
 * ioShares({ totalUs: 4, mainUs: 0, busiestUs: 3, busiest: "io-1", byLabel: { "io-1": 3, "io-2": 1 } });
 * // [["io-1", 0.75], ["io-2", 0.25]]
 * ```
 */
export function ioShares(cost: CpuCost): Array<[string, number]> {
  const io = Object.entries(cost.byLabel).filter(([role]) => role.startsWith("io-"))
    .sort(([a], [b]) => compareRoles(a, b));
  const sum = io.reduce((total, [, us]) => total + us, 0);
  return sum > 0 ? io.map(([role, us]) => [role, us / sum]) : [];
}
