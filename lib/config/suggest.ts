/**
 * Unknown flags: finds the first argument that is not a flag of ours and names the flag it was
 * probably meant to be: ours for another server's (`--listing`: use --list), else the nearest
 * by edit distance ("did you mean --port?"), before the argument parser sees it and says
 * something less helpful.
 *
 * @module
 */

/** Most edits for a name to count as a typo of a flag. */
const MAX_TYPO_EDITS = 2;

/**
 * Flags of other static servers (http-server, serve, miniserve, static-web-server, Caddy's
 * file-server) that people bring along, and what heiretsu does instead.
 */
export const FOREIGN_FLAGS: Readonly<Record<string, string>> = {
  "listing": "use --list",
  "dir-listing": "use --list",
  "directory-listing": "use --list",
  "browse": "use --list",
  "single": "use --spa",
  "page-fallback": "use --spa",
  "ssl": "HTTPS is on when --cert FILE and --key FILE are given",
  "tls": "HTTPS is on when --cert FILE and --key FILE are given",
  "https": "HTTPS is on when --cert FILE and --key FILE are given",
  "tls-cert": "use --cert",
  "tls-key": "use --key",
  "gzip": "use --compress (brotli or gzip, as the client accepts)",
  "brotli": "use --compress (brotli or gzip, as the client accepts)",
  "compression": "use --compress",
  "dir": "give the folder as ROOT or --root",
  "directory": "give the folder as ROOT or --root",
  "silent": "use --quiet",
  "threads": "use --workers",
  "address": "use --host",
  "bind": "use --host",
  "listen": "use --host and --port",
  "index": "a folder's index.html is served without a flag; for a single-page app use --spa",
  "hidden": "use --dotfiles allow",
  "cache": "use --cache-control",
};

/**
 * The error line for the first unknown flag in `args`, or null when every flag is known.
 *
 * @param args the arguments, after `--` was dropped
 * @param known long names (without dashes) and one-letter forms (without the dash)
 * @returns the message, or null
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unknownFlagError } from "./suggest.ts";
 * const known = { long: ["port", "root"], short: ["p"] };
 * assert.equal(unknownFlagError(["--prot", "80"], known), "unknown flag --prot: did you mean --port?");
 * assert.equal(unknownFlagError(["-p", "80"], known), null);
 * assert.equal(unknownFlagError(["--silent"], known), "unknown flag --silent: use --quiet");
 * ```
 */
export function unknownFlagError(
  args: readonly string[],
  known: { long: readonly string[]; short: readonly string[] },
): string | null {
  for (const arg of args) {
    if (arg === "--") return null; // what follows is positional
    if (arg.startsWith("--")) {
      const name = arg.slice(2).split("=")[0];
      if (known.long.includes(name)) continue;
      if (Object.hasOwn(FOREIGN_FLAGS, name)) {
        return `unknown flag --${name}: ${FOREIGN_FLAGS[name]}`;
      }
      const guess = closest(name, known.long);
      return `unknown flag --${name}${guess === null ? "" : `: did you mean --${guess}?`}`;
    }
    if (arg.startsWith("-") && arg.length > 1 && !/^-\d/.test(arg)) {
      const letters = arg.slice(1).split("=")[0];
      if (letters.length === 1 && known.short.includes(letters)) continue;
      // A long name with one dash (-port) is a common slip.
      const guess = known.long.includes(letters) ? letters : closest(letters, known.long);
      const shorts = known.short.map((s) => `-${s}`).join(", ");
      const hint = guess !== null ? `did you mean --${guess}?` : `the short flags are ${shorts}`;
      return `unknown flag ${arg.split("=")[0]}: ${hint}`;
    }
  }
  return null;
}

/**
 * The known name nearest to `name` within a few edits (or one that starts with it), or null.
 *
 * @param name what was typed
 * @param names the candidates
 * @returns the nearest candidate, or null
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { closest } from "./suggest.ts";
 * assert.equal(closest("workrs", ["workers", "window"]), "workers");
 * assert.equal(closest("zzzzzz", ["workers"]), null);
 * ```
 */
export function closest(name: string, names: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of names) {
    const distance = candidate.startsWith(name) && name.length >= 3
      ? 1
      : editDistance(name.toLowerCase(), candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.min(MAX_TYPO_EDITS, Math.max(1, Math.floor(name.length / 3)));
  return bestDistance <= allowed ? best : null;
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[i].push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2][j - 2] + 1);
      }
      rows[i].push(d);
    }
  }
  return rows[a.length][b.length];
}
