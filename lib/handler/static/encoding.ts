/**
 * @module
 * Content codings: which one a client's Accept-Encoding prefers among those a file has, and the
 * streams that compress a file on the fly (brotli or gzip) for `--compress`.
 *
 * Compression is CPU work done on the worker thread, one file chunk at a time, so it slows only
 * the worker's own requests between chunks and never an I/O thread or other workers.
 */
import zlib from "node:zlib";
import { parseQualityList } from "../../http/qvalues.ts";

/** A content coding heiretsu can send. */
export type Coding = "br" | "zstd" | "gzip";

/** Codings produced on the fly, best first. */
export type LiveCoding = "br" | "gzip";

/** Precompressed siblings looked for next to a file, in the server's order of preference. */
export const PRECOMPRESSED: ReadonlyArray<{ coding: Coding; extension: string }> = [
  { coding: "br", extension: ".br" },
  { coding: "zstd", extension: ".zst" },
  { coding: "gzip", extension: ".gz" },
];

/** On-the-fly codings in the server's order of preference. */
export const LIVE_CODINGS: readonly LiveCoding[] = ["br", "gzip"];

/** Files smaller than this are sent as they are: compression would save too little. */
export const MIN_COMPRESS_BYTES = 1024;

/**
 * Brotli quality for on-the-fly compression: 5 compresses text about as well as gzip -9 at
 * gzip's speed, where the default (11) is some 30 times slower.
 */
const LIVE_BROTLI_QUALITY = 5;

/**
 * Brotli window for on-the-fly compression, as log2 of its bytes: 1 MiB. Brotli's default (22,
 * 4 MiB) costs some 14 MiB of encoder memory per response, this some 7 MiB, for output a few
 * percent larger on text with repeats further apart than 1 MiB.
 */
const LIVE_BROTLI_WINDOW_BITS = 20;

/** Bytes read from a file per chunk fed to the compressor. */
const READ_CHUNK_BYTES = 64 * 1024;

/** Compressors of this worker now running: each holds its state until its response ends. */
let running = 0;

/**
 * How many on-the-fly compressions this worker is running, to hold them under
 * `maxCompressions` (each brotli compressor holds about 7 MiB while its response lasts).
 *
 * @returns the count
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compressionsRunning } from "./encoding.ts";
 * assert.equal(compressionsRunning(), 0);
 * ```
 */
export function compressionsRunning(): number {
  return running;
}

/**
 * Picks the coding to send from those offered: the highest weight in Accept-Encoding, ties
 * going to the earlier offer. "x-gzip" counts as gzip and "*" covers codings not named. No field
 * at all means identity (what curl without --compressed expects); identity wins when the client
 * weighs it above every offered coding.
 *
 * @param acceptEncoding the Accept-Encoding field value, if any
 * @param offered codings the file can be sent in, in the server's order of preference
 * @returns the coding to send, or null for identity
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chooseCoding } from "./encoding.ts";
 * assert.equal(chooseCoding("gzip, br", ["br", "gzip"]), "br");
 * assert.equal(chooseCoding("gzip;q=1, br;q=0.5", ["br", "gzip"]), "gzip");
 * assert.equal(chooseCoding(undefined, ["br", "gzip"]), null);
 * ```
 */
export function chooseCoding<T extends Coding>(
  acceptEncoding: string | undefined,
  offered: readonly T[],
): T | null {
  if (acceptEncoding === undefined || offered.length === 0) return null;
  const weights = new Map<string, number>();
  for (const { value, q } of parseQualityList(acceptEncoding)) {
    weights.set(value === "x-gzip" ? "gzip" : value, q);
  }
  const weightOf = (coding: string) => weights.get(coding) ?? weights.get("*") ?? 0;
  let chosen: T | null = null;
  let best = 0;
  for (const coding of offered) {
    const q = weightOf(coding);
    if (q > best) [chosen, best] = [coding, q];
  }
  // Identity is always acceptable (RFC 9110 §12.5.3) but has a preference only when named.
  const identity = weights.get("identity") ?? weights.get("*") ?? 0;
  return identity > best ? null : chosen;
}

