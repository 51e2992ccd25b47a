/**
 * Flow-controlled response writing on a worker: the head and every body shape go out in
 * records assembled in the worker's scratch buffer, never more than the window ahead of what
 * reached the socket.
 *
 * The window is awaited before a record is filled, and filling and sending follow with no
 * await between them, so one scratch buffer serves every response of the worker.
 *
 * @module
 */
import { CRLF, LAST_CHUNK } from "../http/octets.ts";
import { writeHead } from "../http/serializer.ts";
import { FILE_CHUNK_BYTES } from "../wire/protocol.ts";
import type { BodyPart, FileRange } from "./handler.ts";

/** How a response ends: close the connection or not, and the request bytes it did not use. */
export interface ResponseEnd {
  close: boolean;
  leftover: Uint8Array;
  /** The client left: what is still queued for the socket is dropped and it closes at once. */
  reset?: boolean;
}

/** What the writer needs from its worker. */
export interface WriterIo {
  /** The worker's scratch buffer; `send` copies out of it before returning. */
  scratch: Uint8Array;
  /** Most unacknowledged response bytes. */
  windowBytes: number;
  /** Whether records wait in the worker's local queue because the ring is full. */
  backlogged(): boolean;
  /** Resolves when that queue is empty. */
  whenFlushed(): Promise<void>;
  /** Sends one record of response bytes for a request; `end` marks the last. */
  send(stream: number, bytes: Uint8Array, end?: ResponseEnd): void;
}

/** Thrown by the writer once the connection is gone. */
export class AbortedError extends Error {}

/** A streamed body whose length is not the Content-Length its head announced. */
export class LengthMismatchError extends Error {
  /**
   * Says how the body and the announced length differ.
   *
   * @param counts the announced length, and the bytes the stream gave ("more" when past it)
   */
  constructor(counts: { length: number; given: number | "more" }) {
    const { length, given } = counts;
    super(
      given === "more"
        ? `the response body is longer than its Content-Length of ${length} bytes: the connection was closed short of it; send the length of the body or none`
        : `the response body ended after ${given} of the ${length} bytes its Content-Length announced: the connection was closed; send the length of the body or none`,
    );
  }
}

/**
 * How long a stream that has given its whole Content-Length may take to end before its last piece
 * goes anyway and the stream is cancelled. An app ends its stream right after its last piece, or
 * after an await or two (a flush, a commit); 1 s is far more, and the client, which has all of
 * the body but that piece, waits no longer (`deno serve` sends it at once). A wait without end
 * would hold the client and the exchange until the client gives up.
 */
export const STREAM_END_WAIT_MS = 1_000;

/**
 * The info line's reason for a stream that gave its whole Content-Length and did not end.
 *
 * @param length the Content-Length
 * @returns the reason, saying what the server did and what the app should do
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unendedStream } from "./response_writer.ts";
 * assert.match(unendedStream(3), /^the response stream did not end within 1 s of its Content-Length of 3 bytes/);
 * ```
 */
export function unendedStream(length: number): string {
  return `the response stream did not end within ${STREAM_END_WAIT_MS / 1000} s of its ` +
    `Content-Length of ${length} bytes: the body was sent and the stream cancelled; close the ` +
    `stream after its last byte`;
}

/** Room a chunk-size line and its CRLFs take around chunk data. */
const CHUNK_FRAMING_BYTES = 20;

/** Writes one response under the credit window; owns nothing but its counters. */
export class ResponseWriter {
  #io: WriterIo;
  #stream: number;
  #unacked = 0;
  #aborted = false;
  #wake: (() => void) | null = null;
  /** The stream being sent, if any: cancelled on abort. */
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #sent = 0;
  #written = 0;

  /**
   * Creates a writer for one response.
   *
   * @param io the worker's scratch buffer, window and channel
   * @param stream the request the response answers
   */
  constructor(io: WriterIo, stream: number) {
    this.#io = io;
    this.#stream = stream;
  }

  /** Response bytes sent so far, head included. */
  get sentBytes(): number {
    return this.#sent;
  }

  /** Response bytes the I/O thread reported written to the socket (the access log's count). */
  get writtenBytes(): number {
    return this.#written;
  }

  /** Whether a stream's body is going out (its end is not known until it comes). */
  get streaming(): boolean {
    return this.#reader !== null;
  }

  /**
   * Response bytes reached the socket: reopen the window.
   *
   * @param bytes how many
   */
  credit(bytes: number): void {
    this.#written += bytes;
    this.#unacked = Math.max(0, this.#unacked - bytes);
    this.#resume();
  }

  /** The connection is gone: every pending or later write throws {@linkcode AbortedError}. */
  abort(): void {
    this.#aborted = true;
    this.#resume();
    // A stream that never yields again (an app's) must not keep the response alive: cancelling
    // it ends the pending read.
    this.#reader?.cancel().catch(() => {});
  }

