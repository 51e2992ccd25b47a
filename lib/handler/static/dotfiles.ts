/**
 * @module
 * The dotfiles policy (`--dotfiles deny|ignore|allow`): whether a URL path or a listed name
 * that starts with a dot may be served or shown. Pure: no Deno APIs.
 */
import type { DotfilePolicy } from "../../config/settings.ts";

/**
 * The status a URL path gets under the dotfiles policy, when any of its segments starts with a
 * dot ("/.env", "/.git/config", "/a/.hidden/b.txt").
 *
 * @param urlPath a decoded, normalized path (no "." or ".." segments left)
 * @param policy deny, ignore or allow
 * @returns 403 (deny), 404 (ignore), or null when the path may be served
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dotfileStatus } from "./dotfiles.ts";
 * assert.equal(dotfileStatus("/.git/config", "ignore"), 404);
 * assert.equal(dotfileStatus("/.git/config", "deny"), 403);
 * assert.equal(dotfileStatus("/a.b/c", "deny"), null);
 * ```
 */
export function dotfileStatus(urlPath: string, policy: DotfilePolicy): 403 | 404 | null {
  if (policy === "allow" || !urlPath.includes("/.")) return null;
  return policy === "deny" ? 403 : 404;
}

/**
 * Whether a directory entry is shown in a listing: dotfiles only when they are allowed.
 *
 * @param name the entry's name
 * @param policy deny, ignore or allow
 * @returns true to list it
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isListed } from "./dotfiles.ts";
 * assert.equal(isListed(".env", "deny"), false);
 * assert.equal(isListed(".env", "allow"), true);
 * ```
 */
export function isListed(name: string, policy: DotfilePolicy): boolean {
  return policy === "allow" || !name.startsWith(".");
}