/**
 * The first `size` bytes of a file as a byte stream, read synchronously one chunk per pull
 * (workers exist to absorb blocking) and never ahead of the reader. A file that ends before
 * `size` errors the stream: the response then ends without its last chunk, so the client sees a
 * failure rather than a shorter body that looks complete. Bytes beyond `size` (a file that grew)
 * are not read. The file is closed at the end, on error, or when the reader cancels.
 *
 * @param file an open file, read from its start
 * @param size the bytes to read: the size the response was planned for
 * @returns the stream
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileStream } from "./encoding.ts";
 * const path = Deno.makeTempFileSync();
 * Deno.writeTextFileSync(path, "hello, world");
 * const stream = fileStream(Deno.openSync(path), 5);
 * assert.equal(await new Response(stream).text(), "hello");
 * Deno.removeSync(path);
 * ```
 */
export function fileStream(
  file: Deno.FsFile,
  size: number,
): ReadableStream<Uint8Array<ArrayBuffer>> {
  let left = size;
  const close = () => {
    try {
      file.close();
    } catch {
      // Already closed.
    }
  };
  // A byte stream: a reader that brings its own buffer has it filled in place, without a new
  // chunk per read. With autoAllocateChunkSize every pull has a request to fill.
  return new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: READ_CHUNK_BYTES,
    pull(controller) {
      const request = controller.byobRequest!;
      try {
        if (left === 0) {
          close();
          controller.close();
          return request.respond(0);
        }
        const view = request.view!;
        const n = file.readSync(
          new Uint8Array(view.buffer, view.byteOffset, Math.min(view.byteLength, left)),
        );
        if (n === null) throw new Error(`File ended ${left} bytes short of its size ${size}`);
        left -= n;
        request.respond(n);
      } catch (error) {
        close();
        controller.error(error);
      }
    },
    cancel: close,
  });
}

/**
 * Bytes held in memory as a one-chunk byte stream. They are copied, so a shared cached buffer
 * can never be transferred or changed by a consumer.
 *
 * @param bytes the bytes
 * @returns the stream
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytesStream } from "./encoding.ts";
 * const stream = bytesStream(new TextEncoder().encode("hello"));
 * assert.equal(await new Response(stream).text(), "hello");
 * ```
 */
export function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array<ArrayBuffer>> {
  const copy = bytes.slice();
  return new ReadableStream({
    type: "bytes",
    start(controller) {
      controller.enqueue(copy);
      controller.close();
    },
  });
}

/**
 * Compresses a byte stream with brotli (quality {@linkcode LIVE_BROTLI_QUALITY}) or gzip,
 * pulled: each read of the result reads one chunk of `source` into the same buffer, compresses
 * and flushes it, so a reader that stops reading stops the file reads too. A stalled response
 * holds one chunk and the compressor's own state, never the file or its compressed form.
 *
 * @param source the identity bytes, a byte stream such as {@linkcode fileStream} makes
 * @param options the coding, and the input size as a hint for brotli
 * @returns the compressed stream; it errors if `source` does, and cancelling it cancels `source`
 *   and frees the compressor
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gunzipSync } from "node:zlib";
 * import { bytesStream, compressStream } from "./encoding.ts";
 * const text = new TextEncoder().encode("hello ".repeat(1000));
 * const gzipped = compressStream(bytesStream(text), { coding: "gzip", sizeHint: text.length });
 * const bytes = new Uint8Array(await new Response(gzipped).arrayBuffer());
 * assert.ok(bytes.byteLength < text.byteLength);
 * assert.deepEqual(new Uint8Array(gunzipSync(bytes)), text);
 * ```
 */
export function compressStream(
  source: ReadableStream<Uint8Array>,
  options: { coding: LiveCoding; sizeHint: number },
): ReadableStream<Uint8Array> {
  const compressor = new LiveCompressor(source, options);
  return new ReadableStream({
    async pull(controller) {
      const chunks = await compressor.next();
      if (chunks === null) controller.close();
      else for (const chunk of chunks) controller.enqueue(chunk);
    },
    cancel: (reason) => compressor.cancel(reason),
    // Zero: nothing is read or compressed before the reader asks for it.
  }, { highWaterMark: 0 });
}

