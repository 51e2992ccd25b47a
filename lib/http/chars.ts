/**
 * @module
 * Character classes of HTTP syntax (RFC 9110 §5.6.2, §5.5, §7.2; RFC 9112 §3.2) as 256-entry
 * tables, shared by the modules that scan request bytes and strings. One lookup per character
 * beats a regular expression per piece on the hot path. Codes above 0xFF (and `undefined`, read
 * past the end of an array) index nothing, so they fail every class.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TCHAR } from "./chars.ts";
 * assert.equal(TCHAR["a".charCodeAt(0)], 1);
 * assert.equal(TCHAR[":".charCodeAt(0)], 0);
 * ```
 */

/**
 * Builds a class: 1 for each member, 0 for the rest.
 *
 * @param singles Member characters listed one by one.
 * @param ranges Inclusive ranges of member codes.
 * @returns The 256-entry table.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { charClass } from "./chars.ts";
 * const digits = charClass("", [[0x30, 0x39]]);
 * assert.equal(digits["7".charCodeAt(0)], 1);
 * ```
 */
export function charClass(singles: string, ranges: Array<[number, number]>): Uint8Array {
  const table = new Uint8Array(256);
  for (const char of singles) table[char.charCodeAt(0)] = 1;
  for (const [from, to] of ranges) table.fill(1, from, to + 1);
  return table;
}

const ALPHA_DIGIT: Array<[number, number]> = [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]];

/** tchar: the characters of a token (method, field name, transfer coding). */
export const TCHAR: Uint8Array = charClass("!#$%&'*+-.^_`|~", ALPHA_DIGIT);
/** What a field value may hold: VCHAR, SP, HTAB and obs-text (0x80-0xFF). */
export const FIELD_CHAR: Uint8Array = charClass("\t", [[0x20, 0x7e], [0x80, 0xff]]);
/** VCHAR, visible ASCII: the only characters a request-target may hold. */
export const VCHAR: Uint8Array = charClass("", [[0x21, 0x7e]]);
/** reg-name characters of a Host (unreserved, sub-delims and "%"), IPv4 included. */
export const REG_NAME: Uint8Array = charClass("-._~%!$&'()*+,;=", ALPHA_DIGIT);
/** Decimal digits. */
export const DIGIT: Uint8Array = charClass("", [[0x30, 0x39]]);

/**
 * Tells whether every character of a string belongs to a class.
 *
 * @param table The class.
 * @param text The string; an empty one passes.
 * @returns False at the first character outside the class.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allIn, DIGIT } from "./chars.ts";
 * assert.equal(allIn(DIGIT, "2024"), true);
 * assert.equal(allIn(DIGIT, "20x4"), false);
 * ```
 */
export function allIn(table: Uint8Array, text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (table[text.charCodeAt(i)] !== 1) return false;
  }
  return true;
}
