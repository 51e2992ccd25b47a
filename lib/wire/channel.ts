/**
 * A two-way channel between one I/O thread and one handler worker over shared memory.
 *
 * Layout of the shared buffer: a control block (the I/O side's doorbell and "waiting" word, and
 * each side's "space wanted" flag), then the ring towards the worker, then the ring towards the
 * I/O thread. The worker's doorbell is on its board (`board.ts`), shared by its channels to every
 * I/O thread, so one pump serves them all. Each side's pump waits for its doorbell, drains its
 * inbound rings, flushes what it could not write earlier, and goes back to sleep. Ringing is
 * cheap: the peer is only notified when it is actually asleep, and all sends of one synchronous
 * turn share one ring.
 *
 * @module
 */
import { joinOctets } from "../http/octets.ts";
import { HandlerBoard } from "./board.ts";
import { type RecordHeader, Ring, ringBytes, type RingRecord } from "./ring.ts";

/** Which end of the channel this is. */
export type ChannelSide = "io" | "worker";

/** Sizes of the two rings of a channel, in data bytes (powers of two). */
export interface ChannelSizes {
  /** Ring carrying request heads, bodies and credits to the worker. */
  toWorkerBytes: number;
  /** Ring carrying responses to the I/O thread. */
  toIoBytes: number;
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
/** Int32 slots of the control block: the I/O side's doorbell and "waiting" word. */
const IO_BELL = 0;
const IO_WAITING = 1;
/** Int32 slots set by a side whose outbound ring was full: the consumer rings it after draining. */
const SPACE_WANTED = { io: 4, worker: 5 } as const;

/** A doorbell: the word a side waits on, and the word it sets while it sleeps. */
interface Bell {
  words: Int32Array;
  bell: number;
  waiting: number;
}

/**
 * Allocates the shared memory for a channel with the given ring sizes.
 *
 * @param sizes data bytes of each ring
 * @returns the buffer to pass to both ends
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createChannelMemory } from "./channel.ts";
 * const memory = createChannelMemory({ toWorkerBytes: 65536, toIoBytes: 1 << 20 });
 * assert.ok(memory instanceof SharedArrayBuffer);
 * assert.ok(memory.byteLength > 65536 + (1 << 20));
 * ```
 */
export function createChannelMemory(sizes: ChannelSizes): SharedArrayBuffer {
  return new SharedArrayBuffer(
    CONTROL_BYTES + ringBytes(sizes.toWorkerBytes) + ringBytes(sizes.toIoBytes),
  );
}

/** One end of a channel: sends records, and pumps received ones to a handler. */
export class ChannelEnd {
  /** The handler worker's board (its doorbell, counts and stamps). */
  readonly board: HandlerBoard;
  #control: Int32Array;
  #inbound: Ring;
  #outbound: Ring;
  #side: ChannelSide;
  #peer: ChannelSide;
  #bell: Bell;
  #peerBell: Bell;
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
   * @param options this end's side, the ring sizes used to create the memory, and the worker's
   *   board (the same memory on both ends)
   */
  constructor(
    memory: SharedArrayBuffer,
    options: { side: ChannelSide; sizes: ChannelSizes; board: SharedArrayBuffer },
  ) {
    const { toWorkerBytes, toIoBytes } = options.sizes;
    this.#control = new Int32Array(memory, 0, CONTROL_BYTES / 4);
    this.board = new HandlerBoard(options.board);
    const toWorker = new Ring(memory, { offset: CONTROL_BYTES, capacity: toWorkerBytes });
    const toIo = new Ring(memory, {
      offset: CONTROL_BYTES + ringBytes(toWorkerBytes),
      capacity: toIoBytes,
    });
    this.#side = options.side;
    this.#peer = options.side === "io" ? "worker" : "io";
    this.#inbound = options.side === "io" ? toIo : toWorker;
    this.#outbound = options.side === "io" ? toWorker : toIo;
    const io = { words: this.#control, bell: IO_BELL, waiting: IO_WAITING };
    const worker = { words: this.board.words, bell: this.board.bell, waiting: this.board.waiting };
    this.#bell = options.side === "io" ? io : worker;
    this.#peerBell = options.side === "io" ? worker : io;
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

  /**
   * Runs this end's pump until {@linkcode ChannelEnd.close}: every received record goes to
   * `onRecord`, whose payload view must be copied if kept. See {@linkcode ChannelEnd.pumpAll}.
   *
   * @param onRecord the record handler; it must not throw
   * @param idle whether this end has nothing in progress, so it may block briefly
   * @returns a promise that settles when the channel is closed
   */
  pump(onRecord: (record: RingRecord) => void, idle?: () => boolean): Promise<void> {
    return ChannelEnd.pumpAll([this], (_, record) => onRecord(record), idle);
  }

  /**
   * Runs one pump over a worker's channels to every I/O thread, which share its doorbell (an
   * I/O thread pumps each of its channels alone), until they are all closed.
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
   * @param ends the ends to pump: one, or a worker's ends that share its board
   * @param onRecord the record handler, with the end it came from; it must not throw
   * @param idle whether the worker has nothing in progress, so it may block briefly; never on
   *   an I/O thread, whose event loop must keep running
   * @returns a promise that settles when every end is closed
   */
  static async pumpAll(
    ends: readonly ChannelEnd[],
    onRecord: (end: ChannelEnd, record: RingRecord) => void,
    idle?: () => boolean,
  ): Promise<void> {
    const lead = ends[0];
    if (ends.some((end) => end.#bell.words.buffer !== lead.#bell.words.buffer)) {
      throw new Error("ChannelEnd.pumpAll() takes ends that share one doorbell");
    }
    const { words, bell, waiting } = lead.#bell;
    let turnAt = performance.now();
    while (ends.some((end) => !end.#closed)) {
      const seen = Atomics.load(words, bell);
      let more = false;
      for (const end of ends) more = end.#turn(onRecord) || more;
      if (more) continue;
      if (idle !== undefined && (await lead.#settles(idle))) {
        if (ends.some((end) => end.#inbound.hasRecords) || lead.#closed) continue;
        if (performance.now() - turnAt > SYNC_BUDGET_MS) {
          await lead.#nextTask();
          turnAt = performance.now();
          continue;
        }
        Atomics.store(words, waiting, 1);
        const outcome = Atomics.wait(words, bell, seen, IDLE_WAIT_MS);
        Atomics.store(words, waiting, 0);
        if (outcome !== "timed-out") continue;
      }
      Atomics.store(words, waiting, 1);
      const result = Atomics.waitAsync(words, bell, seen);
      if (result.async) {
        await result.value;
        turnAt = performance.now();
      }
      Atomics.store(words, waiting, 0);
    }
  }

  /** Drains this end's inbound ring and flushes its outbox; true when records are left. */
  #turn(onRecord: (end: ChannelEnd, record: RingRecord) => void): boolean {
    if (this.#closed) return false;
    const drained = this.#inbound.drain((record) => onRecord(this, record));
    // A peer waiting for space is rung once space was made, and its flag cleared only then.
    const spaceWanted = SPACE_WANTED[this.#peer];
    if (drained > 0 && Atomics.compareExchange(this.#control, spaceWanted, 1, 0) === 1) {
      this.#ringPeer();
    }
    this.#flushOutbox();
    return this.#inbound.hasRecords;
  }

  /**
   * A turn of the event loop: a message to this end itself, which comes sooner than a
   * `setTimeout(0)` (measured: ~8k against ~16k requests/s when yielding every 2 ms). The port is
   * made on first use, so an end that never blocks (the I/O thread's) holds none.
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
    const { words, bell } = this.#bell;
    Atomics.add(words, bell, 1);
    Atomics.notify(words, bell);
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
    const { words, bell, waiting } = this.#peerBell;
    Atomics.add(words, bell, 1);
    if (Atomics.compareExchange(words, waiting, 1, 0) === 1) {
      Atomics.notify(words, bell);
    }
  }
}
