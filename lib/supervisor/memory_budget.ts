/**
 * The process's memory budget while it runs an app: a backstop for memory that no app worker's
 * own cap sees. An app thread's heap is capped by V8 and its ArrayBuffers by its heap watch, but
 * a WebAssembly memory is neither (measured: 1 GiB held with `--app-heap 64`, up to 4 GiB per
 * memory, as many memories as it likes), and past the machine's memory the kernel would end the
 * whole process. Which thread holds a WebAssembly memory cannot be read from outside it (nor
 * from inside: V8 counts neither it nor a SharedArrayBuffer as the thread's external memory), and
 * it may grow off-request, from a timer, while its worker looks idle. But its pages cost kernel
 * time, when first touched, to the thread touching them: each app thread reports its system CPU
 * time, and the one whose time grew most since the last check is taken for the owner.
 *
 * @module
 */
import type { ServerConfig } from "../config/settings.ts";
import { IDLE_STALL_MS, stampOf } from "../io/progress.ts";

/** What the budget reads of a pool worker (`PoolWorker`, which imports this module). */
export interface BusyWorker {
  readonly state: "starting" | "ready" | "lost";
  /** Its board (`lib/wire/board.ts`). */
  readonly board: {
    readonly inFlight: number;
    readonly busyChangedAt: number;
    readonly lastProgress: number;
    readonly systemTimeUs: number;
  };
}

/** Each worker's reported system CPU time, in µs, at the pool's last memory check. */
export type SystemTimes<W> = ReadonlyMap<W, number>;

/** How often the pool reads the process's RSS while it runs an app. */
export const MEMORY_CHECK_MS = 500;
/** After a worker is replaced for memory, its memory is given back before the next check. */
export const MEMORY_SETTLE_MS = 2000;
/**
 * How long, after a worker was replaced for memory, the pool waits for the RSS to come back under
 * the budget before it guesses again without evidence: a thread's end waits for the native call
 * it is in (filling 500 MiB took 5 s on a loaded 2-core machine), and memory it touches meanwhile
 * is its own, not the other workers'.
 */
export const MEMORY_RELEASE_WAIT_MS = 10_000;
/** What an app worker holds beyond its heap and ArrayBuffers: V8, Deno, its code. */
const WORKER_OVERHEAD_MIB = 64;
/** What the rest of the process may hold: the main thread's buffers, file workers, V8. */
const PROCESS_MARGIN_MIB = 1024;
/**
 * System CPU time a thread must have used since the last check to be taken for the one that
 * grew: 20 ms is ~10 MiB of fresh pages (~2 ms per MiB measured), two ticks of the 10 ms clock the
 * time is read in, and more than an idle or request-serving app thread used in 500 ms (0–10 ms).
 */
const GROWTH_SYSTEM_US = 20_000;

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
 * The worker taken to hold the memory past the budget, of the ready ones: the one whose thread
 * used the most system CPU time since the last check (`before`), at least `GROWTH_SYSTEM_US`
 * (it took the most fresh pages); else the one silent longest past `IDLE_STALL_MS` (a
 * synchronous job holds its thread: it may be growing, and cannot report). Else, while a worker
 * replaced for memory may still be giving it back (`releasing`), none; else the one busy longest,
 * else the one whose last response ended last (it may have kept what it grew). Null when none is
 * ready.
 *
 * @param workers the pool's workers
 * @param at the time now (ms since the epoch), each worker's system time at the last check, and
 *   whether a worker replaced for memory may still hold it
 * @returns the worker to replace, or null
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryOwner } from "./memory_budget.ts";
 * const worker = (id: number, inFlight: number, systemTimeUs: number) => ({
 *   id, state: "ready" as const,
 *   board: { inFlight, busyChangedAt: 50, lastProgress: 990, systemTimeUs },
 * });
 * const [busy, grew] = [worker(1, 3, 10_000), worker(2, 0, 900_000)];
 * const before = new Map([[busy, 0], [grew, 10_000]]);
 * assert.equal(memoryOwner([busy, grew], { now: 1000, before, releasing: false })?.id, 2);
 * assert.equal(memoryOwner([busy, grew], { now: 1000, before: new Map(), releasing: false })?.id, 1);
 * assert.equal(memoryOwner([busy, grew], { now: 1000, before: new Map(), releasing: true }), null);
 * ```
 */
export function memoryOwner<W extends BusyWorker>(
  workers: readonly W[],
  at: { now: number; before: SystemTimes<W>; releasing: boolean },
): W | null {
  const ready = workers.filter((worker) => worker.state === "ready");
  if (ready.length === 0) return null;
  const owner = grewMost(ready, at.before) ?? silentLongest(ready, at.now);
  if (owner !== null || at.releasing) return owner;
  return busyLongest(ready);
}

/** The worker whose system time grew most, by at least `GROWTH_SYSTEM_US`; else null. */
function grewMost<W extends BusyWorker>(ready: readonly W[], before: SystemTimes<W>): W | null {
  let most: W | null = null;
  let mostUs = GROWTH_SYSTEM_US - 1;
  for (const worker of ready) {
    const now = worker.board.systemTimeUs;
    // No reading yet (0: a new thread had not reported): its start-up time is not growth.
    const grownUs = now - (before.get(worker) || now);
    if (grownUs > mostUs) [most, mostUs] = [worker, grownUs];
  }
  return most;
}

/** The worker that has not stamped for longest, past `IDLE_STALL_MS`; else null. */
function silentLongest<W extends BusyWorker>(ready: readonly W[], now: number): W | null {
  const silent = ready.filter((worker) => now - stampOf(worker.board, now) > IDLE_STALL_MS);
  if (silent.length === 0) return null;
  return silent.reduce((a, b) => (stampOf(b.board, now) < stampOf(a.board, now) ? b : a));
}

/** The worker busy longest, else the one whose last response ended last. */
function busyLongest<W extends BusyWorker>(ready: readonly W[]): W {
  const busy = ready.filter((worker) => worker.board.inFlight > 0);
  const since = (worker: W) => worker.board.busyChangedAt;
  if (busy.length > 0) return busy.reduce((a, b) => (since(b) < since(a) ? b : a));
  return ready.reduce((a, b) => (since(b) > since(a) ? b : a));
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
