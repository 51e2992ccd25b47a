/**
 * The server-wide counts its limits are checked against, in memory every I/O thread shares:
 * open connections (`--max-connections`), requests queued for a worker (`--queue`) and open
 * WebSockets (`--max-websockets`). A count is taken before the thing exists and given back when
 * it ends, so K threads together never pass a limit.
 *
 * The memory also holds the queue's doorbell (a worker freed on one I/O thread may take a request
 * queued on another, which waits on that bell) and each I/O thread's own count of connections,
 * by which a thread holding more than the others lets them accept the next ones.
 *
 * @module
 */
import { MAX_IO_THREADS } from "../config/settings.ts";

/** What is counted. */
export type CountKind = "connections" | "queued" | "websockets";

const SLOT: Readonly<Record<CountKind, number>> = { connections: 0, queued: 1, websockets: 2 };
const QUEUE_BELL = 3;
/** Rung when a thread is held back from accepting, or one held back closes a connection. */
const GATE_BELL = 4;
/** Int32 slot of I/O thread 1's connection count; thread i's is `THREAD_BASE + i - 1`. */
const THREAD_BASE = 5;
/** The counts, the bells, and one connection count per I/O thread. */
const COUNTS_BYTES = 4 * (THREAD_BASE + MAX_IO_THREADS);

/**
 * Allocates the counts.
 *
 * @returns the memory to give every I/O thread
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createCountsMemory, SharedCounts } from "./counts.ts";
 * const memory = createCountsMemory();
 * assert.ok(new SharedCounts(memory).take("connections", 1));
 * assert.ok(!new SharedCounts(memory).take("connections", 1));
 * ```
 */
export function createCountsMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(COUNTS_BYTES);
}

/** A view of the shared counts. */
export class SharedCounts {
  #words: Int32Array;

  /**
   * Opens a view.
   *
   * @param memory from {@linkcode createCountsMemory}
   */
  constructor(memory: SharedArrayBuffer = createCountsMemory()) {
    this.#words = new Int32Array(memory);
  }

  /**
   * Counts one more, unless that would pass `limit`.
   *
   * @param kind what is counted
   * @param limit the most there may be
   * @returns whether it was counted (false: at the limit, refuse)
   */
  take(kind: CountKind, limit: number): boolean {
    const slot = SLOT[kind];
    if (Atomics.add(this.#words, slot, 1) < limit) return true;
    Atomics.sub(this.#words, slot, 1);
    return false;
  }

  /**
   * Counts one fewer (one taken before ended).
   *
   * @param kind what is counted
   */
  give(kind: CountKind): void {
    Atomics.sub(this.#words, SLOT[kind], 1);
  }

  /**
   * How many there are now.
   *
   * @param kind what is counted
   * @returns the count
   */
  count(kind: CountKind): number {
    return Atomics.load(this.#words, SLOT[kind]);
  }

  /**
   * Counts a connection opened (1) or closed (-1) by one I/O thread, beside the server-wide
   * count.
   *
   * @param thread the thread's number, 1-based
   * @param change 1 or -1
   */
  countOn(thread: number, change: 1 | -1): void {
    Atomics.add(this.#words, THREAD_BASE + thread - 1, change);
  }

  /**
   * Gives back every connection a failed I/O thread counted: they died with it.
   *
   * @param thread the thread's number, 1-based
   */
  forgetThread(thread: number): void {
    const held = Atomics.exchange(this.#words, THREAD_BASE + thread - 1, 0);
    Atomics.sub(this.#words, SLOT.connections, held);
  }

  /**
   * Whether an I/O thread holds more than `slack` connections over the least-loaded of the
   * `threads`: it then leaves the next accepts to the others. Connections a listening socket
   * shares go to whichever thread asks first, and one busy thread asking as often as an idle
   * one took up to 99% of them.
   *
   * @param thread the thread's number, 1-based
   * @param threads how many I/O threads there are
   * @param slack how many more than the least-loaded a thread may hold
   * @returns true when this thread should not accept now
   */
  holdsMore(thread: number, threads: number, slack: number): boolean {
    const own = Atomics.load(this.#words, THREAD_BASE + thread - 1);
    for (let other = 1; other <= threads; other++) {
      if (Atomics.load(this.#words, THREAD_BASE + other - 1) + slack < own) return true;
    }
    return false;
  }

  /**
   * Wakes every thread waiting in {@linkcode SharedCounts.waitGate}: the balance changed, and a
   * thread held back may now accept.
   */
  ringGate(): void {
    Atomics.add(this.#words, GATE_BELL, 1);
    Atomics.notify(this.#words, GATE_BELL);
  }

  /** The gate bell's count now, to pass to {@linkcode SharedCounts.waitGate}. */
  get gateRings(): number {
    return Atomics.load(this.#words, GATE_BELL);
  }

  /**
   * Waits until the gate bell rings after `seen`, or `ms` pass.
   *
   * @param seen {@linkcode SharedCounts.gateRings} when the caller last looked
   * @param ms the longest wait
   */
  async waitGate(seen: number, ms: number): Promise<void> {
    const result = Atomics.waitAsync(this.#words, GATE_BELL, seen, ms);
    if (result.async) await result.value;
  }

  /** A worker freed up while requests wait in some queue: every I/O thread looks at its own. */
  ringQueue(): void {
    Atomics.add(this.#words, QUEUE_BELL, 1);
    Atomics.notify(this.#words, QUEUE_BELL);
  }

  /**
   * Calls `onRing` each time {@linkcode SharedCounts.ringQueue} rings, until `stopped()`.
   *
   * @param onRing what to do
   * @param stopped whether to stop listening (checked after each ring)
   */
  async onQueueRing(onRing: () => void, stopped: () => boolean): Promise<void> {
    let seen = Atomics.load(this.#words, QUEUE_BELL);
    while (!stopped()) {
      const result = Atomics.waitAsync(this.#words, QUEUE_BELL, seen);
      if (result.async) await result.value;
      // Read before onRing runs: a ring while it runs (another thread's worker freed up after
      // it looked) is heard at once by the next wait, not by the next deadline tick.
      seen = Atomics.load(this.#words, QUEUE_BELL);
      if (!stopped()) onRing();
    }
  }
}
