/**
 * Helpers shared by the HTTP layer's tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import { HttpError } from "../../lib/http/errors.ts";

/**
 * Bytes of a string taken one char code per byte, so tests can write any octet.
 *
 * @param text the text; every char code must be below 256
 * @returns the bytes
 */
export function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

/**
 * What an action throws, as "STATUS code", or "no error".
 *
 * @param action the code to run
 * @returns the HttpError's status and code
 */
export function statusOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof HttpError);
    return `${error.status} ${error.code}`;
  }
  return "no error";
}