  /**
   * Sends the head and then the parts, in records of at most one file chunk.
   *
   * @param head the head's text, from `headText()`
   * @param options the body parts, and how the response ends (undefined: the exchange goes on)
   * @returns nothing when every record went out at once; else when the last one is sent (a
   *   promise, which also carries an {@linkcode AbortedError})
   */
  sendParts(head: string, options: { parts: BodyPart[]; end?: ResponseEnd }): void | Promise<void> {
    const { parts, end } = options;
    const total = parts.reduce((sum, part) => sum + partLength(part), 0);
    const progress = { head, first: true, parts, end, total, done: 0, index: 0, within: 0 };
    try {
      return this.#sendPartsFrom(progress);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The record loop of {@linkcode ResponseWriter.sendParts}. Fast path: while the window and the
   * ring have room it runs to the end without a promise, as a small response always does; only
   * a wait for credit continues it asynchronously.
   */
  #sendPartsFrom(progress: PartsProgress, waited?: Uint8Array): void | Promise<void> {
    const { head, parts, end, total } = progress;
    while (progress.first || progress.done < total) {
      const at = progress.first ? head.length : 0;
      const want = Math.min(
        FILE_CHUNK_BYTES,
        this.#io.scratch.byteLength - at,
        total - progress.done,
      );
      // After a wait, the room that wait found is used as it is.
      const scratch = waited ?? this.#roomNow(at + want);
      waited = undefined;
      if (scratch === null) {
        return this.#room(at + want).then((room) => this.#sendPartsFrom(progress, room));
      }
      if (progress.first) writeHead(head, scratch);
      progress.first = false;
      const n = fill(parts, progress, scratch.subarray(at, at + want));
      progress.done += n;
      this.#send(scratch.subarray(0, at + n), progress.done === total ? end : undefined);
    }
  }

  /**
   * Sends the head, then the stream's chunks as they come, framed as chunked transfer coding
   * when `chunked`; each chunk is flushed at once (server-sent events rely on it).
   *
   * With a `length` (the Content-Length the head announced) the stream must give exactly that
   * many bytes: the piece that completes it is held until the stream is seen to end, so a body
   * that runs short or long fails (and its connection closes) without a byte count that looks
   * complete ever reaching the client. A stream that does not end within `STREAM_END_WAIT_MS`
   * of its last byte is taken as complete: the piece goes, the stream is cancelled (its
   * `cancel()` runs), and `onUnended` hears why.
   *
   * @param head the head's text
   * @param options the stream, the framing, the announced length, if any, how the response
   *   ends (undefined: it goes on), and who hears of a stream that did not end after its length
   * @returns when the stream is done and the last record is sent
   * @throws {LengthMismatchError} when the stream's length is not the announced one
   */
  async sendStream(
    head: string,
    options: {
      stream: ReadableStream<Uint8Array>;
      chunked: boolean;
      length?: number;
      end?: ResponseEnd;
      onUnended?: (reason: string) => void;
    },
  ): Promise<void> {
    const { chunked, end } = options;
    const reader = options.stream.getReader();
    this.#reader = reader;
    try {
      const scratch = await this.#room(head.length);
      this.#send(scratch.subarray(0, writeHead(head, scratch)));
      if (options.length === undefined) await this.#sendPieces(reader, chunked);
      else if (!await this.#sendLength(reader, options.length)) {
        reader.cancel().catch(() => {});
        options.onUnended?.(unendedStream(options.length));
      }
      const tail = chunked ? LAST_CHUNK : new Uint8Array();
      const last = await this.#room(tail.byteLength);
      last.set(tail);
      if (tail.byteLength > 0 || end) this.#send(last.subarray(0, tail.byteLength), end);
    } catch (error) {
      reader.cancel().catch(() => {});
      throw error;
    } finally {
      this.#reader = null;
      reader.releaseLock();
    }
  }

  /** Sends each piece of a stream as it comes, to its end. */
  async #sendPieces(
    reader: ReadableStreamDefaultReader<Uint8Array>,
    chunked: boolean,
  ): Promise<void> {
    for (;;) {
      const { value, done } = await reader.read();
      if (this.#aborted) throw new AbortedError();
      if (done) return;
      await this.#sendChunk(value, chunked);
    }
  }

  /**
   * Sends exactly `length` bytes of a stream, the last piece once the stream has ended, or once
   * `STREAM_END_WAIT_MS` have passed since it was given (empty pieces do not restart the wait).
   *
   * @returns true when the stream ended; false when it did not end in time (the caller cancels it)
   */
  async #sendLength(
    reader: ReadableStreamDefaultReader<Uint8Array>,
    length: number,
  ): Promise<boolean> {
    let given = 0;
    let held: Uint8Array | null = null;
    // A length of 0 is complete before the first read.
    let endBy = length === 0 ? Date.now() + STREAM_END_WAIT_MS : 0;
    for (;;) {
      const read = endBy === 0 ? await reader.read() : await readBy(reader, endBy);
      if (this.#aborted) throw new AbortedError();
      if (read === null) break;
      if (read.done) {
        endBy = 0;
        break;
      }
      given += read.value.byteLength;
      if (given > length) throw new LengthMismatchError({ length, given: "more" });
      if (given === length && endBy === 0) {
        held = read.value;
        endBy = Date.now() + STREAM_END_WAIT_MS;
      } else await this.#sendChunk(read.value, false);
    }
    if (given < length) throw new LengthMismatchError({ length, given });
    if (held !== null) await this.#sendChunk(held, false);
    return endBy === 0;
  }

  /** Sends one piece of a stream, split to fit the scratch buffer, framed when chunked. */
  async #sendChunk(data: Uint8Array, chunked: boolean): Promise<void> {
    const room = this.#io.scratch.byteLength - CHUNK_FRAMING_BYTES;
    for (let offset = 0; offset < data.byteLength; offset += room) {
      const piece = data.subarray(offset, offset + room);
      const scratch = await this.#room(piece.byteLength + CHUNK_FRAMING_BYTES);
      let at = 0;
      if (chunked) at += writeHead(`${piece.byteLength.toString(16)}\r\n`, scratch);
      scratch.set(piece, at);
      at += piece.byteLength;
      if (chunked) {
        scratch.set(CRLF, at);
        at += CRLF.byteLength;
      }
      this.#send(scratch.subarray(0, at));
    }
  }

