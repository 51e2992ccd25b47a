/**
 * The access log a worker writes, one line per request: `heiretsu` (the common log format plus
 * the duration and the worker that served it), `common`, `combined` (plus referer and user agent)
 * and `json`; and the escaping that keeps text from requests from forging lines.
 *
 * @module
 */
import type { LogFormat } from "../config/settings.ts";

/**
 * How a response ended: `complete` (every byte handed to the socket), `aborted` (the connection
 * closed first: the client left, a timeout, or the shutdown grace period ran out) or `failed`
 * (the server broke it off after its head was sent: a file cut short, an app's stream threw).
 */
export type Ending = "complete" | "aborted" | "failed";

/** What one access-log line reports. */
export interface AccessRecord {
  /** Client address (host only). */
  remote: string;
  /** The request line as received, or "-" when it could not be parsed. */
  requestLine: string;
  /** The status sent, or 499 when the connection closed before a response head was sent. */
  status: number;
  /** Body bytes sent (chunk framing included, as nginx's `$body_bytes_sent`), head excluded. */
  bytes: number;
  /** Head bytes sent. @default 0 */
  headBytes?: number;
  /** How the response ended. @default "complete" */
  ended?: Ending;
  /** `performance.now()` when the worker received the request. */
  startedAt: number;
  /** Worker slot that served it. */
  worker: number;
  /** Referer header, or null (or "-") when absent (combined and json). */
  referer?: string | null;
  /** User-Agent header, or null (or "-") when absent (combined and json). */
  userAgent?: string | null;
}

/** What nginx logs when the client closed the connection before the response ended. */
export const CLIENT_CLOSED = 499;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Formats one access-log line. Per format:
 * - `heiretsu`: common, then the duration and the worker; body bytes (0 when none); a response
 *   that did not end well gets ` aborted` or ` failed` after the worker.
 * - `common` and `combined`: body bytes, `-` when none (Apache's `%b`); a response whose
 *   connection closed first is logged with status 499, as nginx does; a failed one keeps its
 *   status (the error line says what broke).
 * - `json`: one object with the request line and its method, path, query and protocol apart,
 *   `bytes` (body) and `headBytes`, `ended`, and `null` for what is absent.
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
  const ended = record.ended ?? "complete";
  if (options.format === "json") return jsonLine(record, { now, ms });
  const { remote, status, bytes, worker } = record;
  const request = `"${escapeLogText(record.requestLine)}"`;
  switch (options.format) {
    case "common":
    case "combined": {
      const shown = ended === "aborted" ? CLIENT_CLOSED : status;
      const common = `${remote} - - [${clfTime(now)}] ${request} ${shown} ${bytes || "-"}`;
      if (options.format === "common") return common;
      return `${common} "${escapeLogText(record.referer ?? "-")}" "${
        escapeLogText(record.userAgent ?? "-")
      }"`;
    }
    default: {
      const mark = ended === "complete" ? "" : ` ${ended}`;
      return `${remote} - - [${clfTime(now)}] ${request} ${status} ${bytes} ${
        ms.toFixed(1)
      }ms worker=${worker}${mark}`;
    }
  }
}

/** The json format: absent values are null, the request line is also split into its parts. */
function jsonLine(record: AccessRecord, at: { now: Date; ms: number }): string {
  const { remote, requestLine, status, bytes, worker } = record;
  const parts = requestLine === "-" ? [] : requestLine.split(" ");
  const target = parts.length === 3 ? parts[1] : null;
  const mark = target === null ? -1 : target.indexOf("?");
  const absent = (value: string | null | undefined) =>
    value === undefined || value === null || value === "-" ? null : value;
  return JSON.stringify({
    time: at.now.toISOString(),
    remote,
    requestLine: absent(requestLine),
    status,
    method: parts.length === 3 ? parts[0] : null,
    path: target === null ? null : mark === -1 ? target : target.slice(0, mark),
    query: target === null || mark === -1 ? null : target.slice(mark + 1),
    protocol: parts.length === 3 ? parts[2] : null,
    bytes,
    headBytes: record.headBytes ?? 0,
    ended: record.ended ?? "complete",
    durationMs: Math.round(at.ms * 10) / 10,
    worker,
    referer: absent(record.referer),
    userAgent: absent(record.userAgent),
    type: "access",
  });
}

/**
 * Whether a request is the health check's: a GET or HEAD of its path, with or without a query.
 *
 * @param method the request's method
 * @param target the request target
 * @param healthPath the `--health` path
 * @returns true for a health check
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isHealthCheck } from "./access_log.ts";
 * assert.equal(isHealthCheck("GET", "/healthz?probe=1", "/healthz"), true);
 * assert.equal(isHealthCheck("GET", "/healthz2", "/healthz"), false);
 * assert.equal(isHealthCheck("POST", "/healthz", "/healthz"), false);
 * ```
 */
export function isHealthCheck(method: string, target: string, healthPath: string): boolean {
  if (method !== "GET" && method !== "HEAD") return false;
  // No array made per request: the target is the path, or the path and a query.
  return target.startsWith(healthPath) &&
    (target.length === healthPath.length || target.charCodeAt(healthPath.length) === QUESTION_MARK);
}

const QUESTION_MARK = 0x3f;

/**
 * The access log a worker writes: every entry, or (unless `--log-health`) every entry but the
 * health check's, so a probe every few seconds does not bury the requests people make.
 *
 * @param write where a kept entry goes
 * @param options the `--health` path (or null) and `--log-health`
 * @returns the function to log an entry with
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { healthFiltered } from "./access_log.ts";
 * const seen: string[] = [];
 * const log = healthFiltered((line: { requestLine: string }) => seen.push(line.requestLine), {
 *   healthPath: "/healthz",
 *   logHealth: false,
 * });
 * log({ requestLine: "GET /healthz HTTP/1.1" });
 * log({ requestLine: "GET / HTTP/1.1" });
 * assert.deepEqual(seen, ["GET / HTTP/1.1"]);
 * ```
 */
