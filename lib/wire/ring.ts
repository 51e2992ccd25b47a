/**
 * A single-producer, single-consumer ring of framed records in shared memory.
 *
 * Each I/O thread and each worker exchange every request's messages through two of these rings, because a
 * `postMessage` costs the sender ~11 µs while a ring write is a copy and an atomic store.
 * A record is a 16-byte header (payload length, kind, flags, stream id, argument) and its
 * payload, padded to 16 bytes. A record never wraps: when it does not fit before the end of the
 * ring, a padding record fills the rest and the record starts again at offset 0.
 *
 * The ring only moves bytes; waking the other side is the job of {@linkcode Doorbell}.
 *
 * @module
 */

/** Bytes of a record header. Also the alignment of every record. */
export const RECORD_HEADER_BYTES = 16;
/** Record kind reserved for padding at the end of the ring. */
const PAD_KIND = 0;
/** Int32 slots at the start of the ring's control block: read and write counters. */
const HEAD = 0;
const TAIL = 1;
/** Bytes of the control block before the data area. */
export const RING_CONTROL_BYTES = 64;

/** One record as the consumer sees it; `payload` is a view valid only during the callback. */
export interface RingRecord {
  /** Message kind, 1–255 (0 is padding). */
  kind: number;
  /** Message flags, 0–255. */
  flags: number;
  /** The request (its stream id, one per dispatched request) the record is about. */
  stream: number;
  /** A 32-bit argument whose meaning depends on the kind. */
  arg: number;
  /** The payload, a view into shared memory: copy what must outlive the callback. */
  payload: Uint8Array;
}

/** Header fields of a record to write. */
export type RecordHeader = Omit<RingRecord, "payload">;

/**
 * Bytes of shared memory a ring with `capacity` data bytes needs.
 *
 * @param capacity data bytes, a power of two of at least 1 KiB
 * @returns bytes for the control block and the data
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ringBytes } from "./ring.ts";
 * const bytes = ringBytes(65536);
 * assert.ok(bytes > 65536, "the capacity plus the ring's counters");
 * const memory = new SharedArrayBuffer(bytes);
 * assert.equal(memory.byteLength, bytes);
 * ```
 */
export function ringBytes(capacity: number): number {
  if (capacity < 1024 || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`ring capacity must be a power of two of at least 1024, got ${capacity}`);
  }
  return RING_CONTROL_BYTES + capacity;
}

/**
 * Largest payload one record of a ring may carry: a quarter of the ring, so writers never starve.
 *
 * @param capacity the ring's data bytes
 * @returns the payload bytes
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { maxRecordPayload } from "./ring.ts";
 * assert.ok(maxRecordPayload(65536) < 16384);
 * ```
 */
export function maxRecordPayload(capacity: number): number {
  return capacity / 4 - RECORD_HEADER_BYTES;
}

/**
 * One direction of a channel: the producer calls {@linkcode Ring.tryWrite}, the consumer
 * {@linkcode Ring.drain}. Counters run freely modulo 2^32 and the capacity is a power of two, so
 * `tail - head` is always the number of bytes in use.
 */
export class Ring {
  #control: Int32Array;
  #view: DataView;
  #bytes: Uint8Array;
  #capacity: number;

  /**
   * Wraps a region of shared memory laid out by {@linkcode ringBytes}.
   *
   * @param memory the shared buffer
   * @param options where the ring starts in it and its data capacity
   */
  constructor(memory: SharedArrayBuffer, options: { offset: number; capacity: number }) {
    this.#capacity = options.capacity;
    this.#control = new Int32Array(memory, options.offset, RING_CONTROL_BYTES / 4);
    const dataOffset = options.offset + RING_CONTROL_BYTES;
    this.#view = new DataView(memory, dataOffset, options.capacity);
    this.#bytes = new Uint8Array(memory, dataOffset, options.capacity);
  }

