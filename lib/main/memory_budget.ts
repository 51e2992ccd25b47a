/**
 * The process's memory budget while it runs an app: a backstop for memory that no app worker's
 * own cap sees. An app thread's heap is capped by V8 and its ArrayBuffers by its heap watch, but
 * a WebAssembly memory is neither (measured: 1 GiB held with `--app-heap 64`, up to 4 GiB per
 * memory, as many memories as it likes), and past the machine's memory the kernel would end the
 * whole process. Which thread holds a WebAssembly memory cannot be read from outside it; it
 * grows only while its thread runs, so the worker busy longest is taken for its owner.
 *
 * @module
 */
import type { ServerConfig } from "../config/settings.ts";

/** What the budget reads of a pool worker (`PoolWorker`, which imports this module). */
export interface BusyWorker {
  readonly state: "starting" | "ready" | "lost";
  readonly inFlight: number;
  readonly busyChangedAt: number;
}

/** How often the pool reads the process's RSS while it runs an app. */
export const MEMORY_CHECK_MS = 500;
/** After a worker is replaced for memory, its memory is given back before the next check. */
export const MEMORY_SETTLE_MS = 2000;
/** What an app worker holds beyond its heap and ArrayBuffers: V8, Deno, its code. */
const WORKER_OVERHEAD_MIB = 64;
/** What the rest of the process may hold: the main thread's buffers, file workers, V8. */
const PROCESS_MARGIN_MIB = 1024;

/**
 * The RSS, in MiB, past which the pool replaces an app worker: `--max-memory`, or by default
 * each app worker's heap and ArrayBuffers (`--app-heap` each) and overhead, plus a margin.
 *
 * @param config the workers, their heap cap and the flag
 * @returns the budget in MiB
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryBudgetMib } from "./memory_budget.ts";
 * assert.equal(memoryBudgetMib({ workers: 2, appHeapMib: 512, maxMemoryMib: 0 }), 3200);
 * assert.equal(memoryBudgetMib({ workers: 2, appHeapMib: 512, maxMemoryMib: 900 }), 900);
 * ```
 */
export function memoryBudgetMib(
  config: Pick<ServerConfig, "workers" | "appHeapMib" | "maxMemoryMib">,
): number {
  if (config.maxMemoryMib > 0) return config.maxMemoryMib;
  return config.workers * (2 * config.appHeapMib + WORKER_OVERHEAD_MIB) + PROCESS_MARGIN_MIB;
}

/**
 * The worker taken to hold the memory past the budget: of the ready ones, the worker busy
 * longest (a request growing a WebAssembly memory is running), else the one whose last response
 * ended last (it may have kept what it grew); null when none is ready.
 *
 * @param workers the pool's workers
 * @returns the worker to replace, or null
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryOwner } from "./memory_budget.ts";
 * const worker = (id: number, inFlight: number, busyChangedAt: number) =>
 *   ({ id, state: "ready" as const, inFlight, busyChangedAt });
 * assert.equal(memoryOwner([worker(1, 1, 50), worker(2, 3, 20), worker(3, 0, 90)])?.id, 2);
 * assert.equal(memoryOwner([worker(1, 0, 50), worker(2, 0, 90)])?.id, 2);
 * ```
 */
export function memoryOwner<W extends BusyWorker>(workers: readonly W[]): W | null {
  const ready = workers.filter((worker) => worker.state === "ready");
  const busy = ready.filter((worker) => worker.inFlight > 0);
  if (busy.length > 0) return busy.reduce((a, b) => (b.busyChangedAt < a.busyChangedAt ? b : a));
  if (ready.length === 0) return null;
  return ready.reduce((a, b) => (b.busyChangedAt > a.busyChangedAt ? b : a));
}

/**
 * The crash reason of an app worker replaced for the process's memory.
 *
 * @param rssMib the process's RSS
 * @param budgetMib the budget it passed
 * @returns the reason, naming the flag
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { overBudget } from "./memory_budget.ts";
 * assert.match(overBudget(900, 704), /^the process holds 900 MiB, past --max-memory 704 MiB/);
 * ```
 */
export function overBudget(rssMib: number, budgetMib: number): string {
  return `the process holds ${rssMib} MiB, past --max-memory ${budgetMib} MiB; this app ` +
    `worker was taken for the one holding it (memory its heap cap does not count, such as ` +
    `WebAssembly memory)`;
}
