/**
 * @module
 * Byte ranges (RFC 9110 §14): parsing a Range field against a representation's length, and the
 * multipart/byteranges body for several ranges. Pure: no Deno APIs.
 *
 * Abuse is bounded two ways (RFC 9110 §14.2 lets a server ignore or coalesce such requests):
 * more than {@linkcode MAX_RANGES} ranges and the field is ignored (200 with the whole file),
 * and overlapping ranges are merged, so a response never carries a byte twice and is never
 * larger than the file plus part headers.
 */
import type { BodyPart } from "../handler.ts";

/** Most ranges one request may ask for; beyond it the Range field is ignored. */
export const MAX_RANGES = 16;

/** A satisfiable range: first and last byte, both included. */
export interface ByteRange {
  start: number;
  end: number;
}

/** What a Range field asks of a representation. */
export type RangeOutcome =
  /** Malformed, another unit, or too many ranges: send the whole representation (200). */
  | { kind: "ignored" }
  /** Well-formed but no range overlaps the representation: 416. */
  | { kind: "unsatisfiable" }
  /** 206 with these ranges (one: a single part; more: multipart/byteranges). */
  | { kind: "satisfiable"; ranges: ByteRange[] };

/** One range-spec: "first-last", "first-" or "-suffix" (RFC 9110 §14.1.1). */
const RANGE_SPEC = /^(?:(\d+)-(\d*)|-(\d+))$/;
const BYTES_UNIT = /^\s*bytes\s*=/i;
const IGNORED: RangeOutcome = { kind: "ignored" };
const encoder = new TextEncoder();

/**
 * Parses a Range field for a representation of `length` bytes. Ends past the last byte are
 * clamped; a range whose last position comes before its first ("5-1"), a zero suffix ("-0") or
 * a start at or past the end cannot be satisfied and is dropped.
 *
 * @param field the Range field value
 * @param length the representation's length in bytes
 * @returns ignored, unsatisfiable, or the ranges to send (overlaps merged, else in request order)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRange } from "./range.ts";
 * assert.deepEqual(parseRange("bytes=0-9, -5", 100), {
 *   kind: "satisfiable",
 *   ranges: [{ start: 0, end: 9 }, { start: 95, end: 99 }],
 * });
 * ```
 */
export function parseRange(field: string, length: number): RangeOutcome {
  const unit = BYTES_UNIT.exec(field);
  if (unit === null) return IGNORED;
  const specs = field.slice(unit[0].length).split(",").map((spec) => spec.trim())
    .filter((spec) => spec !== "");
  if (specs.length === 0 || specs.length > MAX_RANGES) return IGNORED;
  const ranges: ByteRange[] = [];
  for (const spec of specs) {
    const match = RANGE_SPEC.exec(spec);
    if (match === null) return IGNORED;
    const range = satisfiable(match, length);
    if (range !== null) ranges.push(range);
  }
  if (ranges.length === 0) return { kind: "unsatisfiable" };
  return { kind: "satisfiable", ranges: mergeOverlaps(ranges) };
}

/** The part of the representation a parsed range-spec covers, or null when it covers none. */
function satisfiable(match: RegExpExecArray, length: number): ByteRange | null {
  if (match[3] !== undefined) {
    const suffix = Number(match[3]);
    return suffix === 0 || length === 0
      ? null
      : { start: Math.max(0, length - suffix), end: length - 1 };
  }
  const start = Number(match[1]);
  const last = match[2] === "" ? Infinity : Number(match[2]);
  if (last < start || start >= length) return null;
  return { start, end: Math.min(last, length - 1) };
}

/** Keeps the request's order unless two ranges overlap; then all are sorted and merged. */
function mergeOverlaps(ranges: ByteRange[]): ByteRange[] {
  if (ranges.length === 1) return ranges;
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const overlapping = sorted.some((range, i) => i > 0 && range.start <= sorted[i - 1].end);
  if (!overlapping) return ranges;
  const merged: ByteRange[] = [{ ...sorted[0] }];
  for (const range of sorted.slice(1)) {
    const last = merged[merged.length - 1];
    if (range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

/**
 * The Content-Range value of a range, or of a 416 when `range` is null.
 *
 * @param range the range sent, or null for "unsatisfiable"
 * @param length the representation's length
 * @returns e.g. "bytes 0-9/100"; for null, the unsatisfied-range form (an asterisk, "/100")
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { contentRange } from "./range.ts";
 * assert.equal(contentRange({ start: 0, end: 9 }, 100), "bytes 0-9/100");
 * ```
 */
export function contentRange(range: ByteRange | null, length: number): string {
  return range === null ? `bytes */${length}` : `bytes ${range.start}-${range.end}/${length}`;
}

/** How to build a multipart/byteranges body. */
export interface MultipartSpec {
  /** The representation's length. */
  length: number;
  /** Its Content-Type, repeated in every part. */
  contentType: string;
  /** The boundary, from {@linkcode newBoundary}. */
  boundary: string;
  /** The bytes of one range: a slice of cached bytes or a range of an open file. */
  slice(range: ByteRange): BodyPart;
}

/**
 * Builds a multipart/byteranges body (RFC 9110 §14.6): each part has its own Content-Type and
 * Content-Range, and the body ends with the close delimiter.
 *
 * @param ranges the ranges, in the order to send them
 * @param spec the length, type, boundary and a source of range bytes
 * @returns the parts to send in order and their total length (the response's Content-Length)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { multipartBody } from "./range.ts";
 * const bytes = new TextEncoder().encode("0123456789");
 * const { parts, byteLength } = multipartBody([{ start: 0, end: 1 }, { start: 8, end: 9 }], {
 *   length: 10,
 *   contentType: "text/plain",
 *   boundary: "b",
 *   slice: (r) => bytes.subarray(r.start, r.end + 1),
 * });
 * const text = parts.map((part) => new TextDecoder().decode(part as Uint8Array)).join("");
 * assert.equal(text.length, byteLength);
 * assert.ok(text.startsWith("--b\r\ncontent-type: text/plain\r\n"));
 * assert.ok(text.includes("content-range: bytes 0-1/10\r\n\r\n01\r\n--b\r\n"));
 * assert.ok(text.endsWith("\r\n--b--\r\n"));
 * ```
 */
export function multipartBody(
  ranges: ByteRange[],
  spec: MultipartSpec,
): { parts: BodyPart[]; byteLength: number } {
  const parts: BodyPart[] = [];
  let byteLength = 0;
  ranges.forEach((range, i) => {
    const head = encoder.encode(
      `${i === 0 ? "" : "\r\n"}--${spec.boundary}\r\ncontent-type: ${spec.contentType}\r\n` +
        `content-range: ${contentRange(range, spec.length)}\r\n\r\n`,
    );
    parts.push(head, spec.slice(range));
    byteLength += head.byteLength + range.end - range.start + 1;
  });
  const close = encoder.encode(`\r\n--${spec.boundary}--\r\n`);
  parts.push(close);
  return { parts, byteLength: byteLength + close.byteLength };
}

/**
 * A fresh random boundary: 24 hex digits cannot plausibly occur in the file at a line start.
 *
 * @returns the boundary, for the Content-Type parameter and {@linkcode multipartBody}
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newBoundary } from "./range.ts";
 * const boundary = newBoundary();
 * assert.match(boundary, /^[0-9a-f]{24}$/);
 * assert.notEqual(newBoundary(), boundary);
 * ```
 */
export function newBoundary(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