/** The zlib streams used, driven one flushed chunk at a time. */
type ZlibStream = zlib.BrotliCompress | zlib.Gzip;

function createZlib(options: { coding: LiveCoding; sizeHint: number }): ZlibStream {
  if (options.coding === "gzip") return zlib.createGzip({ chunkSize: READ_CHUNK_BYTES });
  return zlib.createBrotliCompress({
    chunkSize: READ_CHUNK_BYTES,
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: LIVE_BROTLI_QUALITY,
      [zlib.constants.BROTLI_PARAM_LGWIN]: LIVE_BROTLI_WINDOW_BITS,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: options.sizeHint,
    },
  });
}

/**
 * One response's compressor: owns the zlib stream, the reader of its source and the buffer it
 * reads into, and turns source chunks into compressed chunks on demand.
 */
class LiveCompressor {
  #source: ReadableStreamBYOBReader;
  /** Filled by each read; the read hands back the same memory under a new ArrayBuffer. */
  #buffer = new ArrayBuffer(READ_CHUNK_BYTES);
  #zlib: ZlibStream;
  #flushKind: number;
  #output: Uint8Array[] = [];
  #error: unknown = null;
  /** `compressing` → `ended` (all output taken) or `stopped` (cancelled or failed). */
  #state: "compressing" | "ended" | "stopped" = "compressing";

  constructor(
    source: ReadableStream<Uint8Array>,
    options: { coding: LiveCoding; sizeHint: number },
  ) {
    this.#source = source.getReader({ mode: "byob" });
    this.#zlib = createZlib(options);
    this.#flushKind = options.coding === "br"
      ? zlib.constants.BROTLI_OPERATION_FLUSH
      : zlib.constants.Z_SYNC_FLUSH;
    this.#zlib.on("data", (chunk: Uint8Array) => this.#output.push(chunk));
    running++;
    // Closed once: at the end, on cancel and on error alike.
    this.#zlib.once("close", () => running--);
    this.#zlib.on("error", (error: unknown) => (this.#error ??= error));
  }

  /**
   * The next compressed bytes: source chunks are fed and flushed until some come out.
   *
   * @returns the chunks, or null once the source ended and the compressor finished
   */
  async next(): Promise<Uint8Array[] | null> {
    if (this.#state === "ended") return null;
    try {
      while (this.#output.length === 0) {
        const { value, done } = await this.#source.read(new Uint8Array(this.#buffer));
        if (done) return await this.#finish();
        this.#buffer = value.buffer;
        // A flush per chunk: without it brotli takes in the whole file and emits nothing. Once
        // it is flushed, zlib is done with the chunk and its buffer can be read into again.
        await this.#settle((callback) => {
          this.#zlib.write(value);
          this.#zlib.flush(this.#flushKind, callback);
        });
      }
      return this.#take();
    } catch (error) {
      this.cancel(error).catch(() => {});
      throw error;
    }
  }

  /**
   * Stops: destroys the compressor and cancels the source (which closes its file).
   *
   * @param reason why, passed to the source
   * @returns when the source is cancelled
   */
  cancel(reason?: unknown): Promise<void> {
    this.#state = "stopped";
    this.#zlib.destroy();
    return this.#source.cancel(reason);
  }

  async #finish(): Promise<Uint8Array[] | null> {
    await this.#settle((callback) => {
      this.#zlib.once("end", callback);
      this.#zlib.end();
    });
    this.#state = "ended";
    return this.#output.length === 0 ? null : this.#take();
  }

  /** Runs a zlib step and waits for its callback; throws if the compressor fails or stops. */
  async #settle(step: (callback: () => void) => void): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    const interrupted = () => resolve();
    this.#zlib.once("error", interrupted).once("close", interrupted);
    step(resolve);
    await promise;
    this.#zlib.off("error", interrupted).off("close", interrupted);
    if (this.#error !== null) throw this.#error;
    if (this.#state === "stopped") throw new Error("Compression was cancelled");
  }

  #take(): Uint8Array[] {
    const output = this.#output;
    this.#output = [];
    return output;
  }
}
