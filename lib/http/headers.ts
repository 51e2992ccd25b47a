/**
 * @module
 * Field sections (RFC 9112 §5, RFC 9110 §5): finding where a header or trailer section ends while
 * enforcing its size and count limits on raw bytes, then parsing its lines into lower-cased
 * name/value pairs. Shared by the request head and the chunked trailer section.
 */

import { Buffer } from "node:buffer";
import { HttpError } from "./errors.ts";

/** Byte value of a line feed. */
export const LF = 0x0a;
/** Byte value of a carriage return. */
export const CR = 0x0d;

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

const SP = 0x20;
const HTAB = 0x09;
// Character classes as 256-entry tables: one lookup per character beats a regex per field on
// the hot path. Codes above 0xFF read as undefined, so they fail every class.
const TCHAR = charClass("!#$%&'*+-.^_`|~", [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]]);
const FIELD_CHAR = charClass("\t", [[0x20, 0x7e], [0x80, 0xff]]);
// Below this length String.fromCharCode beats building a Buffer (measured on chunk-size lines).
const SHORT_DECODE = 64;

/**
 * Creates a fresh scan starting at offset 0 with nothing counted.
 *
 * @returns A zeroed scan record.
 * @example
 * ```ts
 * import { newSectionScan } from "./headers.ts";
 * console.assert(newSectionScan().fieldLines === 0);
 * ```
 */
export function newSectionScan(): SectionScan {
  return { scan: 0, lineStart: 0, fieldLines: 0, fieldBytes: 0 };
}

function charClass(singles: string, ranges: Array<[number, number]>): Uint8Array {
  const table = new Uint8Array(256);
  for (const char of singles) table[char.charCodeAt(0)] = 1;
  for (const [from, to] of ranges) table.fill(1, from, to + 1);
  return table;
}

function allIn(table: Uint8Array, text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (table[text.charCodeAt(i)] !== 1) return false;
  }
  return true;
}

/**
 * Tells whether a string is an RFC 9110 token (method, field name, transfer coding).
 *
 * @param text Candidate token.
 * @returns True when `text` is a non-empty run of tchar.
 * @example
 * ```ts
 * import { isToken } from "./headers.ts";
 * console.assert(isToken("Content-Type") && !isToken("Bad Name"));
 * ```
 */
export function isToken(text: string): boolean {
  return text.length > 0 && allIn(TCHAR, text);
}

/**
 * Tells whether a string may be a field value: VCHAR, SP, HTAB and obs-text (0x80-0xFF) only.
 *
 * @param text Candidate value, already latin1 (one character per byte).
 * @returns False when any character is a control character or above 0xFF.
 * @example
 * ```ts
 * import { isFieldValue } from "./headers.ts";
 * console.assert(isFieldValue("caf\u00e9 au lait") && !isFieldValue("a\r\nSet-Cookie: x"));
 * ```
 */
export function isFieldValue(text: string): boolean {
  return allIn(FIELD_CHAR, text);
}

/**
 * Decodes bytes one-to-one into a string (latin1), so obs-text survives unchanged.
 *
 * @param bytes Source bytes.
 * @returns The decoded text, one UTF-16 unit per byte.
 * @example
 * ```ts
 * import { decodeLatin1 } from "./headers.ts";
 * console.assert(decodeLatin1(new Uint8Array([0x41, 0xe9])) === "A\u00e9");
 * ```
 */
