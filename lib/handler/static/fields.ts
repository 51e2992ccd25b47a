/**
 * @module
 * Picks the request header fields static serving reads (conditionals, Range, negotiation, CORS
 * preflight) out of the parsed header list in one pass. Pure: no Deno APIs.
 */
import type { ConditionalFields } from "./conditional.ts";

/** The request fields static serving reads; each undefined when absent. */
export interface RequestFields extends ConditionalFields {
  range?: string;
  ifRange?: string;
  accept?: string;
  acceptEncoding?: string;
  accessControlRequestMethod?: string;
  accessControlRequestHeaders?: string;
}

/** Header name (lower-case) → field. */
const FIELD_OF = new Map<string, keyof RequestFields>([
  ["if-match", "ifMatch"],
  ["if-none-match", "ifNoneMatch"],
  ["if-modified-since", "ifModifiedSince"],
  ["if-unmodified-since", "ifUnmodifiedSince"],
  ["range", "range"],
  ["if-range", "ifRange"],
  ["accept", "accept"],
  ["accept-encoding", "acceptEncoding"],
  ["access-control-request-method", "accessControlRequestMethod"],
  ["access-control-request-headers", "accessControlRequestHeaders"],
]);

const A = "a".charCodeAt(0);
const I = "i".charCodeAt(0);
const R = "r".charCodeAt(0);

/** What a request without any of these fields gets: shared, so the common case allocates nothing. */
export const NO_FIELDS: Readonly<RequestFields> = Object.freeze({});

/**
 * Reads the fields static serving needs. A field sent on several lines is joined with ", " as
 * RFC 9110 §5.3 allows for lists; for single-valued fields (dates, Range, If-Range) the joined
 * value is then invalid and ignored, as it should be.
 *
 * @param headers the request's fields in order, names lower-case
 * @returns the fields found, or {@linkcode NO_FIELDS} when there are none
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFields } from "./fields.ts";
 * assert.equal(readFields([["host", "a"], ["range", "bytes=0-9"]]).range, "bytes=0-9");
 * ```
 */
export function readFields(headers: ReadonlyArray<[string, string]>): Readonly<RequestFields> {
  let fields: RequestFields | null = null;
  for (const [name, value] of headers) {
    // Every wanted name starts with "a", "i" or "r"; most others (host, user-agent) skip the map.
    const first = name.charCodeAt(0);
    if (first !== A && first !== I && first !== R) continue;
    const key = FIELD_OF.get(name);
    if (key === undefined) continue;
    fields ??= {};
    const before = fields[key];
    fields[key] = before === undefined ? value : `${before}, ${value}`;
  }
  return fields ?? NO_FIELDS;
}
