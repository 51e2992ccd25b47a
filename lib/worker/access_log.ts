/**
 * The access log a worker writes, one line per request: `heiretsu` (the common log format plus
 * the duration and the worker that served it), `common`, `combined` (plus referer and user agent)
 * and `json`; and the escaping that keeps text from requests from forging lines.
 *
 * @module
 */
import type { LogFormat } from "../config/settings.ts";

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
 * import { accessLine } from "./access_log.ts";
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
 * import assert from "node:assert/strict";
 * import { escapeLogText } from "./access_log.ts";
 * assert.equal(escapeLogText('GET /a"b'), "GET /a\\x22b");
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

/** Common-log-format time in UTC: 25/Nov/2026:19:01:12 +0000. */
function clfTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const day = `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}`;
  return `${day}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${
    pad(date.getUTCSeconds())
  } +0000`;
}
