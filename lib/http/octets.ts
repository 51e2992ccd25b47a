/**
 * @module
 * The bytes HTTP/1.1 syntax is made of (RFC 9110 §5.6, RFC 9112 §2.2), named once for every
 * module that scans or writes messages.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CR, LF } from "./octets.ts";
 * assert.deepEqual(new TextEncoder().encode("\r\n"), Uint8Array.of(CR, LF));
 * ```
 */

/** Byte value of a carriage return. */
export const CR = 0x0d;
/** Byte value of a line feed. */
export const LF = 0x0a;
/** Byte value of a space. */
export const SP = 0x20;
/** Byte value of a horizontal tab. */
export const HTAB = 0x09;
/** Byte value of a colon, which ends a field name. */
export const COLON = 0x3a;
/** Byte value of a slash, which starts an origin-form target. */
export const SLASH = 0x2f;
/** A line end, as bytes to write. */
export const CRLF: Uint8Array = Uint8Array.of(CR, LF);
/** The last chunk of a chunked body with no trailers: "0", CRLF, and the empty line (RFC 9112 §7.1). */
export const LAST_CHUNK: Uint8Array = new TextEncoder().encode("0\r\n\r\n");

/**
 * Joins byte arrays into one new array (a copy even for a single part, so the result outlives
 * buffers that are reused, such as a ring's views).
 *
 * @param parts the arrays, in order
 * @returns their bytes in one new array
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { joinOctets } from "./octets.ts";
 * assert.deepEqual(joinOctets([Uint8Array.of(1), Uint8Array.of(2, 3)]), Uint8Array.of(1, 2, 3));
 * ```
 */
export function joinOctets(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0].slice();
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const joined = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.byteLength;
  }
  return joined;
}
