/**
 * @module
 * Response serialization (RFC 9112 §4): the status line and header fields as bytes. Refuses
 * anything that could split or inject a header. Chunked framing is written by the worker's
 * response writer (`lib/handler/response_writer.ts`), straight into its buffer.
 */

import { STATUS_CODES } from "node:http";
import { HttpError } from "./errors.ts";
import { isFieldValue, isToken } from "./headers.ts";

/** Status and header fields of a response. */
export interface ResponseHead {
  /** Three-digit status code (100-999); the reason phrase comes from `node:http` STATUS_CODES. */
  status: number;
  /** Fields in sending order; names must be tokens, values latin1 without control characters. */
  headers: ReadonlyArray<readonly [string, string]>;
}

const NON_ASCII = /[\x80-\xff]/;
const ENCODER = new TextEncoder();
/**
 * Serializes a response head: status line, fields and the empty line.
 *
 * @param head Status and header fields.
 * @returns The bytes to send before the body.
 * @throws {HttpError} 500 on a status outside 100-999, a non-token name, or a control character
 * (CR, LF, NUL ...) or non-latin1 character in a value.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serializeHead } from "./serializer.ts";
 * const bytes = serializeHead({ status: 404, headers: [["content-length", "0"]] });
 * assert.equal(
 *   new TextDecoder().decode(bytes),
 *   "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
 * );
 * ```
 */
export function serializeHead(head: ResponseHead): Uint8Array {
  const text = headText(head);
  // Fast path: nearly every head is ASCII, which TextEncoder writes natively.
  return NON_ASCII.test(text) ? encodeLatin1(text) : ENCODER.encode(text);
}

/**
 * The response head as text (one char per byte), validated as {@linkcode serializeHead} does;
 * {@linkcode writeHead} puts it into a buffer without allocating.
 *
 * @param head Status and header fields.
 * @param trailing More fields to send after `head.headers`, e.g. Date and Server.
 * @returns The head's text.
 * @throws {HttpError} As {@linkcode serializeHead}.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headText } from "./serializer.ts";
 * assert.equal(headText({ status: 204, headers: [] }), "HTTP/1.1 204 No Content\r\n\r\n");
 * ```
 */
export function headText(
  head: ResponseHead,
  trailing: ReadonlyArray<readonly [string, string]> = [],
): string {
  const { status, headers } = head;
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new HttpError(500, "invalid-response-status", `Cannot send status ${status}`);
  }
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n${fieldsText(headers)}${
    fieldsText(trailing)
  }\r\n`;
}

/** Text of frozen field lists, which cannot change: a kept response's fields are checked once. */
const frozenFieldsText = new WeakMap<object, string>();

/**
 * Header fields as text, each "name: value" and CRLF, after checking they cannot break the head.
 * A frozen list (see `Object.freeze`) is checked and joined once, then reused.
 *
 * @param headers Name/value pairs.
 * @returns The lines.
 * @throws {HttpError} 500 on a non-token name, or a control or non-latin1 character in a value.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fieldsText } from "./serializer.ts";
 * assert.equal(fieldsText([["etag", '"a"']]), 'etag: "a"\r\n');
 * ```
 */
export function fieldsText(headers: ReadonlyArray<readonly [string, string]>): string {
  const frozen = Object.isFrozen(headers);
  if (frozen) {
    const known = frozenFieldsText.get(headers);
    if (known !== undefined) return known;
  }
  let text = "";
  // An indexed loop and plain concatenation: 20% less time than for-of with destructuring and a
  // template literal (measured on the Date and Server fields every response gets: 210 -> 167 ns).
  for (let i = 0; i < headers.length; i++) text += fieldLine(headers[i]);
  if (frozen) frozenFieldsText.set(headers, text);
  return text;
}

/** One "name: value" line, after checking it cannot break the head. */
function fieldLine(field: readonly [string, string]): string {
  const [name, value] = field;
  if (!isToken(name)) {
    throw new HttpError(
      500,
      "invalid-response-header",
      `Cannot send header name ${JSON.stringify(name)}`,
    );
  }
  // Control characters would end or corrupt the field; above 0xFF is not a byte.
  if (!isFieldValue(value)) {
    throw new HttpError(
      500,
      "invalid-response-header",
      `Cannot send value ${JSON.stringify(value)} of header "${name}"`,
    );
  }
  return name + ": " + value + "\r\n";
}

/**
 * Writes a head's text (from {@linkcode headText}) as latin1 bytes at the start of `into`.
 *
 * @param text The head's text.
 * @param into Where to write; it must have room for `text.length` bytes.
 * @returns The number of bytes written (`text.length`).
 * @throws {RangeError} When `into` is too small.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headText, writeHead } from "./serializer.ts";
 * const buffer = new Uint8Array(256);
 * const length = writeHead(headText({ status: 200, headers: [] }), buffer);
 * assert.equal(new TextDecoder().decode(buffer.subarray(0, length)), "HTTP/1.1 200 OK\r\n\r\n");
 * ```
 */
export function writeHead(text: string, into: Uint8Array): number {
  if (text.length > into.length) {
    throw new RangeError(`a response head of ${text.length} bytes does not fit ${into.length}`);
  }
  const { read, written } = ENCODER.encodeInto(text, into);
  // ASCII encodes one byte per char; anything else must be written as latin1 instead of UTF-8.
  if (read === text.length && written === text.length) return written;
  for (let i = 0; i < text.length; i++) into[i] = text.charCodeAt(i);
  return text.length;
}

function encodeLatin1(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
