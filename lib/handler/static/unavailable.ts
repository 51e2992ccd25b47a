/**
 * @module
 * Files that exist but cannot be opened now: the process is out of file descriptors (EMFILE),
 * the system is (ENFILE), or the disk fails. Such a file is not gone, so it must not be answered
 * 404 (a cacheable "not here" that a CDN keeps): it is a 503 with Retry-After and
 * `Cache-Control: no-store`, and its cause is logged once per burst, not once per request.
 */
import { HttpError } from "../../http/errors.ts";
import { type HeaderPolicy, pageResponse } from "./respond.ts";
import type { PlannedResponse } from "../handler.ts";

/** Seconds a client is asked to wait before trying again after a 503 for a file. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * A burst of unavailable files ends after this long without one; the next one is logged again,
 * with the count of those that were not.
 */
export const BURST_QUIET_MS = 10_000;

/** A file that exists but could not be opened now; it carries the system's error. */
export class FilesUnavailable extends HttpError {
  /**
   * Wraps the system's error.
   *
   * @param cause the error the open (or stat) threw
   */
  constructor(cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(503, "files-unavailable", `Files cannot be opened now: ${reason}`);
    this.name = "FilesUnavailable";
    this.cause = cause;
  }
}

/**
 * A listing that needs a folder read while the worker has as many queued as it may
 * (`MAX_QUEUED_READS` in `listing_cache.ts`): answered like files that cannot be opened now,
 * 503 with Retry-After, but not logged (it is load, not a fault).
 */
export class ListingsBusy extends FilesUnavailable {
  /** Says the worker is busy reading folders. */
  constructor() {
    super(new Error("this worker is busy reading other folders"));
    this.name = "ListingsBusy";
  }
}

/**
 * Whether an error from opening or resolving a path means the path leads to no servable file
 * (so a lookup again, or a 404, is the truth): it is missing, a name on the way is not a folder,
 * symlinks loop, the file is unreadable, or Deno's permissions do not reach it. Anything else
 * (EMFILE, ENFILE, EIO, ENOMEM) says nothing about the file.
 *
 * @param error what the file system call threw
 * @returns true when the path is not there to serve
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isGone } from "./unavailable.ts";
 * assert.equal(isGone(new Deno.errors.NotFound("gone")), true);
 * assert.equal(isGone(Object.assign(new Error("Too many open files"), { code: "EMFILE" })), false);
 * ```
 */
export function isGone(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound ||
    error instanceof Deno.errors.NotADirectory ||
    error instanceof Deno.errors.FilesystemLoop ||
    error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.NotCapable;
}

/**
 * The answer while files cannot be opened: 503, Retry-After, never stored by any cache.
 *
 * @param method the request's method (HEAD gets no page)
 * @param policy the header policy
 * @returns the planned response
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unavailableResponse } from "./unavailable.ts";
 * import { headerPolicy } from "./respond.ts";
 * import { DEFAULTS } from "../../config/settings.ts";
 * const response = unavailableResponse("GET", headerPolicy(DEFAULTS));
 * assert.equal(response.status, 503);
 * assert.ok(response.headers.some(([name, value]) => name === "cache-control" && value === "no-store"));
 * ```
 */
export function unavailableResponse(method: string, policy: HeaderPolicy): PlannedResponse {
  return pageResponse({
    status: 503,
    method,
    detail: "Files cannot be opened right now; please try again shortly",
    extraHeaders: [["retry-after", String(RETRY_AFTER_SECONDS)], ["cache-control", "no-store"]],
  }, policy);
}

/**
 * Logs the first of a burst of errors and counts the rest: a burst ends after
 * {@linkcode BURST_QUIET_MS} without an error.
 */
export class BurstLog {
  #lastAt = -Infinity;
  #unlogged = 0;
  #write: (line: string) => void;

  /**
   * @param write where a line goes (the worker's error log)
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { BurstLog } from "./unavailable.ts";
   * const lines: string[] = [];
   * const log = new BurstLog((line) => lines.push(line));
   * log.report("EMFILE", 0);
   * log.report("EMFILE", 5);
   * log.report("EMFILE", 60_000);
   * assert.equal(lines.length, 2);
   * assert.match(lines[1], /1 more/);
   * ```
   */
  constructor(write: (line: string) => void) {
    this.#write = write;
  }

  /**
   * Reports one error: written when it starts a burst, else counted.
   *
   * @param text what went wrong
   * @param nowMs the clock, in ms
   */
  report(text: string, nowMs: number = performance.now()): void {
    const starts = nowMs - this.#lastAt >= BURST_QUIET_MS;
    this.#lastAt = nowMs;
    if (!starts) {
      this.#unlogged++;
      return;
    }
    const before = this.#unlogged === 0
      ? ""
      : ` (${this.#unlogged} more in the burst before were not logged)`;
    this.#unlogged = 0;
    this.#write(
      `${text}; answering 503 with Retry-After until files open again, logged once per burst` +
        before,
    );
  }
}
