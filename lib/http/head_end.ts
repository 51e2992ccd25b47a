/**
 * Finds where a request head ends, without parsing it.
 *
 * An I/O thread uses this to hold a request until its head is complete, so a client that
 * trickles its head never occupies a worker and the header timeout can be enforced where no
 * user code runs. The worker's parser still validates every byte.
 *
 * @module
 */

import { CR, LF } from "./octets.ts";
import { findLineFeed } from "./line_feed.ts";

/**
 * Offset just past the blank line that ends a request head (`\n\r\n` or `\n\n`), searching from
 * `from`.
 *
 * @param bytes the bytes received so far
 * @param from where to start looking; pass the previous length minus 3 to resume a search
 * @returns the head's length, or -1 when the blank line has not arrived
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findHeadEnd } from "./head_end.ts";
 * const bytes = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\nrest");
 * assert.equal(findHeadEnd(bytes, 0), 27);
 * assert.equal(findHeadEnd(bytes.subarray(0, 20), 0), -1);
 * ```
 */
export function findHeadEnd(bytes: Uint8Array, from: number): number {
  let at = findLineFeed(bytes, Math.max(0, from));
  while (at !== -1) {
    const next = bytes[at + 1];
    if (next === LF) return at + 2;
    if (next === CR && bytes[at + 2] === LF) return at + 3;
    if (next === undefined || (next === CR && at + 2 >= bytes.length)) return -1;
    at = findLineFeed(bytes, at + 1);
  }
  return -1;
}