export function decodeLatin1(bytes: Uint8Array): string {
  if (bytes.length < SHORT_DECODE) {
    return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
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
 * import { newSectionScan, scanFieldSection } from "./headers.ts";
 * const bytes = new TextEncoder().encode("Host: a\r\n\r\n");
 * const scan = newSectionScan();
 * const limits = { maxHeaderBytes: 100, maxHeaderCount: 10 };
 * console.assert(scanFieldSection(bytes, { scan, limits }) === bytes.length);
 * ```
 */
export function scanFieldSection(
  view: Uint8Array,
  options: { scan: SectionScan; limits: FieldLimits },
): number {
  const { scan, limits } = options;
  for (;;) {
    const lf = view.indexOf(LF, scan.scan);
    if (lf === -1) {
      scan.scan = view.length;
      checkPartialLine(view, scan, limits);
      return -1;
    }
    scan.scan = lf + 1;
    const length = lf - scan.lineStart;
    if (length === 0 || (length === 1 && view[scan.lineStart] === CR)) return lf + 1;
    scan.fieldLines++;
    scan.fieldBytes += length + 1;
    checkLimits(scan.fieldLines, scan.fieldBytes, limits);
    scan.lineStart = lf + 1;
  }
}

// A partial line proves a limit exceeded once it cannot turn out to be the closing empty line.
function checkPartialLine(view: Uint8Array, scan: SectionScan, limits: FieldLimits): void {
  const pending = view.length - scan.lineStart;
  if (pending === 0 || (pending === 1 && view[scan.lineStart] === CR)) return;
  checkLimits(scan.fieldLines + 1, scan.fieldBytes + pending, limits);
}

function checkLimits(lines: number, bytes: number, limits: FieldLimits): void {
  if (lines > limits.maxHeaderCount) {
    throw new HttpError(
      431,
      "too-many-header-fields",
      `Header section exceeds ${limits.maxHeaderCount} fields`,
    );
  }
  if (bytes > limits.maxHeaderBytes) {
    throw new HttpError(
      431,
      "header-too-large",
      `Header section exceeds ${limits.maxHeaderBytes} bytes`,
    );
  }
}

/**
 * Parses the field lines of a complete section (its closing empty line excluded).
 *
 * @param bytes The lines, each ending in LF or CRLF.
 * @returns Name/value pairs in arrival order, names lower-cased, values without surrounding OWS.
 * @throws {HttpError} 400 on obs-fold, a bad name, a missing colon, a bare CR or a control byte.
 * @example
 * ```ts
 * import { parseFieldSection } from "./headers.ts";
 * const bytes = new TextEncoder().encode("Host: example.com \r\nAccept:text/html\n");
 * const fields = parseFieldSection(bytes);
 * console.assert(fields[0][0] === "host" && fields[0][1] === "example.com");
 * ```
 */
export function parseFieldSection(bytes: Uint8Array): Array<[string, string]> {
  // Fast path: one pass over the bytes usually proves every value clean, which is several times
  // cheaper than checking each value string; otherwise each value is checked to name the error.
  const checkValues = !isCleanSection(bytes);
  const lines = decodeLatin1(bytes).split("\n");
  const fields: Array<[string, string]> = [];
  // The section ends with a line feed, so the last element is always empty.
  for (let i = 0; i < lines.length - 1; i++) fields.push(parseFieldLine(lines[i], checkValues));
  return fields;
}

function isCleanSection(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (FIELD_CHAR[byte] === 1 || byte === LF || (byte === CR && bytes[i + 1] === LF)) continue;
    return false;
  }
  return true;
}

function parseFieldLine(line: string, checkValue: boolean): [string, string] {
  const first = line.charCodeAt(0);
  if (first === SP || first === HTAB) {
    throw new HttpError(400, "obs-fold", "Cannot accept a folded header line (obs-fold)");
  }
  // The line end's CR, if any, is still attached; any other CR is a bare CR.
  const end = line.charCodeAt(line.length - 1) === CR ? line.length - 1 : line.length;
  const colon = line.indexOf(":");
  const name = colon === -1 ? line : line.slice(0, colon);
  if (colon === -1 || !isToken(name)) {
    const text = line.slice(0, end);
    throw new HttpError(
      400,
      refineCode(text, "invalid-field-name"),
      `Cannot parse header field name in ${JSON.stringify(text)}`,
    );
  }
  const value = trimOws(line, colon + 1, end);
  if (checkValue && !isFieldValue(value)) {
    throw new HttpError(
      400,
      refineCode(value, "invalid-field-value"),
      `Cannot accept control characters in the value of header "${name}"`,
    );
  }
  return [name.toLowerCase(), value];
}

function trimOws(line: string, from: number, to: number): string {
  let start = from;
  let end = to;
  while (start < end && isOws(line.charCodeAt(start))) start++;
  while (end > start && isOws(line.charCodeAt(end - 1))) end--;
  return line.slice(start, end);
}

function isOws(code: number): boolean {
  return code === SP || code === HTAB;
}

/**
 * Picks a precise error code for a rejected piece of the head: NUL and bare CR get their own.
 *
 * @param text The rejected text.
 * @param fallback Code to use when neither NUL nor CR is present.
 * @returns "nul-byte", "bare-cr" or `fallback`.
 * @example
 * ```ts
 * import { refineCode } from "./headers.ts";
 * console.assert(refineCode("a\rb", "invalid-field-value") === "bare-cr");
 * ```
 */
export function refineCode(text: string, fallback: string): string {
  if (text.includes("\0")) return "nul-byte";
  if (text.includes("\r")) return "bare-cr";
  return fallback;
}

/**
 * Collects the members of comma-separated list fields (RFC 9110 §5.6.1) with one name.
 *
 * @param fields Parsed fields with lower-cased names.
 * @param name Lower-cased field name to collect.
 * @returns Lower-cased members in order, empty members dropped.
 * @example
 * ```ts
 * import { listMembers } from "./headers.ts";
 * const members = listMembers([["connection", "Keep-Alive, , Upgrade"]], "connection");
 * console.assert(members.join() === "keep-alive,upgrade");
 * ```
 */
export function listMembers(fields: Array<[string, string]>, name: string): string[] {
  const members: string[] = [];
  for (const [fieldName, value] of fields) {
    if (fieldName !== name) continue;
    for (const part of value.split(",")) {
      const member = trimOws(part, 0, part.length).toLowerCase();
      if (member !== "") members.push(member);
    }
  }
  return members;
}
