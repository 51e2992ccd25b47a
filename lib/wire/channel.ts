/**
 * A two-way channel between the main thread and one worker over shared memory.
 *
 * Layout of the shared buffer: a control block (a doorbell and a "waiting" word for each side,
 * the worker's progress stamp), then the ring towards the worker, then the ring towards the main
 * thread. Each side runs one pump: wait for its doorbell, drain its inbound ring, flush what it
 * could not write earlier, and go back to sleep. Ringing is cheap: the peer is only notified when
 * it is actually asleep, and all sends of one synchronous turn share one ring.
 *
 * @module
 */
import { joinOctets } from "../http/octets.ts";
import { type RecordHeader, Ring, ringBytes, type RingRecord } from "./ring.ts";

/** Which end of the channel this is. */
export type ChannelSide = "main" | "worker";

/** Sizes of the two rings of a channel, in data bytes (powers of two). */
export interface ChannelSizes {
  /** Ring carrying request heads, bodies and credits to the worker. */
  toWorkerBytes: number;
  /** Ring carrying responses to the main thread. */
  toMainBytes: number;
}

const CONTROL_BYTES = 64;
/** How long an idle worker blocks on its doorbell before it waits asynchronously. */
const IDLE_WAIT_MS = 1;
/**
 * Longest run of blocking waits after a turn of the event loop. Each yield costs a turn: with
 * 2 ms they cost each worker ~0.3 µs a request of a small file; with 10 ms an app's 10 ms
 * interval still ticks 85% of the time under full load, no gap over ~25 ms.
 */
const SYNC_BUDGET_MS = 10;
/** Microtask turns an idle check waits for handlers that finish without I/O. */
const IDLE_TURNS = 16;
/** Int32 slots of the control block. */
const BELL = { main: 0, worker: 2 } as const;
const WAITING = { main: 1, worker: 3 } as const;
/** Int32 slots set by a side whose outbound ring was full: the consumer rings it after draining. */
const SPACE_WANTED = { main: 4, worker: 5 } as const;
/** Int32 slot set by the main thread once the server is shutting down. */
const DRAINING = 6;
/** Float64 slot (byte 32, after the Int32 slots) holding the worker's last progress time, in ms since the epoch. */
const PROGRESS_SLOT = 4;
/**
 * Float64 slot (byte 40) holding the system CPU time an app's thread has used, in µs: the kernel
 * time spent giving it fresh pages counts there, so the main thread can tell which thread grew.
 */
const SYSTEM_TIME_SLOT = 5;

/**
 * Allocates the shared memory for a channel with the given ring sizes.
 *
 * @param sizes data bytes of each ring
 * @returns the buffer to pass to both ends
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createChannelMemory } from "./channel.ts";
 * const memory = createChannelMemory({ toWorkerBytes: 65536, toMainBytes: 1 << 20 });
 * assert.ok(memory instanceof SharedArrayBuffer);
 * assert.ok(memory.byteLength > 65536 + (1 << 20));
 * ```
 */
export function createChannelMemory(sizes: ChannelSizes): SharedArrayBuffer {
  return new SharedArrayBuffer(
    CONTROL_BYTES + ringBytes(sizes.toWorkerBytes) + ringBytes(sizes.toMainBytes),
  );
}

/** One end of a channel: sends records, and pumps received ones to a handler. */
export class ChannelEnd {
  #control: Int32Array;
  #progress: Float64Array;
  #inbound: Ring;
  #outbound: Ring;
  #side: ChannelSide;
  #peer: ChannelSide;
  #outbox: { header: RecordHeader; payload: Uint8Array }[] = [];
  #flushed: (() => void)[] = [];
  #ringScheduled = false;
  #closed = false;
  /** The port an idle pump posts to itself to yield a task, and who waits for that task. */
  #tasks: MessageChannel | null = null;
  #taskWake: (() => void) | null = null;

