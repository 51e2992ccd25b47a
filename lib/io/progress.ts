/**
 * How a worker's progress is read off its board (`lib/wire/board.ts`): the stamp the worker
 * writes (per record, on a heartbeat while busy, and, in an app's thread, every 100 ms while
 * idle), and when an I/O thread made it busy or its last response ended. The I/O threads' stall
 * check (`handlers.ts`) and the supervisor's watchdog read it here.
 *
 * @module
 */

/** What is read of a worker's board. */
export interface Progressing {
  readonly lastProgress: number;
  readonly busyChangedAt: number;
}

/**
 * An idle app worker stamps its progress every 100 ms, on its heap watch (`lib/handler/app/thread.ts`);
 * one whose stamp is older than this (or `stallMs`, if longer) has its event loop held by the
 * app, and gets no requests until it stamps again. A worker serving files only runs no code
 * while idle, and is not checked.
 */
export const IDLE_STALL_MS = 250;

/**
 * A stamp may be this far ahead of the reader's clock (it read the time before the worker
 * did); further, it was not written by the worker's code (an app that reached its board's memory).
 */
const STAMP_AHEAD_MS = 1000;

/**
 * A worker's last progress stamp; one from the future counts as none, or an app could write a
 * far one once, then spin, and never be stalled or replaced.
 *
 * @param worker the worker's board
 * @param now the reading thread's time, in ms since the epoch
 * @returns the stamp in ms since the epoch, or 0
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stampOf } from "./progress.ts";
 * const worker = (lastProgress: number) => ({ lastProgress, busyChangedAt: 0 });
 * assert.equal(stampOf(worker(5_000), 10_000), 5_000);
 * assert.equal(stampOf(worker(1e12), 10_000), 0);
 * ```
 */
export function stampOf(worker: Progressing, now: number): number {
  const stamp = worker.lastProgress;
  return stamp <= now + STAMP_AHEAD_MS ? stamp : 0;
}

/**
 * A worker's last sign of progress: its last stamp, or when it last turned busy or idle, if
 * later. A worker given a request after an idle spell has an old stamp that says nothing of
 * the request; one whose response just ended has shown progress, stamp or not.
 *
 * @param worker the worker's board
 * @param now the reading thread's time, in ms since the epoch
 * @returns the time in ms since the epoch
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { progressAt } from "./progress.ts";
 * const idleLong = { lastProgress: 1_000, busyChangedAt: 60_000 };
 * assert.equal(progressAt(idleLong, 60_005), 60_000);
 * ```
 */
export function progressAt(worker: Progressing, now: number): number {
  return Math.max(stampOf(worker, now), worker.busyChangedAt);
}
