/**
 * Shared helpers for the static-file unit tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { PlannedResponse } from "../../lib/worker/handler.ts";

/**
 * The value of a response header, checking it appears at most once.
 *
 * @param response the planned response
 * @param name the lower-case header name
 * @returns its value, or undefined when absent
 */
export function header(response: PlannedResponse, name: string): string | undefined {
  const matches = response.headers.filter(([key]) => key === name);
  assert.ok(matches.length <= 1, `header "${name}" appears ${matches.length} times`);
  return matches[0]?.[1];
}
