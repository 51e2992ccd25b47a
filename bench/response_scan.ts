/**
 * @module response_scan
 * Finds where HTTP/1.1 responses end in a byte stream, for the load
 * generator. It keeps only the head bytes (to read the status and
 * Content-Length) and counts body bytes without copying them, so a run
 * allocates almost nothing per response. Bodies must be framed by
 * Content-Length: chunked or close-delimited bodies are rejected.
 */

import { CR, HTAB, LF, SP } from "../lib/http/octets.ts";

/**
 * Where the scan is inside the current response.
 * - `"head"`: collecting status line and headers; next is `"body"` once the
 *   blank line arrives, or `"head"` of the next response when there is no body.
 * - `"body"`: counting body bytes; next is `"head"` when they are all read.
 */
export type ScanPhase = "head" | "body";

/** Mutable scan state for one connection. */
export interface ResponseScan {
  /** Current phase. */
  phase: ScanPhase;
  /** Buffer for the head of the current response. */
  head: Uint8Array;
  /** Bytes of `head` in use. */
  headLength: number;
  /** Body bytes still to come in the `"body"` phase. */
  bodyRemaining: number;
  /** Status code of the latest response whose head was read. */
  status: number;
}

/** Largest response head accepted by default (status line plus headers). */
export const DEFAULT_MAX_HEAD_BYTES = 16_384;

const DIGIT_0 = 0x30;

/**
 * Builds a test for `name` at a position of a byte array, matching bytes
 * exactly or with ASCII letters folded to lowercase.
 */
function prefixMatcher(name: string): (bytes: Uint8Array, at: number) => boolean {
  const pattern = new TextEncoder().encode(name);
  return (bytes, at) => {
    for (let i = 0; i < pattern.length; i++) {
      const byte = bytes[at + i];
      const folded = byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
      if (folded !== pattern[i] && byte !== pattern[i]) return false;
    }
    return true;
  };
}

const isStatusPrefix = prefixMatcher("HTTP/1.");
const isContentLength = prefixMatcher("content-length:");
const isTransferEncoding = prefixMatcher("transfer-encoding:");

/**
 * Creates the scan state for a new connection.
 *
 * @param maxHeadBytes Largest head accepted before the scan throws.
 * @returns A scan waiting for the first response head.
 * @example Start scanning
 * ```ts
 * const scan = createResponseScan();
 * ```
 */
export function createResponseScan(maxHeadBytes = DEFAULT_MAX_HEAD_BYTES): ResponseScan {
  return {
    phase: "head",
    head: new Uint8Array(maxHeadBytes),
    headLength: 0,
    bodyRemaining: 0,
    status: 0,
  };
}

/**
 * Feeds received bytes into the scan until one response ends.
 *
 * @param scan The connection's scan state, updated in place.
 * @param chunk Bytes just read from the socket.
 * @returns How many bytes of `chunk` belong to the response that just ended
 * (its status is then in `scan.status`), or -1 when the whole chunk was used
 * and the response is not complete yet. Call again with the rest of the
 * chunk to find further responses.
 * @throws {SyntaxError} On a malformed or oversized head or a body not
 * framed by Content-Length.
 * @example Scan one whole response
 * ```ts
 * const bytes = new TextEncoder().encode("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi");
 * scanResponse(createResponseScan(), bytes); // 40
 * ```
 */
export function scanResponse(scan: ResponseScan, chunk: Uint8Array): number {
  let offset = 0;
  if (scan.phase === "head") {
    offset = collectHead(scan, chunk);
    if (offset < 0) return -1;
    if (scan.phase === "head") return offset;
  }
  const take = Math.min(scan.bodyRemaining, chunk.length - offset);
  scan.bodyRemaining -= take;
  if (scan.bodyRemaining > 0) return -1;
  scan.phase = "head";
  return offset + take;
}

/** Copies head bytes; returns the offset just past the blank line, or -1. */
function collectHead(scan: ResponseScan, chunk: Uint8Array): number {
  const head = scan.head;
  for (let i = 0; i < chunk.length; i++) {
    if (scan.headLength === head.length) {
      throw new SyntaxError(`Cannot read a response head over ${head.length} bytes`);
    }
    const byte = chunk[i];
    head[scan.headLength++] = byte;
    if (byte === LF && endsWithBlankLine(head, scan.headLength)) {
      startBody(scan);
      return i + 1;
    }
  }
  return -1;
}

function endsWithBlankLine(head: Uint8Array, length: number): boolean {
  return length >= 4 && head[length - 2] === CR && head[length - 3] === LF &&
    head[length - 4] === CR;
}

function startBody(scan: ResponseScan): void {
  const { head, headLength } = scan;
  scan.status = parseStatus(head, headLength);
  scan.headLength = 0;
  const bodyless = scan.status < 200 || scan.status === 204 || scan.status === 304;
  const length = bodyless ? 0 : contentLength(head, headLength);
  scan.bodyRemaining = length;
  scan.phase = length > 0 ? "body" : "head";
}

function parseStatus(head: Uint8Array, length: number): number {
  const ok = length > 12 && isStatusPrefix(head, 0) && head[8] === SP;
  // Reading stops at the first non-digit, so "2000" is caught by the range check.
  const status = ok ? readNumber(head, 9) : NaN;
  if (!(status >= 100 && status <= 999)) {
    throw new SyntaxError("Cannot read the response status line");
  }
  return status;
}

/** Finds Content-Length by scanning line starts; rejects Transfer-Encoding. */
function contentLength(head: Uint8Array, length: number): number {
  for (let line = indexAfterLf(head, 0); line < length; line = indexAfterLf(head, line)) {
    if (isTransferEncoding(head, line)) {
      throw new SyntaxError("Cannot frame a response with Transfer-Encoding");
    }
    if (!isContentLength(head, line)) continue;
    let start = line + "content-length:".length;
    while (head[start] === SP || head[start] === HTAB) start++;
    const value = readNumber(head, start);
    if (!Number.isNaN(value)) return value;
  }
  throw new SyntaxError("Cannot frame a response without Content-Length");
}

/** The head always ends in LF, so the search cannot run past it. */
function indexAfterLf(head: Uint8Array, from: number): number {
  let i = from;
  while (head[i] !== LF) i++;
  return i + 1;
}

/** Reads the decimal digits starting at `at`; NaN when there are none. */
function readNumber(bytes: Uint8Array, at: number): number {
  let value = NaN;
  for (let i = at; bytes[i] >= DIGIT_0 && bytes[i] <= DIGIT_0 + 9; i++) {
    value = (Number.isNaN(value) ? 0 : value * 10) + bytes[i] - DIGIT_0;
  }
  return value;
}
