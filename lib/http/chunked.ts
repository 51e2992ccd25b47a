/**
 * @module
 * Incremental decoding of the chunked transfer coding (RFC 9112 §7.1): chunk-size lines with
 * tolerated extensions, chunk data handed out as views, the CRLF after each chunk, and the
 * trailer section (limited together with the header section).
 */

import { HttpError } from "./errors.ts";
import { decodeLatin1, parseFieldSection } from "./headers.ts";
import { CR, LF } from "./octets.ts";
import { findLineFeed } from "./line_feed.ts";
import { type FieldLimits, scanFieldSection, type SectionScan } from "./section.ts";

/**
 * Where the decoder is inside the chunked body. Next phases:
 * - "size": reading a chunk-size line -> "data" (size > 0) or "trailer" (size 0)
 * - "data": handing out chunk data -> "data" or, once the chunk is complete, "data-end"
 * - "data-end": expecting the CRLF after the data -> "size"
 * - "trailer": reading trailer fields -> the body ends at the empty line
 */
export type ChunkedPhase = "size" | "data" | "data-end" | "trailer";

/** What one decoding step produced. */
export type ChunkedEvent =
  | { kind: "body"; data: Uint8Array }
  | { kind: "end"; trailers: Array<[string, string]> }
  | { kind: "need-data" };

/** Decoder progress; `pos` reports how many bytes of the view the last step consumed. */
export interface ChunkedDecoder {
  /** Current phase. */
  phase: ChunkedPhase;
  /** Bytes of the current chunk still to hand out. */
  remaining: number;
  /** Offset, from the start of the unconsumed bytes, where the size-line scan resumes. */
  scan: number;
  /** Bytes consumed by the last {@link readChunked} call. */
  pos: number;
  /** Field-section progress, shared with the header section so limits span both. */
  section: SectionScan;
}

/** Most bytes of a chunk-size line, extensions and CRLF included. */
export const MAX_CHUNK_LINE_BYTES = 4096;
// chunk-size [ chunk-ext ]: BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ].
const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const QUOTED =
  '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"';
const CHUNK_LINE = new RegExp(
  `^([0-9A-Fa-f]{1,16})(?:[ \\t]*;[ \\t]*${TOKEN}(?:[ \\t]*=[ \\t]*(?:${TOKEN}|${QUOTED}))?)*$`,
);
const NEED_DATA: ChunkedEvent = Object.freeze({ kind: "need-data" });

/**
 * Creates a decoder positioned before the first chunk-size line.
 *
 * @param section Field-section progress of the request head, so trailers count toward its limits.
 * @returns A decoder in phase "size".
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newChunkedDecoder } from "./chunked.ts";
 * import { newSectionScan } from "./section.ts";
 * assert.equal(newChunkedDecoder(newSectionScan()).phase, "size");
 * ```
 */
export function newChunkedDecoder(section: SectionScan): ChunkedDecoder {
  return { phase: "size", remaining: 0, scan: 0, pos: 0, section };
}

/**
 * Decodes as far as the unconsumed bytes allow and stops at the first event. The caller drops
 * `decoder.pos` bytes afterwards. Body data is a view into `view`, not a copy.
 *
 * @param decoder Progress, updated in place.
 * @param options The unconsumed bytes and the field limits for the trailer section.
 * @returns A body, end or need-data event.
 * @throws {HttpError} 400 on malformed chunk framing; 431 when trailers break the field limits.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newChunkedDecoder, readChunked } from "./chunked.ts";
 * import { newSectionScan } from "./section.ts";
 * const decoder = newChunkedDecoder(newSectionScan());
 * const view = new TextEncoder().encode("3\r\nabc\r\n0\r\n\r\n");
 * const limits = { maxHeaderBytes: 100, maxHeaderCount: 10 };
 * assert.equal(readChunked(decoder, { view, limits }).kind, "body");
 * ```
 */
