/**
 * @module
 * Semantics of a parsed request head: Host rules, message body framing from Content-Length and
 * Transfer-Encoding (RFC 9112 §6), persistence (§9.3) and `Expect: 100-continue` (RFC 9110 §10.1.1).
 */

import { allIn, DIGIT, REG_NAME } from "./chars.ts";
import { HttpError } from "./errors.ts";
import { isToken, listMembers } from "./headers.ts";
import { COLON } from "./octets.ts";
import type { HttpVersion, RequestLine } from "./request_line.ts";

/** How the request body is delimited. */
export type BodyFraming =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" };

/** A request line with its header fields and what they imply. */
export interface RequestHead {
  /** Method token, case preserved. */
  method: string;
  /** Request target exactly as sent. */
  target: string;
  /** Protocol version. */
  version: HttpVersion;
  /** Fields in arrival order; names lower-cased, values with surrounding OWS trimmed. */
  headers: Array<[name: string, value: string]>;
  /** Body delimitation derived from Content-Length and Transfer-Encoding. */
  framing: BodyFraming;
  /** HTTP/1.1: true unless "Connection: close"; HTTP/1.0: only with "Connection: keep-alive". */
  keepAlive: boolean;
  /** True for "Expect: 100-continue" on HTTP/1.1 (HTTP/1.0 expectations are ignored). */
  expectContinue: boolean;
}

// IP-literal [ ":" port ] (RFC 9110 §7.2), the rare Host that isHost takes to a regexp.
const IP_LITERAL_HOST = /^\[[0-9A-Fa-f:.]+\](?::[0-9]*)?$/;
const OPEN_BRACKET = 0x5b;
// At most 15 digits keeps every accepted length a safe integer.
const MAX_LENGTH_DIGITS = 15;
const NO_BODY: BodyFraming = Object.freeze({ kind: "none" });
const CHUNKED: BodyFraming = Object.freeze({ kind: "chunked" });

/**
 * Combines a request line and its fields into a {@link RequestHead}, enforcing Host and framing.
 *
 * @param line The parsed request line.
 * @param headers The parsed fields, names lower-cased.
 * @returns The request head.
 * @throws {HttpError} 400 on a missing, repeated or malformed Host or on bad framing; 501 on a
 * transfer coding other than chunked.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildRequestHead } from "./head.ts";
 * const line = { method: "GET", target: "/", version: "HTTP/1.1" } as const;
 * const head = buildRequestHead(line, [["host", "example.com"]]);
 * assert.equal(head.keepAlive, true);
 * assert.equal(head.framing.kind, "none");
 * ```
 */
export function buildRequestHead(
  line: RequestLine,
  headers: Array<[string, string]>,
): RequestHead {
  checkHost(line.version, headers);
  const keepAlive = persists(line.version, headers);
  return {
    method: line.method,
    target: line.target,
    version: line.version,
    headers,
    framing: bodyFraming(line.version, headers),
    keepAlive,
    expectContinue: line.version === "HTTP/1.1" && expectsContinue(headers),
  };
}

// RFC 9112 §9.3. Most requests have no Connection field: no list of members is made for them.
function persists(version: HttpVersion, headers: Array<[string, string]>): boolean {
  if (!headers.some(([name]) => name === "connection")) return version === "HTTP/1.1";
  const connection = listMembers(headers, "connection");
  return version === "HTTP/1.1"
    ? !connection.includes("close")
    : connection.includes("keep-alive") && !connection.includes("close");
}

function checkHost(version: HttpVersion, headers: Array<[string, string]>): void {
  let count = 0;
  for (const [name, value] of headers) {
    if (name !== "host") continue;
    count++;
    // An empty Host names no host, and an http URI always has one (RFC 9110 §4.2.1): nginx
    // answers 400 too. Taken as absent, it would let an app build "http:///admin/panel", whose
    // host is "admin" and path "/panel".
    if (value === "") {
      throw new HttpError(400, "empty-host", "Cannot accept an empty Host: name the host");
    }
    if (!isHost(value)) {
      throw new HttpError(400, "invalid-host", `Cannot accept Host ${JSON.stringify(value)}`);
    }
  }
  if (count > 1) {
    throw new HttpError(400, "duplicate-host", `Cannot accept ${count} Host headers`);
  }
  if (count === 0 && version === "HTTP/1.1") {
    throw new HttpError(400, "missing-host", "Cannot accept an HTTP/1.1 request without Host");
  }
}

