/**
 * @module
 * The one error type of the HTTP layer: {@link HttpError} carries the HTTP status to answer with
 * and a stable kebab-case code, so a single function can map any failure to a response.
 */

/**
 * An error that knows which HTTP status it should produce.
 *
 * 4xx statuses mean the peer sent something we refuse; 5xx statuses mean we cannot (501, 505) or
 * that our own code misbehaved (500).
 *
 * @example Reject an oversized request line
 * ```ts
 * import assert from "node:assert/strict";
 * import { HttpError } from "./errors.ts";
 * const error = new HttpError(414, "request-line-too-long", "Request line exceeds 8192 bytes");
 * assert.equal(error.status, 414);
 * assert.equal(error.code, "request-line-too-long");
 * ```
 */
export class HttpError extends Error {
  /** HTTP status to answer with, e.g. 400, 413, 414, 431, 501, 505. */
  readonly status: number;
  /** Stable kebab-case identifier for logs and tests, e.g. "header-too-large". */
  readonly code: string;

  /**
   * Creates an error carrying its response status.
   *
   * @param status HTTP status to answer with.
   * @param code Stable kebab-case identifier of the failure.
   * @param message Sentence-case description without a final period.
   */
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
  }
}
