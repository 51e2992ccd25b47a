/**
 * Whole responses the main thread sends on its own, without a worker: 408 when a head is too
 * slow, 502 when a worker died, 503 when the queue is full. They always close the connection.
 *
 * @module
 */
import { httpDate } from "./http/date.ts";
import { serializeHead } from "./http/serializer.ts";
import { errorPage } from "./http/pages.ts";
import { SERVER_HEADER } from "./config/version.ts";

/**
 * A complete error response that closes the connection.
 *
 * @param status the status, e.g. 503
 * @param headers extra headers such as `retry-after`
 * @returns the bytes to write
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cannedResponse } from "./canned.ts";
 * const text = new TextDecoder().decode(cannedResponse(503, [["retry-after", "1"]]));
 * assert.match(text, /^HTTP\/1.1 503 Service Unavailable\r\n/);
 * assert.match(text, /\r\nretry-after: 1\r\n/);
 * assert.match(text, /\r\nconnection: close\r\n\r\n<!DOCTYPE html>/);
 * ```
 */
export function cannedResponse(status: number, headers: [string, string][]): Uint8Array {
  const body = errorPage(status);
  const head = serializeHead({
    status,
    headers: [
      ["content-type", "text/html; charset=utf-8"],
      ["content-length", String(body.byteLength)],
      ...headers,
      ["date", httpDate()],
      ["server", SERVER_HEADER],
      ["connection", "close"],
    ],
  });
  const bytes = new Uint8Array(head.byteLength + body.byteLength);
  bytes.set(head);
  bytes.set(body, head.byteLength);
  return bytes;
}
