/**
 * Who refused: Deno's sandbox (`NotCapable`: `deno run` lacks a flag, which only a `deno run`
 * user can add) or the operating system (`PermissionDenied`: the user heiretsu runs as, such as
 * uid 65532 in the Docker image, where no Deno flag helps). Each gets its own advice.
 *
 * @module
 */

/**
 * What to do about a refused file, folder or port.
 *
 * @param error what the call threw
 * @param fix the Deno flag that would allow it (`--allow-read=/srv`), and what the operating
 *   system's refusal needs instead
 * @returns the advice, or null when the error is no refusal
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refusalAdvice } from "./denied.ts";
 * const fix = { flag: "--allow-read=/srv", os: "make it readable by this user" };
 * assert.equal(refusalAdvice(new Deno.errors.NotCapable("no"), fix), "run deno with --allow-read=/srv");
 * assert.match(refusalAdvice(new Deno.errors.PermissionDenied("no"), fix)!, /^the operating system/);
 * assert.equal(refusalAdvice(new Error("other"), fix), null);
 * ```
 */
export function refusalAdvice(error: unknown, fix: { flag: string; os: string }): string | null {
  if (error instanceof Deno.errors.NotCapable) return `run deno with ${fix.flag}`;
  if (error instanceof Deno.errors.PermissionDenied) {
    return `the operating system refused the user heiretsu runs as: ${fix.os}`;
  }
  return null;
}

/** What the operating system's refusal to read a path needs. */
export const MAKE_READABLE = "make it readable by that user (e.g. chmod -R o+rX)";