  /**
   * The scratch buffer if `bytes` more fit the window and the ring now, else null.
   *
   * @throws {AbortedError} once the connection is gone
   */
  #roomNow(bytes: number): Uint8Array | null {
    if (this.#aborted) throw new AbortedError();
    const windowFull = this.#unacked > 0 && this.#unacked + bytes > this.#io.windowBytes;
    return windowFull || this.#io.backlogged() ? null : this.#io.scratch;
  }

  /** Waits until `bytes` more fit the window and the ring; returns the scratch buffer. */
  async #room(bytes: number): Promise<Uint8Array> {
    while (this.#unacked > 0 && this.#unacked + bytes > this.#io.windowBytes && !this.#aborted) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    if (!this.#aborted && this.#io.backlogged()) await this.#io.whenFlushed();
    if (this.#aborted) throw new AbortedError();
    return this.#io.scratch;
  }

  #send(bytes: Uint8Array, end?: ResponseEnd): void {
    this.#unacked += bytes.byteLength;
    this.#sent += bytes.byteLength;
    this.#io.send(this.#stream, bytes, end);
  }

  #resume(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}

/** The stream's next read, or null when it has not come by `endBy` (ms since the epoch). */
async function readBy(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  endBy: number,
): Promise<ReadableStreamReadResult<Uint8Array> | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), Math.max(0, endBy - Date.now()));
  });
  try {
    return await Promise.race([reader.read(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Where a parts response is: whether the head is still to write, and the cursor. */
interface PartsProgress {
  head: string;
  first: boolean;
  parts: BodyPart[];
  end: ResponseEnd | undefined;
  total: number;
  done: number;
  /** The part being sent, and how far into it. */
  index: number;
  within: number;
}

function partLength(part: BodyPart): number {
  return part instanceof Uint8Array ? part.byteLength : part.length;
}

/** Copies the next bytes of `parts` into `into`, advancing `cursor`; returns the count. */
function fill(
  parts: BodyPart[],
  cursor: { index: number; within: number },
  into: Uint8Array,
): number {
  let filled = 0;
  while (filled < into.byteLength && cursor.index < parts.length) {
    const part = parts[cursor.index];
    const left = partLength(part) - cursor.within;
    const n = Math.min(left, into.byteLength - filled);
    if (part instanceof Uint8Array) {
      // A whole part (a small file's bytes) is copied without making a view of it.
      const whole = cursor.within === 0 && n === part.byteLength;
      into.set(whole ? part : part.subarray(cursor.within, cursor.within + n), filled);
    } else {
      readRange(part, { at: cursor.within, into: into.subarray(filled, filled + n) });
    }
    filled += n;
    cursor.within += n;
    if (cursor.within === partLength(part)) {
      cursor.index++;
      cursor.within = 0;
    }
  }
  return filled;
}

/**
 * Reads `into.byteLength` bytes of a file range starting `at` bytes into it. Synchronous on
 * purpose: workers exist to absorb blocking, and an async read costs a thread-pool round trip.
 */
function readRange(range: FileRange, options: { at: number; into: Uint8Array }): void {
  const { into } = options;
  range.file.seekSync(range.offset + options.at, Deno.SeekMode.Start);
  let got = 0;
  while (got < into.byteLength) {
    const n = range.file.readSync(into.subarray(got));
    if (n === null) throw new Error(`file ended ${into.byteLength - got} bytes early`);
    got += n;
  }
}
