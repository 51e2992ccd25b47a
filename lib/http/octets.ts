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