/**
 * uri-host [ ":" port ] (RFC 9110 §7.2), for a value that is not empty. A
 * reg-name or IPv4 host is checked with character tables, and only an IP literal with the regexp
 * `^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]*)(?::[0-9]*)?$` that every Host went
 * through before (measured on the parser alone: 670 ns a head before, 647 after).
 */
function isHost(value: string): boolean {
  if (value.charCodeAt(0) === OPEN_BRACKET) return IP_LITERAL_HOST.test(value);
  let i = 0;
  while (i < value.length && REG_NAME[value.charCodeAt(i)] === 1) i++;
  if (i === value.length) return true;
  if (value.charCodeAt(i) !== COLON) return false;
  for (i++; i < value.length; i++) {
    if (DIGIT[value.charCodeAt(i)] !== 1) return false;
  }
  return true;
}

function expectsContinue(headers: Array<[string, string]>): boolean {
  for (const [name, value] of headers) {
    if (name === "expect" && value.toLowerCase() === "100-continue") return true;
  }
  return false;
}

/**
 * Decides how the body is delimited (RFC 9112 §6.3), refusing every ambiguous combination.
 *
 * @param version Protocol version of the request.
 * @param headers The parsed fields, names lower-cased.
 * @returns The framing of the body.
 * @throws {HttpError} 400 on ambiguous or malformed framing; 501 on an unsupported coding.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bodyFraming } from "./head.ts";
 * const framing = bodyFraming("HTTP/1.1", [["content-length", "5"]]);
 * assert.deepEqual(framing, { kind: "length", length: 5 });
 * ```
 */
export function bodyFraming(version: HttpVersion, headers: Array<[string, string]>): BodyFraming {
  // A count and the first value, not an array of values: most requests have neither field.
  let lengths = 0;
  let length = "";
  let transferEncoding = false;
  for (const [name, value] of headers) {
    if (name === "content-length") {
      if (lengths === 0) length = value;
      lengths++;
    } else if (name === "transfer-encoding") transferEncoding = true;
  }
  if (transferEncoding) {
    if (lengths > 0) {
      throw new HttpError(
        400,
        "content-length-with-transfer-encoding",
        "Cannot accept both Content-Length and Transfer-Encoding",
      );
    }
    checkTransferCodings(version, headers);
    return CHUNKED;
  }
  if (lengths === 0) return NO_BODY;
  if (lengths > 1) {
    throw new HttpError(400, "duplicate-content-length", "Cannot accept several Content-Length");
  }
  if (length.length === 0 || length.length > MAX_LENGTH_DIGITS || !allIn(DIGIT, length)) {
    throw new HttpError(
      400,
      "invalid-content-length",
      `Cannot parse Content-Length ${JSON.stringify(length)}`,
    );
  }
  return { kind: "length", length: Number(length) };
}

// Only chunked is decoded; it must be the final coding and applied once (RFC 9112 §6.1).
function checkTransferCodings(version: HttpVersion, headers: Array<[string, string]>): void {
  if (version === "HTTP/1.0") {
    throw new HttpError(
      400,
      "transfer-encoding-in-http-1.0",
      "Cannot accept Transfer-Encoding in an HTTP/1.0 request",
    );
  }
  const codings = listMembers(headers, "transfer-encoding");
  const chunkedOnceAndLast = codings.indexOf("chunked") === codings.length - 1;
  if (codings.length === 0 || !chunkedOnceAndLast || !codings.every(isToken)) {
    throw new HttpError(
      400,
      "invalid-transfer-encoding",
      `Cannot frame a body with Transfer-Encoding ${JSON.stringify(codings.join(", "))}`,
    );
  }
  if (codings.length > 1) {
    throw new HttpError(
      501,
      "unsupported-transfer-coding",
      `Cannot decode transfer coding ${JSON.stringify(codings[0])}`,
    );
  }
}
