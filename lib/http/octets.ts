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
