/**
 * Log lines: the access-log formats, one line per request: `heiretsu` (the common log format plus
 * the duration and the worker that served it), `common`, `combined` (plus referer and user agent)
 * and `json`; and the escaping that keeps text from requests and apps from forging lines.
 *
 * @module
 */
import type { LogFormat } from "./config/settings.ts";

/** What one access-log line reports. */
export interface AccessRecord {
  /** Client address (host only). */
  remote: string;
  /** The request line as received, or "-" when it could not be parsed. */
  requestLine: string;
  status: number;
  /** Bytes sent, head included. */
  bytes: number;
  /** `performance.now()` when the worker received the request. */
  startedAt: number;
  /** Worker slot that served it. */
  worker: number;
  /** Referer header, or "-" (combined and json). */
  referer?: string;
  /** User-Agent header, or "-" (combined and json). */
  userAgent?: string;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Formats one access-log line.
 *
 * @param record the request's facts
 * @param options the format (default "heiretsu") and the current time (for tests)
 * @returns the line, without a newline
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accessLine } from "./log.ts";
 * const record = {
 *   remote: "127.0.0.1",
 *   requestLine: "GET / HTTP/1.1",
 *   status: 200,
 *   bytes: 512,
 *   startedAt: performance.now(),
 *   worker: 1,
 * };
 * const line = accessLine(record, { now: new Date(Date.UTC(2024, 4, 1, 13, 45)) });
 * const common = '127.0.0.1 - - [01/May/2024:13:45:00 +0000] "GET / HTTP/1.1" 200 512';
 * assert.ok(line.startsWith(`${common} `), line);
 * assert.match(line, / [\d.]+ms worker=1$/);
 * ```
 */
export function accessLine(
  record: AccessRecord,
  options: { format?: LogFormat; now?: Date } = {},
): string {
  const now = options.now ?? new Date();
  const ms = performance.now() - record.startedAt;
  const { remote, status, bytes, worker } = record;
  if (options.format === "json") {
    const { requestLine, referer, userAgent } = record;
    const time = now.toISOString();
    const durationMs = Math.round(ms * 10) / 10;
    return JSON.stringify({
      time,
      remote,
      requestLine,
      status,
      bytes,
      durationMs,
      worker,
      referer,
      userAgent,
    });
  }
  const common = `${remote} - - [${clfTime(now)}] "${
    escapeLogText(record.requestLine)
  }" ${status} ${bytes}`;
  switch (options.format) {
    case "common":
      return common;
    case "combined":
      return `${common} "${escapeLogText(record.referer ?? "-")}" "${
        escapeLogText(record.userAgent ?? "-")
      }"`;
    default:
      return `${common} ${ms.toFixed(1)}ms worker=${worker}`;
  }
}

/**
 * Escapes control characters, quotes and backslashes, as access-log values are escaped, so one
 * request is always one log line.
 *
 * @param text a value from a request (request line, header)
 * @returns the text with each unsafe character as `\xNN`
 * @example
 * ```ts
 * import { escapeLogText } from "./log.ts";
 * console.log(escapeLogText('GET /a"b')); // GET /a\x22b
 * ```
 */
export function escapeLogText(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.charCodeAt(0);
    const unsafe = code < 0x20 || code === 0x7f || char === '"' || char === "\\";
    out += unsafe ? `\\x${code.toString(16).padStart(2, "0")}` : char;
  }
  return out;
}

/**
 * Escapes every character that could end a log line or steer a terminal (C0 and C1 controls,
 * DEL, U+2028 and U+2029), leaving the rest readable: for error messages, which an app may fill
 * with request input.
 *
 * @param text the text
 * @returns the text with each such character as `\xNN` or `\uNNNN`
 * @example
 * ```ts
 * import { escapeControl } from "./log.ts";
 * console.log(escapeControl("a\r\nb")); // a\x0d\x0ab
 * ```
 */
export function escapeControl(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (char) => {
    const code = char.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, "0")}`;
  });
}

/**
 * An error for the log: its message on the first line and each stack frame on its own indented
 * line, every part escaped with {@linkcode escapeControl}, so a message cannot start a line of
 * its own.
 *
 * @param error what was thrown
 * @returns the text; every line after the first starts with four spaces
 * @example
 * ```ts
 * import { errorText } from "./log.ts";
 * console.log(errorText(new Error("bad\ninput")).split("\n")[0]); // Error: bad\x0ainput
 * ```
 */
export function errorText(error: unknown): string {
  let headline: string;
  let stack: string;
  try {
    headline = String(error);
    stack = error instanceof Error ? error.stack ?? "" : "";
  } catch {
    // An app can throw anything, even a value whose conversion to text throws.
    return "a thrown value that cannot be shown";
  }
  // V8 stacks are the headline and then the frames: keep the frames apart, one per line.
  if (!stack.startsWith(headline)) return escapeControl(stack || headline);
  const frames = stack.slice(headline.length).split("\n").map((line) => line.trim());
  const lines = [escapeControl(headline)];
  for (const frame of frames) if (frame !== "") lines.push(`    ${escapeControl(frame)}`);
  return lines.join("\n");
}

/** Common-log-format time in UTC: 25/Nov/2026:19:01:12 +0000. */
function clfTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const day = `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}`;
  return `${day}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${
    pad(date.getUTCSeconds())
  } +0000`;
}