  /**
   * Opens one end of the channel laid out in `memory`.
   *
   * @param memory the buffer from {@linkcode createChannelMemory}
   * @param options this end's side and the ring sizes used to create the memory
   */
  constructor(memory: SharedArrayBuffer, options: { side: ChannelSide; sizes: ChannelSizes }) {
    const { toWorkerBytes, toMainBytes } = options.sizes;
    this.#control = new Int32Array(memory, 0, CONTROL_BYTES / 4);
    this.#progress = new Float64Array(memory, 0, CONTROL_BYTES / 8);
    const toWorker = new Ring(memory, { offset: CONTROL_BYTES, capacity: toWorkerBytes });
    const toMain = new Ring(memory, {
      offset: CONTROL_BYTES + ringBytes(toWorkerBytes),
      capacity: toMainBytes,
    });
    this.#side = options.side;
    this.#peer = options.side === "main" ? "worker" : "main";
    this.#inbound = options.side === "main" ? toMain : toWorker;
    this.#outbound = options.side === "main" ? toWorker : toMain;
  }

  /** Largest payload one {@linkcode ChannelEnd.send} may carry. */
  get maxPayload(): number {
    return this.#outbound.maxPayload;
  }

  /** Records queued locally because the outbound ring was full. */
  get backlog(): number {
    return this.#outbox.length;
  }

