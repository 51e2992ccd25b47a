/**
 * An I/O thread's buffers: a growable byte queue, where bytes read from a socket wait until a
 * worker takes them, and a pool of reusable buffers for bytes on their way to a socket.
 *
 * The queue appends at the end, takes from the front, and can put bytes back at the front (the
 * leftover of a pipelined request that a worker returns). One buffer is reused so a keep-alive
 * connection does not allocate per request.
 *
 * @module
 */

/** Largest buffer an empty queue keeps: what a few ordinary request heads need. */
const KEEP_BYTES = 16 * 1024;
const NO_BYTES = new Uint8Array(0);

/** Bytes waiting on one connection, in arrival order. */
export class ByteQueue {
  #buffer: Uint8Array;
  #start = 0;
  #end = 0;

  /**
   * Creates an empty queue.
   *
   * @param initialBytes starting capacity; it grows as needed
   */
  constructor(initialBytes = 0) {
    this.#buffer = new Uint8Array(initialBytes);
  }

  /** Bytes the queue holds memory for (exposed for tests and diagnostics). */
  get capacityBytes(): number {
    return this.#buffer.byteLength;
  }

  /** Number of bytes waiting. */
  get length(): number {
    return this.#end - this.#start;
  }

  /**
   * A view of the waiting bytes, valid until the queue is next changed.
   *
   * @returns the bytes, without copying
   */
  view(): Uint8Array {
    return this.#buffer.subarray(this.#start, this.#end);
  }

  /**
   * Appends bytes (copied).
   *
   * @param bytes what to add at the end
   */
  push(bytes: Uint8Array): void {
    this.#reserve(bytes.byteLength);
    this.#buffer.set(bytes, this.#end);
    this.#end += bytes.byteLength;
  }

  /**
   * Puts bytes back in front of what is waiting (copied).
   *
   * @param bytes what to add at the front
   */
  unshift(bytes: Uint8Array): void {
    if (bytes.byteLength <= this.#start) {
      this.#start -= bytes.byteLength;
      this.#buffer.set(bytes, this.#start);
      return;
    }
    const rest = this.view().slice();
    this.#start = this.#end = 0;
    this.push(bytes);
    this.push(rest);
  }

  /**
   * Removes up to `count` bytes from the front and returns them as a view, valid until the
   * queue is next changed.
   *
   * @param count how many bytes to take
   * @returns the bytes taken
   */
  take(count: number): Uint8Array {
    const n = Math.min(count, this.length);
    const bytes = this.#buffer.subarray(this.#start, this.#start + n);
    this.#start += n;
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
      // A burst (a large head, a pipelined run) must not leave each keep-alive connection
      // holding its largest buffer for life; the view returned keeps the old one alive.
      if (this.#buffer.byteLength > KEEP_BYTES) this.#buffer = NO_BYTES;
    }
    return bytes;
  }

  /** Ensures room for `extra` more bytes at the end, compacting or growing the buffer. */
  #reserve(extra: number): void {
    if (this.#end + extra <= this.#buffer.byteLength) return;
    const length = this.length;
    if (length + extra <= this.#buffer.byteLength / 2) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
    } else {
      const grown = new Uint8Array(Math.max(4096, 2 * (length + extra)));
      grown.set(this.view());
      this.#buffer = grown;
    }
    this.#start = 0;
    this.#end = length;
  }
}

/** One size of pooled buffer. */
export interface BufferClass {
  /** Size of each buffer. */
  bufferBytes: number;
  /** Smallest copy that uses this class (smaller ones go to an earlier class or the GC). */
  minBytes: number;
  /** Free buffers kept for reuse. */
  maxFree: number;
}

/**
 * Reusable buffers for response chunks on their way to a socket.
 *
 * Every response chunk must be copied out of the shared ring before an asynchronous write. A
 * fresh buffer per chunk costs a malloc and a memset per response, and large ones leave garbage
 * that V8 collects late: 20 slow readers of a large file grew the process by ~10 MB each.
 * Recycling buffers of a few fixed sizes keeps memory at what is actually in flight, which the
 * credit window bounds. Sizes between the classes are plain copies.
 */
export class BufferPool {
  #classes: { spec: BufferClass; free: Uint8Array[] }[];

  /**
   * Creates a pool.
   *
   * @param classes the buffer sizes, smallest first
   */
  constructor(classes: BufferClass[]) {
    this.#classes = classes.map((spec) => ({ spec, free: [] }));
  }

  /**
   * A copy of `bytes`, in a pooled buffer when one of the classes fits it.
   *
   * @param bytes what to copy
   * @returns the copy; pass it to {@linkcode BufferPool.release} when done
   */
  copy(bytes: Uint8Array): Uint8Array {
    const n = bytes.byteLength;
    const fit = this.#classes.find(({ spec }) => n >= spec.minBytes && n <= spec.bufferBytes);
    if (fit === undefined) return bytes.slice();
    const buffer = fit.free.pop() ?? new Uint8Array(fit.spec.bufferBytes);
    buffer.set(bytes);
    return buffer.subarray(0, n);
  }

  /**
   * Returns a copy's buffer to the pool; copies that did not come from it are left to the GC.
   *
   * @param copy a value returned by {@linkcode BufferPool.copy}
   */
  release(copy: Uint8Array): void {
    const size = copy.buffer.byteLength;
    const owner = this.#classes.find(({ spec }) => spec.bufferBytes === size);
    if (owner === undefined || owner.free.length >= owner.spec.maxFree) return;
    owner.free.push(new Uint8Array(copy.buffer as ArrayBuffer));
  }
}
