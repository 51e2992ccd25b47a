/**
 * @module
 * The request line (RFC 9112 §3): `method SP request-target SP HTTP-version`, with the four
 * request-target forms and the method each one is allowed with.
 */

import { HttpError } from "./errors.ts";
import { isToken, refineCode } from "./headers.ts";

/** The HTTP versions this server speaks. */
export type HttpVersion = "HTTP/1.0" | "HTTP/1.1";

/** A parsed request line. */
export interface RequestLine {
  /** Method token, case preserved (methods are case-sensitive). */
  method: string;
  /** Request target exactly as sent. */
  target: string;
  /** Protocol version. */
  version: HttpVersion;
}

// Visible ASCII only: no controls, spaces or bytes >= 0x80 anywhere in a target.
const TARGET_CHARS = /^[\x21-\x7e]+$/;
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]/i;
// uri-host ":" port, where the host is a bracketed IP literal or reg-name/IPv4 characters.
const AUTHORITY_FORM = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]+):[0-9]{1,5}$/;
const OTHER_VERSION = /^HTTP\/[0-9]\.[0-9]$/;

/**
 * Parses a request line whose line end has already been removed.
 *
 * @param line The request line text (latin1-decoded).
 * @returns Method, target and version.
 * @throws {HttpError} 400 on a malformed line, method or target; 505 on another HTTP version.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRequestLine } from "./request_line.ts";
 * assert.deepEqual(parseRequestLine("GET /index.html HTTP/1.1"), {
 *   method: "GET",
 *   target: "/index.html",
 *   version: "HTTP/1.1",
 * });
 * ```
 */
export function parseRequestLine(line: string): RequestLine {
  const first = line.indexOf(" ");
  const second = first === -1 ? -1 : line.indexOf(" ", first + 1);
  if (first <= 0 || second <= first + 1 || line.indexOf(" ", second + 1) !== -1) {
    throw new HttpError(
      400,
      refineCode(line, "malformed-request-line"),
      `Cannot split request line ${JSON.stringify(line)} into method, target and version`,
    );
  }
  const method = line.slice(0, first);
  if (!isToken(method)) {
    throw new HttpError(
      400,
      refineCode(method, "invalid-method"),
      `Cannot accept method ${JSON.stringify(method)}`,
    );
  }
  const version = parseVersion(line.slice(second + 1));
  const target = line.slice(first + 1, second);
  checkTarget(method, target);
  return { method, target, version };
}

function parseVersion(text: string): HttpVersion {
  if (text === "HTTP/1.1" || text === "HTTP/1.0") return text;
  if (OTHER_VERSION.test(text)) {
    throw new HttpError(505, "http-version-not-supported", `Cannot speak ${text}`);
  }
  throw new HttpError(
    400,
    refineCode(text, "invalid-version"),
    `Cannot parse HTTP version ${JSON.stringify(text)}`,
  );
}

// RFC 9112 §3.2: origin-form and absolute-form for any method but CONNECT, authority-form only
// for CONNECT, asterisk-form only for OPTIONS.
function checkTarget(method: string, target: string): void {
  if (!TARGET_CHARS.test(target)) {
    throw new HttpError(
      400,
      refineCode(target, "invalid-target"),
      `Cannot accept request target ${JSON.stringify(target)}`,
    );
  }
  let allowed: boolean;
  if (method === "CONNECT") allowed = AUTHORITY_FORM.test(target);
  else if (target.charCodeAt(0) === 0x2f) allowed = true;
  else if (target === "*") allowed = method === "OPTIONS";
  else allowed = ABSOLUTE_FORM.test(target);
  if (!allowed) {
    throw new HttpError(
      400,
      "invalid-target",
      `Cannot accept request target ${JSON.stringify(target)} with method ${method}`,
    );
  }
}