  /**
   * Resolves once no record waits in the local queue: a producer of bulk data awaits it before
   * making more, so a full ring holds it back instead of filling memory with queued copies.
   *
   * @returns a promise that settles when the queue is empty (at once if it is)
   */
  whenFlushed(): Promise<void> {
    if (this.#outbox.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#flushed.push(resolve));
  }

  /**
   * Sends one record; when the ring is full it is copied to a local queue and sent in order
   * once the peer frees space.
   *
   * @param header the record's kind, flags, stream and argument
   * @param parts the payload in pieces (copied before this returns)
   */
  send(header: RecordHeader, ...parts: Uint8Array[]): void {
    if (this.#closed) return;
    if (this.#outbox.length > 0 || !this.#outbound.tryWrite(header, ...parts)) {
      this.#outbox.push({ header, payload: joinOctets(parts) });
      this.#flushOutbox();
    }
    this.#scheduleRing();
  }

  /** Records the worker's progress time, read by the main thread's stall check. */
  stampProgress(now: number = Date.now()): void {
    this.#progress[PROGRESS_SLOT] = now;
  }

  /**
   * Records the system CPU time the worker's thread has used (an app's thread, on its heap watch),
   * read by the main thread's memory backstop.
   *
   * @param systemUs the thread's system CPU time so far, in µs
   */
  stampSystemTime(systemUs: number): void {
    this.#progress[SYSTEM_TIME_SLOT] = systemUs;
  }

  /** Tells the worker the server is shutting down (its health check then answers 503). */
  markDraining(): void {
    Atomics.store(this.#control, DRAINING, 1);
  }

  /** Whether the server is shutting down. */
  get draining(): boolean {
    return Atomics.load(this.#control, DRAINING) === 1;
  }

  /** Whether the other end is asleep, waiting for its doorbell (waking it costs a thread switch). */
  get peerAsleep(): boolean {
    return Atomics.load(this.#control, WAITING[this.#peer]) === 1;
  }

  /** The worker's last progress time in ms since the epoch (0 before its first stamp). */
  get lastProgress(): number {
    return this.#progress[PROGRESS_SLOT];
  }

  /** The system CPU time the worker's thread last reported, in µs (0 if it never did). */
  get systemTimeUs(): number {
    return this.#progress[SYSTEM_TIME_SLOT];
  }

  /**
   * Runs this end's pump until {@linkcode ChannelEnd.close}: every received record goes to
   * `onRecord`, whose payload view must be copied if kept.
   *
   * A worker's pump that has nothing in hand (`idle`, once its handlers' microtasks have run)
   * first blocks for up to IDLE_WAIT_MS on its doorbell, then waits asynchronously. Under load
   * the next request comes within that time and is taken without a turn of the event loop: that
   * turn, and waking it, cost ~1 µs a request for a small file (18.9–20.5 → 18.0–18.7 µs in A/B
   * runs) and ~4 µs for an app answering at once (33 → 28.5 µs). Blocking waits never run on for
   * more than SYNC_BUDGET_MS after the event loop's last turn: then the pump yields one task, so
   * what else the loop holds (an app's timers and I/O, its heap watch) runs within ~10 ms even
   * while requests keep coming.
   *
   * @param onRecord the record handler; it must not throw
   * @param idle whether this end has nothing in progress, so it may block briefly; never on
   *   the main thread, whose event loop must keep running
   * @returns a promise that settles when the channel is closed
   */
  async pump(onRecord: (record: RingRecord) => void, idle?: () => boolean): Promise<void> {
    const bell = BELL[this.#side];
    const waiting = WAITING[this.#side];
    let turnAt = performance.now();
    while (!this.#closed) {
      const seen = Atomics.load(this.#control, bell);
      const drained = this.#inbound.drain(onRecord);
      // A peer waiting for space is rung once space was made, and its flag cleared only then.
      const spaceWanted = SPACE_WANTED[this.#peer];
      if (drained > 0 && Atomics.compareExchange(this.#control, spaceWanted, 1, 0) === 1) {
        this.#ringPeer();
      }
      this.#flushOutbox();
      if (this.#inbound.hasRecords) continue;
      if (idle !== undefined && (await this.#settles(idle))) {
        if (this.#inbound.hasRecords || this.#closed) continue;
        if (performance.now() - turnAt > SYNC_BUDGET_MS) {
          await this.#nextTask();
          turnAt = performance.now();
          continue;
        }
        Atomics.store(this.#control, waiting, 1);
        const outcome = Atomics.wait(this.#control, bell, seen, IDLE_WAIT_MS);
        Atomics.store(this.#control, waiting, 0);
        if (outcome !== "timed-out") continue;
      }
      Atomics.store(this.#control, waiting, 1);
      const result = Atomics.waitAsync(this.#control, bell, seen);
      if (result.async) {
        await result.value;
        turnAt = performance.now();
      }
      Atomics.store(this.#control, waiting, 0);
    }
  }

  /**
   * A turn of the event loop: a message to this end itself, which comes sooner than a
   * `setTimeout(0)` (measured: ~8k against ~16k requests/s when yielding every 2 ms). The port is
   * made on first use, so an end that never blocks (the main thread's) holds none.
   */
  #nextTask(): Promise<void> {
    if (this.#tasks === null) {
      const tasks = new MessageChannel();
      tasks.port1.onmessage = () => {
        const wake = this.#taskWake;
        this.#taskWake = null;
        wake?.();
      };
      this.#tasks = tasks;
    }
    const tasks = this.#tasks;
    return new Promise((resolve) => {
      this.#taskWake = resolve;
      tasks.port2.postMessage(null);
    });
  }

  /**
   * Lets pending microtasks run (the ring of what was just sent, and handlers that finish
   * without waiting for I/O, as an app answering at once does) for a few turns, until `idle`.
   */
  async #settles(idle: () => boolean): Promise<boolean> {
    for (let turn = 0; turn < IDLE_TURNS; turn++) {
      await null;
      if (idle()) return true;
    }
    return false;
  }

  /** Stops this end's pump; records still in the rings are dropped. */
  close(): void {
    this.#closed = true;
    this.#tasks?.port1.close();
    this.#tasks?.port2.close();
    this.#taskWake?.();
    this.#outbox.length = 0;
    for (const resolve of this.#flushed.splice(0)) resolve();
    const bell = BELL[this.#side];
    Atomics.add(this.#control, bell, 1);
    Atomics.notify(this.#control, bell);
  }

  #flushOutbox(): void {
    if (this.#outbox.length === 0) return;
    let sent = this.#writeQueued(0);
    if (sent < this.#outbox.length) {
      Atomics.store(this.#control, SPACE_WANTED[this.#side], 1);
      // The peer may have drained between the failed write and the flag: try once more.
      sent = this.#writeQueued(sent);
    }
    if (sent === 0) return;
    this.#outbox.splice(0, sent);
    this.#ringPeer();
    if (this.#outbox.length === 0) {
      for (const resolve of this.#flushed.splice(0)) resolve();
    }
  }

  #writeQueued(from: number): number {
    let sent = from;
    while (sent < this.#outbox.length) {
      const { header, payload } = this.#outbox[sent];
      if (!this.#outbound.tryWrite(header, payload)) break;
      sent++;
    }
    return sent;
  }

  #scheduleRing(): void {
    if (this.#ringScheduled) return;
    this.#ringScheduled = true;
    queueMicrotask(() => {
      this.#ringScheduled = false;
      this.#ringPeer();
    });
  }

  /** Bumps the peer's doorbell; notifies only if the peer is asleep on it. */
  #ringPeer(): void {
    const bell = BELL[this.#peer];
    Atomics.add(this.#control, bell, 1);
    if (Atomics.compareExchange(this.#control, WAITING[this.#peer], 1, 0) === 1) {
      Atomics.notify(this.#control, bell);
    }
  }
}
