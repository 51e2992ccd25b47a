/**
 * Shared helpers for the static-file unit tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { PlannedResponse } from "../../../lib/handler/handler.ts";

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

/**
 * Runs `body` while every open fails as it does with no descriptor left (EMFILE).
 *
 * @param body what runs meanwhile
 * @returns what it returns
 */
export function withoutDescriptors<T>(body: () => T): T {
  const open = Deno.openSync;
  Deno.openSync = () => {
    throw Object.assign(new Error("Too many open files (os error 24)"), { code: "EMFILE" });
  };
  try {
    return body();
  } finally {
    Deno.openSync = open;
  }
}
