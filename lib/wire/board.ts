/**
 * A handler worker's board: the few words about it that every thread reads, in shared memory
 * of its own. The I/O threads count what it has in hand there (so each picks the least-loaded
 * worker with every thread's requests in view) and ring its one doorbell, whichever of its
 * channels they write to; the worker stamps its progress there; the supervisor reads it all for
 * the watchdog and the memory backstop, and marks the server draining.
 *
 * Each worker start gets a fresh board, so a late count for a lost worker cannot reach its
 * replacement. An app never holds it (see `lib/handler/app/thread.ts`).
 *
 * @module
 */

/** Int32 slots. */
const IN_FLIGHT = 0;
const TUNNELS = 1;
const BELL = 2;
const WAITING = 3;
const DRAINING = 4;
/** Float64 slots (bytes 24, 32, 40: after the Int32 slots). */
const BUSY_CHANGED_AT = 3;
const PROGRESS = 4;
const SYSTEM_TIME = 5;
const BOARD_BYTES = 64;

/**
 * Allocates a board.
 *
 * @returns the memory to give every thread that reads or writes the worker's board
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBoardMemory, HandlerBoard } from "./board.ts";
 * const memory = createBoardMemory();
 * new HandlerBoard(memory).claim();
 * assert.equal(new HandlerBoard(memory).inFlight, 1);
 * ```
 */
export function createBoardMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(BOARD_BYTES);
}

/** A view of one worker's board. */
export class HandlerBoard {
  /** The Int32 view; the doorbell and its "waiting" word are read by the channel's pump. */
  readonly words: Int32Array;
  /** Int32 index of the worker's doorbell in {@linkcode HandlerBoard.words}. */
  readonly bell: number = BELL;
  /** Int32 index of the word the worker sets while it sleeps on its doorbell. */
  readonly waiting: number = WAITING;
  #times: Float64Array;

  /**
   * Opens a view of a board.
   *
   * @param memory the board's memory, from {@linkcode createBoardMemory}
   */
  constructor(memory: SharedArrayBuffer) {
    this.words = new Int32Array(memory, 0, BOARD_BYTES / 4);
    this.#times = new Float64Array(memory, 0, BOARD_BYTES / 8);
  }

  /** Requests dispatched to the worker by every I/O thread and not finished yet. */
  get inFlight(): number {
    return Atomics.load(this.words, IN_FLIGHT);
  }

  /** WebSockets the worker holds. */
  get tunnels(): number {
    return Atomics.load(this.words, TUNNELS);
  }

  /**
   * When `inFlight` last went from 0 to 1 or back to 0, in ms since the epoch; 0 before the
   * first request.
   */
  get busyChangedAt(): number {
    return this.#times[BUSY_CHANGED_AT];
  }

  /** The worker's last progress stamp in ms since the epoch (0 before its first). */
  get lastProgress(): number {
    return this.#times[PROGRESS];
  }

  /** The system CPU time the worker's app thread last reported, in µs (0 if it never did). */
  get systemTimeUs(): number {
    return this.#times[SYSTEM_TIME];
  }

  /** Whether the worker is asleep on its doorbell (waking it costs a thread switch). */
  get asleep(): boolean {
    return Atomics.load(this.words, WAITING) === 1;
  }

  /** Whether the server is shutting down (the health check then answers 503). */
  get draining(): boolean {
    return Atomics.load(this.words, DRAINING) === 1;
  }

  /**
   * Counts a request given to the worker.
   *
   * @param clock the time in ms since the epoch, read only when the worker turns busy
   */
  claim(clock: () => number = Date.now): void {
    if (Atomics.add(this.words, IN_FLIGHT, 1) === 0) this.#times[BUSY_CHANGED_AT] = clock();
  }

  /**
   * Counts a request of the worker as finished; never below zero.
   *
   * @param clock the time in ms since the epoch, read only when the worker turns idle
   */
  release(clock: () => number = Date.now): void {
    const before = this.#decrement(IN_FLIGHT);
    // A response that ended is progress: an idle worker is not stalled before its next stamp.
    if (before === 1) this.#times[BUSY_CHANGED_AT] = clock();
  }

  /** Counts a WebSocket the worker holds. */
  openTunnel(): void {
    Atomics.add(this.words, TUNNELS, 1);
  }

  /** Counts a WebSocket of the worker as closed; never below zero. */
  closeTunnel(): void {
    this.#decrement(TUNNELS);
  }

  /**
   * Records the worker's progress time, read by the stall check and the watchdog.
   *
   * @param now the time in ms since the epoch
   */
  stampProgress(now: number = Date.now()): void {
    this.#times[PROGRESS] = now;
  }

  /**
   * Records the system CPU time the worker's app thread has used, read by the memory backstop.
   *
   * @param systemUs the thread's system CPU time so far, in µs
   */
  stampSystemTime(systemUs: number): void {
    this.#times[SYSTEM_TIME] = systemUs;
  }

  /** Tells the worker the server is shutting down. */
  markDraining(): void {
    Atomics.store(this.words, DRAINING, 1);
  }

  /** Decrements a count unless it is 0; returns the count before. */
  #decrement(slot: number): number {
    for (;;) {
      const before = Atomics.load(this.words, slot);
      if (before === 0) return 0;
      if (Atomics.compareExchange(this.words, slot, before, before - 1) === before) return before;
    }
  }
}