export function healthFiltered<Entry extends { requestLine: string }>(
  write: (entry: Entry) => void,
  options: { healthPath: string | null; logHealth: boolean },
): (entry: Entry) => void {
  const { healthPath, logHealth } = options;
  if (healthPath === null || logHealth) return write;
  return (entry) => {
    const line = entry.requestLine;
    const space = line.indexOf(" ");
    const end = line.indexOf(" ", space + 1);
    const target = line.slice(space + 1, end === -1 ? line.length : end);
    if (space === -1 || !isHealthCheck(line.slice(0, space), target, healthPath)) write(entry);
  };
}

/**
 * The log line of a request that failed with an error that is not the client's (an app's throw,
 * a bug): the worker, the request's method and path (escaped as access-log values are) and the
 * error (escaped, frames on indented lines), so no text from the request or the app can start a
 * line of its own; under `json`, one object with `method`, `path` and `error` (null when absent).
 *
 * @param failure the worker, the request line's method and target (or null), whether the head
 * had gone out, and the error's text from `errorText()`
 * @param format the log format
 * @returns the line (for the plain formats, stack frames follow on indented lines)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { failureLine } from "./access_log.ts";
 * const failure = { worker: 2, method: "GET", target: "/a\nb", afterHead: false, error: "Error: x" };
 * assert.equal(failureLine(failure, "heiretsu"), 'Worker 2: request failed ("GET /a\\x0ab"): Error: x');
 * ```
 */
export function failureLine(
  failure: {
    worker: number;
    method: string | null;
    target: string | null;
    afterHead: boolean;
    error: string;
  },
  format: LogFormat,
): string {
  const { worker, method, target, afterHead, error } = failure;
  const what = afterHead ? "response failed after its head was sent" : "request failed";
  if (format === "json") {
    const at = { worker, method, ...pathAndQuery(target) };
    return JSON.stringify({ ...jsonBase("error", at), message: what, error });
  }
  const request = method === null ? "-" : escapeLogText(`${method} ${target}`);
  return `Worker ${worker}: ${what} ("${request}"): ${error}`;
}

/**
 * The log line of an app that failed outside any request (an uncaught error, an unhandled
 * rejection), which ends its thread: what happened and the error (from `errorText()`, frames on
 * indented lines); under `json`, one object with `message` and `error`, as `failureLine()` gives
 * a request's, so that a crash leaves no line in another format.
 *
 * @param failure the worker, what happened, and the error's text from `errorText()`
 * @param format the log format
 * @returns the line (for the plain formats, stack frames follow on indented lines)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { appFailureLine } from "./access_log.ts";
 * const failure = { worker: 1, what: "uncaught error in the app", error: "Error: x\n    at f" };
 * assert.equal(appFailureLine(failure, "common"), "Worker 1: uncaught error in the app: Error: x\n    at f");
 * assert.equal(JSON.parse(appFailureLine(failure, "json")).error, "Error: x\n    at f");
 * ```
 */
export function appFailureLine(
  failure: { worker: number; what: string; error: string },
  format: LogFormat,
): string {
  const { worker, what, error } = failure;
  if (format === "json") {
    const at = { worker, method: null, path: null, query: null };
    return JSON.stringify({ ...jsonBase("error", at), message: what, error });
  }
  return `Worker ${worker}: ${what}: ${error}`;
}

/**
 * The info line for a request whose response went out with something to say of the app's doing
 * (its stream did not end after its Content-Length): the reason, as `failureLine()` gives an
 * error's.
 *
 * @param notice the worker, the request line's method and target (or null), and the reason
 * @param format the log format
 * @returns the line
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { noticeLine } from "./access_log.ts";
 * const notice = { worker: 1, method: "GET", target: "/s", reason: "late" };
 * assert.equal(noticeLine(notice, "heiretsu"), 'Worker 1: note ("GET /s"): late');
 * ```
 */
export function noticeLine(
  notice: { worker: number; method: string | null; target: string | null; reason: string },
  format: LogFormat,
): string {
  const { worker, method, target, reason } = notice;
  if (format === "json") {
    return JSON.stringify({
      ...jsonBase("info", { worker, method, ...pathAndQuery(target) }),
      message: reason,
    });
  }
  const request = method === null ? "-" : escapeLogText(`${method} ${target}`);
  return `Worker ${worker}: note ("${request}"): ${reason}`;
}

/** The fields a worker's JSON error or info line opens with. */
function jsonBase(
  type: "error" | "info",
  at: { worker: number; method: string | null; path: string | null; query: string | null },
): Record<string, unknown> {
  return { time: new Date().toISOString(), type, source: "worker", ...at };
}

/** A request target's path and query (null when absent). */
function pathAndQuery(target: string | null): { path: string | null; query: string | null } {
  if (target === null) return { path: null, query: null };
  const mark = target.indexOf("?");
  return mark === -1
    ? { path: target, query: null }
    : { path: target.slice(0, mark), query: target.slice(mark + 1) };
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
    // C1 controls (NEL ends a line for some readers, CSI drives terminals) and the Unicode line
    // separators count as control characters too.
    const unsafe = code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 ||
      code === 0x2029 || char === '"' || char === "\\";
    if (!unsafe) out += char;
    else if (code > 0xff) out += `\\u${code.toString(16)}`;
    else out += `\\x${code.toString(16).padStart(2, "0")}`;
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
