/**
 * The write side of a connection: an ordered queue of writes to its socket, joined into one
 * write up to 64 KiB, each write with an optional callback run once its bytes are in the socket
 * (the relay returns credit to the worker there), and since when queued bytes have waited (the
 * send timeout reads it). The connection owns one and decides what a drained queue or a failed
 * write means.
 *
 * @module
 */
import type { Transport } from "./tls.ts";

/** Queued writes are joined into one write up to this size. */
const COALESCE_BYTES = 64 * 1024;

/** What the writer tells its connection, and the clock it reads. */
export interface WriterEvents {
  /** The clock the send timeout is read against, in ms since the epoch. */
  now(): number;
  /** Every queued byte is in the socket (or the queue was dropped). */
  drained(): void;
  /** A write failed: the socket is gone. */
  failed(): void;
  /** Runs one write's callback (the connection guards it). */
  run(callback: () => void): void;
}

interface PendingWrite {
  bytes: Uint8Array;
  written?: () => void;
}

/**
 * A socket's write queue.
 *
 * @example
 * ```ts ignore
 * import { SocketWriter } from "./socket_writer.ts";
 * const writer = new SocketWriter(conn, {
 *   now: Date.now,
 *   drained,
 *   failed,
 *   run: (callback) => callback(),
 * });
 * writer.write(bytes, () => console.log("in the socket"));
 * ```
 */
export class SocketWriter {
  #conn: Transport;
  #events: WriterEvents;
  #writes: PendingWrite[] = [];
  #writing = false;
  #dropped = false;
  /** The batch being written, and how many of its bytes are in the socket already. */
  #batch: { bytes: Uint8Array; callbacks: (() => void)[] } | null = null;
  #batchWritten = 0;
  #queuedBytes = 0;
  #progressAt = 0;

  /**
   * Prepares the queue of one socket.
   *
   * @param conn the socket
   * @param events what the connection hears
   */
  constructor(conn: Transport, events: WriterEvents) {
    this.#conn = conn;
    this.#events = events;
  }

  /** Bytes queued for the socket and not yet in it, including a write under way. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Whether a write is under way. */
  get busy(): boolean {
    return this.#writing;
  }

  /**
   * Since when the socket has refused to take queued bytes, in ms since the epoch; 0 when
   * nothing waits. A client that does not read keeps this in the past.
   */
  get stalledSince(): number {
    return this.#queuedBytes === 0 ? 0 : this.#progressAt;
  }

  /**
   * Queues bytes for the socket, in order.
   *
   * @param bytes what to write; the caller must not change them afterwards
   * @param written called once they are in the socket
   */
  write(bytes: Uint8Array, written?: () => void): void {
    if (this.#queuedBytes === 0) this.#progressAt = this.#events.now();
    this.#queuedBytes += bytes.byteLength;
    this.#writes.push({ bytes, written });
    if (!this.#writing) this.#flush();
  }

  /** The socket closes: what is queued is dropped, and nothing more is written. */
  drop(): void {
    this.#dropped = true;
    this.#writes.length = 0;
    this.#queuedBytes = 0;
  }

  /**
   * Writes the queued batches one after another. Plain callbacks, not an async loop: a write is
   * made per response, and the loop's own promises and resumptions were a measurable part of
   * the I/O thread's cost per request.
   */
  #flush(): void {
    if (this.#writes.length === 0 || this.#dropped) {
      this.#writing = false;
      return this.#events.drained();
    }
    this.#writing = true;
    this.#batch = this.#takeBatch();
    this.#batchWritten = 0;
    this.#writeBatch();
  }

  #writeBatch(): void {
    const { bytes } = this.#batch!;
    const rest = this.#batchWritten === 0 ? bytes : bytes.subarray(this.#batchWritten);
    this.#conn.write(rest).then(this.#onWrite, this.#onWriteError);
  }

  #onWrite = (n: number): void => {
    this.#batchWritten += n;
    // Dropped: the count was zeroed with the queue, and stays so.
    if (!this.#dropped) this.#queuedBytes -= n;
    // The send timeout looks at this only while bytes wait: no clock read when none do.
    if (this.#queuedBytes > 0) this.#progressAt = this.#events.now();
    const batch = this.#batch!;
    if (this.#batchWritten < batch.bytes.byteLength) return this.#writeBatch();
    this.#batch = null;
    for (const callback of batch.callbacks) this.#events.run(callback);
    this.#flush();
  };

  #onWriteError = (): void => {
    this.#batch = null;
    this.#writing = false;
    this.#events.failed();
  };

  /** Joins queued writes up to COALESCE_BYTES into one. */
  #takeBatch(): { bytes: Uint8Array; callbacks: (() => void)[] } {
    const first = this.#writes.shift()!;
    const callbacks = first.written ? [first.written] : [];
    if (this.#writes.length === 0 || first.bytes.byteLength >= COALESCE_BYTES) {
      return { bytes: first.bytes, callbacks };
    }
    const parts = [first.bytes];
    let length = first.bytes.byteLength;
    while (this.#writes.length > 0 && length + this.#writes[0].bytes.byteLength <= COALESCE_BYTES) {
      const next = this.#writes.shift()!;
      parts.push(next.bytes);
      length += next.bytes.byteLength;
      if (next.written) callbacks.push(next.written);
    }
    const bytes = new Uint8Array(length);
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.byteLength;
    }
    return { bytes, callbacks };
  }
}
