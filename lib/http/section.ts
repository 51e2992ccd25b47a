/**
 * @module
 * Field-section scanning: finds where a header or trailer section ends in raw bytes, resuming
 * across feeds, and enforces the field count and byte limits as soon as the bytes prove them
 * exceeded. The trailer section keeps counting where the header section stopped.
 */

import { HttpError } from "./errors.ts";
import { CR } from "./octets.ts";
import { findLineFeed } from "./line_feed.ts";

/**
 * Limits shared by the header section and the trailer section of one request.
 */
export interface FieldLimits {
  /** Most bytes of field lines, line ends included and the closing empty line excluded. */
  maxHeaderBytes: number;
  /** Most field lines (headers and trailers together). */
  maxHeaderCount: number;
}

/**
 * Progress of a field-section scan. Offsets are relative to the view being scanned, so the scan
 * resumes where it stopped instead of searching the same bytes again on every feed.
 */
export interface SectionScan {
  /** Offset where the search for the next line feed resumes. */
  scan: number;
  /** Offset where the line being scanned begins. */
  lineStart: number;
  /** Field lines completed so far; trailers keep counting after the headers. */
  fieldLines: number;
  /** Bytes of those lines, line ends included. */
  fieldBytes: number;
}

/**
 * Creates a fresh scan starting at offset 0 with nothing counted.
 *
 * @returns A zeroed scan record.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newSectionScan } from "./section.ts";
 * assert.equal(newSectionScan().fieldLines, 0);
 * ```
 */
export function newSectionScan(): SectionScan {
  return { scan: 0, lineStart: 0, fieldLines: 0, fieldBytes: 0 };
}

/**
 * Scans field lines until the empty line that closes the section, enforcing the byte and count
 * limits as soon as the bytes seen so far prove them exceeded.
 *
 * @param view Bytes of the section; `scan.lineStart` marks where its next line begins.
 * @param options The scan progress (updated in place) and the limits to enforce.
 * @returns The offset just past the closing empty line, or -1 when more bytes are needed.
 * @throws {HttpError} 431 when the section has too many lines or bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newSectionScan, scanFieldSection } from "./section.ts";
 * const bytes = new TextEncoder().encode("Host: a\r\n\r\n");
 * const scan = newSectionScan();
 * const limits = { maxHeaderBytes: 100, maxHeaderCount: 10 };
 * assert.equal(scanFieldSection(bytes, { scan, limits }), bytes.length);
 * ```
 */
export function scanFieldSection(
  view: Uint8Array,
  options: { scan: SectionScan; limits: FieldLimits },
): number {
  const { scan, limits } = options;
  for (;;) {
    const lf = findLineFeed(view, scan.scan);
    if (lf === -1) {
      scan.scan = view.length;
      checkPartialLine(view, options);
      return -1;
    }
    scan.scan = lf + 1;
    const length = lf - scan.lineStart;
    if (length === 0 || (length === 1 && view[scan.lineStart] === CR)) return lf + 1;
    scan.fieldLines++;
    scan.fieldBytes += length + 1;
    checkLimits(scan, limits);
    scan.lineStart = lf + 1;
  }
}

// A partial line proves a limit exceeded once it cannot turn out to be the closing empty line.
function checkPartialLine(
  view: Uint8Array,
  options: { scan: SectionScan; limits: FieldLimits },
): void {
  const { scan, limits } = options;
  const pending = view.length - scan.lineStart;
  if (pending === 0 || (pending === 1 && view[scan.lineStart] === CR)) return;
  if (scan.fieldLines + 1 > limits.maxHeaderCount) throw tooManyFields(limits);
  if (scan.fieldBytes + pending > limits.maxHeaderBytes) throw tooLarge(limits);
}

function checkLimits(scan: SectionScan, limits: FieldLimits): void {
  if (scan.fieldLines > limits.maxHeaderCount) throw tooManyFields(limits);
  if (scan.fieldBytes > limits.maxHeaderBytes) throw tooLarge(limits);
}

function tooManyFields(limits: FieldLimits): HttpError {
  return new HttpError(
    431,
    "too-many-header-fields",
    `Header section exceeds ${limits.maxHeaderCount} fields`,
  );
}

function tooLarge(limits: FieldLimits): HttpError {
  return new HttpError(
    431,
    "header-too-large",
    `Header section exceeds ${limits.maxHeaderBytes} bytes`,
  );
}
