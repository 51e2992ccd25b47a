/**
 * @module
 * HTTP dates (RFC 9110 §5.6.7) in IMF-fixdate form, e.g. "Sun, 06 Nov 1994 08:49:37 GMT", cached
 * so that the Date header of every response does not format a new string.
 */

import { HttpError } from "./errors.ts";

interface CachedDate {
  second: number;
  text: string;
}

// Two entries, most recent first: the clock's second stays cached while Last-Modified values of
// other seconds come and go.
let recent: CachedDate = { second: NaN, text: "" };
let older: CachedDate = { second: NaN, text: "" };

/**
 * Formats a time as IMF-fixdate; the string is recomputed only when the second changes.
 *
 * @param nowMs Milliseconds since the epoch; defaults to the current time.
 * @returns The date, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
 * @throws {HttpError} 500 when `nowMs` is not a representable time.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { httpDate } from "./date.ts";
 * assert.equal(httpDate(784111777000), "Sun, 06 Nov 1994 08:49:37 GMT");
 * ```
 */
export function httpDate(nowMs: number = Date.now()): string {
  const second = Math.floor(nowMs / 1000);
  if (second === recent.second) return recent.text;
  if (second !== older.second) {
    const date = new Date(second * 1000);
    if (Number.isNaN(date.getTime())) {
      throw new HttpError(500, "invalid-date", `Cannot format time ${nowMs} as an HTTP date`);
    }
    // Date#toUTCString produces exactly IMF-fixdate for years 0 to 9999.
    older = { second, text: date.toUTCString() };
  }
  [recent, older] = [older, recent];
  return recent.text;
}
