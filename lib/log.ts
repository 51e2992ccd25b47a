/**
 * Log line formats: one access-log line per request, in the spirit of the common log format,
 * with the duration and the worker that served it added.
 *
 * @module
 */

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
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Formats one access-log line.
 *
 * @param record the request's facts
 * @param now current time, for tests
 * @returns the line, without a newline
 * @example
 * ```ts
 * import { accessLine } from "./log.ts";
 * const line = accessLine({ remote: "127.0.0.1", requestLine: "GET / HTTP/1.1", status: 200, bytes: 512, startedAt: performance.now(), worker: 1 });
 * ```
 */
export function accessLine(record: AccessRecord, now: Date = new Date()): string {
  const ms = (performance.now() - record.startedAt).toFixed(1);
  const request = escapeLogText(record.requestLine);
  const { remote, status, bytes, worker } = record;
  return `${remote} - - [${clfTime(now)}] "${request}" ${status} ${bytes} ${ms}ms worker=${worker}`;
}

/** Escapes control characters, quotes and backslashes so one request is always one log line. */
function escapeLogText(text: string): string {
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
