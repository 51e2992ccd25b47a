/**
 * @module
 * Validators and conditional requests (RFC 9110 §8.8, §13): strong ETags from a file's size and
 * modification time, HTTP-date parsing, the evaluation order of If-Match, If-Unmodified-Since,
 * If-None-Match and If-Modified-Since, and If-Range. Pure: no Deno APIs.
 */

/** What a representation can be validated by; null where it has no modification time. */
export interface Validators {
  /** Entity tag with its quotes, e.g. `"18c1f0a2b3c-1a4"`, or `W/"..."` for a weak one. */
  etag: string | null;
  /** Modification time in whole seconds, as ms since the epoch (what Last-Modified says). */
  modifiedMs: number | null;
}

/** The request fields a precondition reads; each undefined when absent. */
export interface ConditionalFields {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

/** Outcome of the preconditions: go on, answer 304, or answer 412. */
export type Verdict = "proceed" | "not-modified" | "precondition-failed";

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
/** IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". */
const IMF_FIXDATE = /^[A-Z][a-z]{2}, (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
/** Obsolete RFC 850 form: "Sunday, 06-Nov-94 08:49:37 GMT". */
const RFC850_DATE = /^[A-Z][a-z]+, (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
/** Obsolete asctime form: "Sun Nov  6 08:49:37 1994". */
const ASCTIME_DATE = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;
/** One entity tag at the start of a list remainder: optional W/, then a quoted opaque tag. */
const ENTITY_TAG = /^\s*(W\/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)/;

/**
 * The strong entity tag of a stored file: its modification time and size in hex, plus the
 * content coding for a precompressed sibling, so no two variants share a tag.
 *
 * @param file size in bytes and modification time in ms
 * @param coding the content coding of a precompressed sibling, if it is one
 * @returns the quoted tag
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { strongEtag } from "./conditional.ts";
 * const file = { size: 420, mtimeMs: 1_700_000_000_000 };
 * assert.equal(strongEtag(file, "br"), '"18bcfe56800-1a4-br"');
 * ```
 */
export function strongEtag(file: { size: number; mtimeMs: number }, coding?: string): string {
  const suffix = coding === undefined ? "" : `-${coding}`;
  return `"${Math.trunc(file.mtimeMs).toString(16)}-${file.size.toString(16)}${suffix}"`;
}

/**
 * Parses an HTTP-date in any of the three forms recipients must accept (RFC 9110 §5.6.7). A
 * two-digit RFC 850 year is taken as the nearest year ending in those digits, as §5.6.7 asks.
 *
 * @param text the field value
 * @returns ms since the epoch, or null when it is not a valid HTTP-date
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHttpDate } from "./conditional.ts";
 * assert.equal(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777000);
 * assert.equal(parseHttpDate("yesterday"), null);
 * ```
 */
export function parseHttpDate(text: string): number | null {
  const value = text.trim();
  let parts: [string, string, number, string, string, string] | null = null;
  let match = IMF_FIXDATE.exec(value);
  if (match) parts = [match[1], match[2], Number(match[3]), match[4], match[5], match[6]];
  else if ((match = RFC850_DATE.exec(value))) {
    parts = [match[1], match[2], fullYear(Number(match[3])), match[4], match[5], match[6]];
  } else if ((match = ASCTIME_DATE.exec(value))) {
    parts = [match[2], match[1], Number(match[6]), match[3], match[4], match[5]];
  }
  if (parts === null) return null;
  const [day, monthName, year, hour, minute, second] = parts;
  const month = MONTHS.indexOf(monthName.toLowerCase());
  const fields = [Number(day), Number(hour), Number(minute), Number(second)];
  if (month < 0 || fields[0] < 1 || fields[0] > 31 || fields[1] > 23 || fields[2] > 59) return null;
  if (fields[3] > 60) return null;
  const ms = Date.UTC(year, month, fields[0], fields[1], fields[2], Math.min(fields[3], 59));
  // Date.UTC rolls "31 Feb" over into March; a real date survives the round trip.
  return new Date(ms).getUTCDate() === fields[0] ? ms : null;
}

function fullYear(twoDigits: number): number {
  const now = new Date().getUTCFullYear();
  const year = now - (now % 100) + twoDigits;
  return year > now + 50 ? year - 100 : year;
}

/**
 * Evaluates the preconditions of a GET or HEAD in the order of RFC 9110 §13.2.2: If-Match, else
 * If-Unmodified-Since (failing: 412); then If-None-Match, else If-Modified-Since (failing: 304).
 * Invalid dates are ignored, as the RFC requires.
 *
 * @param fields the conditional request fields
 * @param current the validators of the representation that would be sent
 * @returns what to answer
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluatePreconditions } from "./conditional.ts";
 * const current = { etag: '"a-1"', modifiedMs: 0 };
 * assert.equal(evaluatePreconditions({ ifNoneMatch: 'W/"a-1"' }, current), "not-modified");
 * ```
 */
export function evaluatePreconditions(fields: ConditionalFields, current: Validators): Verdict {
  const { ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince } = fields;
  if (ifMatch !== undefined) {
    if (!matchesAny(ifMatch, current.etag, "strong")) return "precondition-failed";
  } else if (ifUnmodifiedSince !== undefined && current.modifiedMs !== null) {
    const date = parseHttpDate(ifUnmodifiedSince);
    if (date !== null && current.modifiedMs > date) return "precondition-failed";
  }
  if (ifNoneMatch !== undefined) {
    if (matchesAny(ifNoneMatch, current.etag, "weak")) return "not-modified";
  } else if (ifModifiedSince !== undefined && current.modifiedMs !== null) {
    const date = parseHttpDate(ifModifiedSince);
    if (date !== null && current.modifiedMs <= date) return "not-modified";
  }
  return "proceed";
}

/**
 * Whether If-Range lets a Range apply (RFC 9110 §13.1.5): an entity tag must match the current
 * one by strong comparison, and a date must equal the current Last-Modified exactly.
 *
 * @param ifRange the If-Range field value
 * @param current the validators of the representation the ranges would come from
 * @returns true: send the ranges; false: send the whole representation with 200
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ifRangeHolds } from "./conditional.ts";
 * const current = { etag: '"a-1"', modifiedMs: 0 };
 * assert.equal(ifRangeHolds('"a-1"', current), true);
 * assert.equal(ifRangeHolds('W/"a-1"', current), false, "weak tags never match");
 * ```
 */
export function ifRangeHolds(ifRange: string, current: Validators): boolean {
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith("W/")) {
    return current.etag !== null && !current.etag.startsWith("W/") && value === current.etag;
  }
  const date = parseHttpDate(value);
  return date !== null && date === current.modifiedMs;
}

/**
 * Whether an If-Match or If-None-Match list names the current tag: "*" matches any existing
 * representation; a malformed list matches nothing.
 */
function matchesAny(list: string, etag: string | null, comparison: "strong" | "weak"): boolean {
  if (list.trim() === "*") return true;
  if (etag === null) return false;
  const currentWeak = etag.startsWith("W/");
  if (comparison === "strong" && currentWeak) return false;
  const opaque = currentWeak ? etag.slice(2) : etag;
  let rest = list;
  while (rest.trim() !== "") {
    const match = ENTITY_TAG.exec(rest);
    if (match === null) return false;
    const weak = match[1] !== undefined;
    if (match[2] === opaque && (comparison === "weak" || !weak)) return true;
    rest = rest.slice(match[0].length);
  }
  return false;
}