  /** Largest payload one record may carry (see {@linkcode maxRecordPayload}). */
  get maxPayload(): number {
    return maxRecordPayload(this.#capacity);
  }

  /** Bytes free for new records (including headers and padding). */
  get freeBytes(): number {
    const used = (Atomics.load(this.#control, TAIL) - Atomics.load(this.#control, HEAD)) >>> 0;
    return this.#capacity - used;
  }

  /** Whether records are waiting to be drained. */
  get hasRecords(): boolean {
    return Atomics.load(this.#control, TAIL) !== Atomics.load(this.#control, HEAD);
  }

  /**
   * Appends one record if it fits; `parts` are copied one after another into its payload.
   *
   * @param header kind (1–255), flags, stream id and argument
   * @param parts the payload, in pieces
   * @returns false when the ring has no room now (nothing is written)
   */
  tryWrite(header: RecordHeader, ...parts: Uint8Array[]): boolean {
    let length = 0;
    for (const part of parts) length += part.byteLength;
    if (length > this.maxPayload) {
      throw new RangeError(`record payload of ${length} bytes exceeds ${this.maxPayload}`);
    }
    const size = RECORD_HEADER_BYTES + align(length);
    const tail = Atomics.load(this.#control, TAIL);
    const free = this.#capacity - ((tail - Atomics.load(this.#control, HEAD)) >>> 0);
    const offset = (tail >>> 0) & (this.#capacity - 1);
    const padding = offset + size > this.#capacity ? this.#capacity - offset : 0;
    if (size + padding > free) return false;
    if (padding > 0) {
      this.#writeHeader(
        offset,
        { kind: PAD_KIND, flags: 0, stream: 0, arg: 0 },
        padding - RECORD_HEADER_BYTES,
      );
    }
    const start = padding > 0 ? 0 : offset;
    this.#writeHeader(start, header, length);
    let at = start + RECORD_HEADER_BYTES;
    for (const part of parts) {
      this.#bytes.set(part, at);
      at += part.byteLength;
    }
    Atomics.store(this.#control, TAIL, (tail + padding + size) | 0);
    return true;
  }

  /**
   * Hands every waiting record to `onRecord`, in order, then frees their space.
   *
   * @param onRecord called once per record; its payload view is reused after it returns
   * @returns the number of records handled
   */
  drain(onRecord: (record: RingRecord) => void): number {
    let head = Atomics.load(this.#control, HEAD);
    const tail = Atomics.load(this.#control, TAIL);
    let count = 0;
    while (head !== tail) {
      const offset = (head >>> 0) & (this.#capacity - 1);
      const length = this.#view.getUint32(offset, true);
      // The other side's memory is not to be trusted (an app's thread can reach its own):
      // a record must lie within the ring and within what was written.
      const size = RECORD_HEADER_BYTES + align(length);
      if (offset + size > this.#capacity || size > ((tail - head) >>> 0)) {
        throw new RangeError(`protocol violation: a record of ${length} bytes overruns the ring`);
      }
      const kind = this.#view.getUint8(offset + 4);
      if (kind !== PAD_KIND) {
        const start = offset + RECORD_HEADER_BYTES;
        onRecord({
          kind,
          flags: this.#view.getUint8(offset + 5),
          stream: this.#view.getUint32(offset + 8, true),
          arg: this.#view.getUint32(offset + 12, true),
          payload: this.#bytes.subarray(start, start + length),
        });
        count++;
      }
      head = (head + size) | 0;
    }
    Atomics.store(this.#control, HEAD, head);
    return count;
  }

  #writeHeader(offset: number, header: RecordHeader, length: number): void {
    this.#view.setUint32(offset, length, true);
    this.#view.setUint8(offset + 4, header.kind);
    this.#view.setUint8(offset + 5, header.flags);
    this.#view.setUint16(offset + 6, 0, true);
    this.#view.setUint32(offset + 8, header.stream, true);
    this.#view.setUint32(offset + 12, header.arg, true);
  }
}

function align(length: number): number {
  return (length + RECORD_HEADER_BYTES - 1) & ~(RECORD_HEADER_BYTES - 1);
}
