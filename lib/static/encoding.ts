/**
 * @module
 * Content codings: which one a client's Accept-Encoding prefers among those a file has, and the
 * streams that compress a file on the fly (brotli or gzip) for `--compress`.
 *
 * Compression is CPU work done on the worker thread, one file chunk at a time, so it slows only
 * the worker's own requests between chunks and never the main thread or other workers.
 */
import zlib from "node:zlib";
import { Duplex } from "node:stream";
import { parseQualityList } from "./qvalues.ts";

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

/** Bytes read from a file per chunk fed to the compressor. */
const READ_CHUNK_BYTES = 64 * 1024;

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
 * import { chooseCoding } from "./encoding.ts";
 * chooseCoding("gzip, br", ["br", "gzip"]); // "br"
 * chooseCoding("gzip;q=1, br;q=0.5", ["br", "gzip"]); // "gzip"
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
 * A file's bytes as a stream, read synchronously chunk by chunk (workers exist to absorb
 * blocking); the file is closed at the end, on error, or when the reader cancels.
 *
 * @param file an open file, read from its start
 * @returns the stream
 * @example
 * ```ts
 * import { fileStream } from "./encoding.ts";
 * const stream = fileStream(Deno.openSync("deno.json"));
 * ```
 */
export function fileStream(file: Deno.FsFile): ReadableStream<Uint8Array<ArrayBuffer>> {
  const close = () => {
    try {
      file.close();
    } catch {
      // Already closed.
    }
  };
  return new ReadableStream({
    pull(controller) {
      const chunk = new Uint8Array(READ_CHUNK_BYTES);
      try {
        const n = file.readSync(chunk);
        if (n === null) {
          close();
          controller.close();
        } else controller.enqueue(chunk.subarray(0, n));
      } catch (error) {
        close();
        controller.error(error);
      }
    },
    cancel: close,
  });
}

/**
 * Bytes held in memory as a one-chunk stream. They are copied, so a shared cached buffer can
 * never be transferred or changed by a consumer.
 *
 * @param bytes the bytes
 * @returns the stream
 * @example
 * ```ts
 * import { bytesStream } from "./encoding.ts";
 * const stream = bytesStream(new TextEncoder().encode("hello"));
 * ```
 */
export function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array<ArrayBuffer>> {
  const copy = bytes.slice();
  return new ReadableStream({
    start(controller) {
      controller.enqueue(copy);
      controller.close();
    },
  });
}

/**
 * Compresses a stream with brotli (quality {@linkcode LIVE_BROTLI_QUALITY}) or gzip.
 *
 * @param source the identity bytes
 * @param options the coding, and the input size as a hint for brotli's window
 * @returns the compressed stream; cancelling it cancels `source`
 * @example
 * ```ts
 * import { bytesStream, compressStream } from "./encoding.ts";
 * const text = new TextEncoder().encode("hello ".repeat(1000));
 * const gzipped = compressStream(bytesStream(text), { coding: "gzip", sizeHint: text.length });
 * ```
 */
export function compressStream(
  source: ReadableStream<Uint8Array<ArrayBuffer>>,
  options: { coding: LiveCoding; sizeHint: number },
): ReadableStream<Uint8Array> {
  if (options.coding === "gzip") return source.pipeThrough(new CompressionStream("gzip"));
  const brotli = zlib.createBrotliCompress({
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: LIVE_BROTLI_QUALITY,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: options.sizeHint,
    },
  });
  const pair = Duplex.toWeb(brotli) as unknown as ReadableWritablePair<
    Uint8Array,
    Uint8Array<ArrayBuffer>
  >;
  return source.pipeThrough(pair);
}