export function readChunked(
  decoder: ChunkedDecoder,
  options: { view: Uint8Array; limits: FieldLimits },
): ChunkedEvent {
  const { view } = options;
  decoder.pos = 0;
  for (;;) {
    let event: ChunkedEvent | undefined;
    switch (decoder.phase) {
      case "size":
        event = readSizeLine(decoder, view);
        break;
      case "data":
        event = readData(decoder, view);
        break;
      case "data-end":
        event = readDataEnd(decoder, view);
        break;
      case "trailer":
        event = readTrailers(decoder, options);
        break;
      default:
        throw new Error(`Unknown chunked phase ${decoder.phase satisfies never}`);
    }
    if (event !== undefined) return event;
  }
}

function readSizeLine(decoder: ChunkedDecoder, view: Uint8Array): ChunkedEvent | undefined {
  const start = decoder.pos;
  const lf = findLineFeed(view, start + decoder.scan);
  const lineBytes = lf === -1 ? view.length - start : lf + 1 - start;
  if (lineBytes > MAX_CHUNK_LINE_BYTES || (lf === -1 && lineBytes === MAX_CHUNK_LINE_BYTES)) {
    throw new HttpError(
      400,
      "chunk-line-too-long",
      `Chunk-size line exceeds ${MAX_CHUNK_LINE_BYTES} bytes`,
    );
  }
  if (lf === -1) {
    decoder.scan = view.length - start;
    return NEED_DATA;
  }
  if (lf === start || view[lf - 1] !== CR) {
    throw new HttpError(
      400,
      "invalid-chunk-line-end",
      "Cannot accept a chunk-size line without CRLF",
    );
  }
  const line = decodeLatin1(view.subarray(start, lf - 1));
  const match = CHUNK_LINE.exec(line);
  const size = match === null ? NaN : parseInt(match[1], 16);
  if (!(size <= Number.MAX_SAFE_INTEGER)) {
    throw new HttpError(
      400,
      "invalid-chunk-size",
      `Cannot parse chunk-size line ${JSON.stringify(line)}`,
    );
  }
  decoder.pos = lf + 1;
  decoder.scan = 0;
  decoder.remaining = size;
  if (size > 0) {
    decoder.phase = "data";
  } else {
    decoder.phase = "trailer";
    decoder.section.scan = 0;
    decoder.section.lineStart = 0;
  }
  return undefined;
}

function readData(decoder: ChunkedDecoder, view: Uint8Array): ChunkedEvent {
  const start = decoder.pos;
  const count = Math.min(decoder.remaining, view.length - start);
  if (count === 0) return NEED_DATA;
  decoder.pos = start + count;
  decoder.remaining -= count;
  if (decoder.remaining === 0) decoder.phase = "data-end";
  return { kind: "body", data: view.subarray(start, start + count) };
}

// Exactly CRLF must follow the data; a wrong first byte is refused before the second arrives.
function readDataEnd(decoder: ChunkedDecoder, view: Uint8Array): ChunkedEvent | undefined {
  const start = decoder.pos;
  const available = view.length - start;
  if ((available > 0 && view[start] !== CR) || (available > 1 && view[start + 1] !== LF)) {
    throw new HttpError(400, "missing-chunk-crlf", "Cannot find CRLF after chunk data");
  }
  if (available < 2) return NEED_DATA;
  decoder.pos = start + 2;
  decoder.phase = "size";
  return undefined;
}

function readTrailers(
  decoder: ChunkedDecoder,
  options: { view: Uint8Array; limits: FieldLimits },
): ChunkedEvent {
  const { view, limits } = options;
  const start = decoder.pos;
  const section = view.subarray(start);
  const end = scanFieldSection(section, { scan: decoder.section, limits });
  if (end === -1) return NEED_DATA;
  const trailers = parseFieldSection(section.subarray(0, decoder.section.lineStart));
  decoder.pos = start + end;
  return { kind: "end", trailers };
}
