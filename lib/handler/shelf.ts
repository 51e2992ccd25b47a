/**
 * A worker's shelf of equal-sized buffers, lent to short-lived users (each request's parser).
 *
 * @module
 */

/**
 * Equal-sized buffers lent out and given back, so that short-lived users (a request's parser)
 * do not each cost a malloc and a memset. Buffers not given back are left to the GC.
 */
export class BufferShelf {
  #bufferBytes: number;
  #maxFree: number;
  #free: Uint8Array[] = [];

  /**
   * Creates an empty shelf.
   *
   * @param bufferBytes the size of each buffer
   * @param maxFree how many free buffers to keep at most
   */
  constructor(bufferBytes: number, maxFree: number) {
    this.#bufferBytes = bufferBytes;
    this.#maxFree = maxFree;
  }

  /**
   * A buffer: a free one, or a new one.
   *
   * @returns a buffer of the shelf's size, with stale contents
   */
  take(): Uint8Array {
    return this.#free.pop() ?? new Uint8Array(this.#bufferBytes);
  }

  /**
   * Gives a buffer back; no one may use it afterwards.
   *
   * @param buffer a buffer from {@linkcode BufferShelf.take}
   */
  give(buffer: Uint8Array): void {
    if (this.#free.length < this.#maxFree) this.#free.push(buffer);
  }
}
