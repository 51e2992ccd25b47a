/**
 * @module
 * Field syntax (RFC 9112 §5, RFC 9110 §5): tokens, field values, and the parsing of a complete
 * header or trailer section into lower-cased name/value pairs; plus the latin1 decoding the
 * other HTTP modules share.
 */

import { Buffer } from "node:buffer";
import { HttpError } from "./errors.ts";
import { CR, HTAB, LF, SP } from "./octets.ts";

// Character classes as 256-entry tables: one lookup per character beats a regex per field on
// the hot path. Codes above 0xFF read as undefined, so they fail every class.
const TCHAR = charClass("!#$%&'*+-.^_`|~", [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]]);
const FIELD_CHAR = charClass("\t", [[0x20, 0x7e], [0x80, 0xff]]);
// Below this length String.fromCharCode beats building a Buffer (measured on chunk-size lines).
const SHORT_DECODE = 64;

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
 * import assert from "node:assert/strict";
 * import { isToken } from "./headers.ts";
 * assert.equal(isToken("Content-Type"), true);
 * assert.equal(isToken("Bad Name"), false);
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
 * import assert from "node:assert/strict";
 * import { isFieldValue } from "./headers.ts";
 * assert.equal(isFieldValue("caf\u00e9 au lait"), true);
 * assert.equal(isFieldValue("a\r\nSet-Cookie: x"), false);
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
 * import assert from "node:assert/strict";
 * import { decodeLatin1 } from "./headers.ts";
 * assert.equal(decodeLatin1(new Uint8Array([0x41, 0xe9])), "A\u00e9");
 * ```
 */
export function decodeLatin1(bytes: Uint8Array): string {
  if (bytes.length < SHORT_DECODE) {
    return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/**
 * Parses the field lines of a complete section (its closing empty line excluded).
 *
 * @param bytes The lines, each ending in LF or CRLF.
 * @returns Name/value pairs in arrival order, names lower-cased, values without surrounding OWS.
 * @throws {HttpError} 400 on obs-fold, a bad name, a missing colon, a bare CR or a control byte.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFieldSection } from "./headers.ts";
 * const bytes = new TextEncoder().encode("Host: example.com \r\nAccept:text/html\n");
 * assert.deepEqual(parseFieldSection(bytes), [["host", "example.com"], ["accept", "text/html"]]);
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
  const value = trimOws(line.slice(colon + 1, end));
  if (checkValue && !isFieldValue(value)) {
    throw new HttpError(
      400,
      refineCode(value, "invalid-field-value"),
      `Cannot accept control characters in the value of header "${name}"`,
    );
  }
  return [name.toLowerCase(), value];
}

// String#trim would also strip characters that are not OWS, such as 0xA0 (obs-text).
function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isOws(text.charCodeAt(start))) start++;
  while (end > start && isOws(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
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
 * import assert from "node:assert/strict";
 * import { refineCode } from "./headers.ts";
 * assert.equal(refineCode("a\rb", "invalid-field-value"), "bare-cr");
 * assert.equal(refineCode("a\x01b", "invalid-field-value"), "invalid-field-value");
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
 * import assert from "node:assert/strict";
 * import { listMembers } from "./headers.ts";
 * const members = listMembers([["connection", "Keep-Alive, , Upgrade"]], "connection");
 * assert.deepEqual(members, ["keep-alive", "upgrade"]);
 * ```
 */
export function listMembers(fields: Array<[string, string]>, name: string): string[] {
  const members: string[] = [];
  for (const [fieldName, value] of fields) {
    if (fieldName !== name) continue;
    for (const part of value.split(",")) {
      const member = trimOws(part).toLowerCase();
      if (member !== "") members.push(member);
    }
  }
  return members;
}
