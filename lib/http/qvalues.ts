/**
 * @module
 * Quality-value lists (RFC 9110 §12.4.2) as Accept and Accept-Encoding carry them, and the
 * choice of a media type from Accept. Pure: no Deno APIs.
 */

/** One member of a quality-value list. */
export interface Weighted {
  /** The member without its parameters, lower-case: "gzip", "text/html", "*". */
  value: string;
  /** Its weight, 0 (not acceptable) to 1. */
  q: number;
}

/** RFC 9110 §12.4.2 qvalue: at most three decimals, never above 1. */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * Parses a comma-separated list whose members may carry ";q=" weights. A member with a
 * malformed weight is dropped, as if it had not been sent.
 *
 * @param field the field value, e.g. "br;q=1.0, gzip;q=0.5, *;q=0"
 * @returns the members in order, lower-cased, with weight 1 when none was given
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseQualityList } from "./qvalues.ts";
 * assert.deepEqual(parseQualityList("gzip;q=0.5, BR"), [
 *   { value: "gzip", q: 0.5 },
 *   { value: "br", q: 1 },
 * ]);
 * ```
 */
export function parseQualityList(field: string): Weighted[] {
  const members: Weighted[] = [];
  for (const member of field.split(",")) {
    const [head, ...params] = member.split(";");
    const value = head.trim().toLowerCase();
    if (value === "") continue;
    let q = 1;
    for (const param of params) {
      const eq = param.indexOf("=");
      if (param.slice(0, eq).trim().toLowerCase() !== "q") continue;
      const weight = param.slice(eq + 1).trim();
      q = QVALUE.test(weight) ? Number(weight) : NaN;
    }
    if (!Number.isNaN(q)) members.push({ value, q });
  }
  return members;
}

/**
 * How much an Accept field wants one media type: the weight of the most specific range that
 * matches it, and how specific that range is.
 *
 * @param accept the Accept field value; undefined means anything is welcome
 * @param type a media type without parameters, lower-case, e.g. "text/html"
 * @returns q (0: not acceptable) and specificity (2 exact, 1 "type/*", 0 the any-type wildcard)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mediaWeight } from "./qvalues.ts";
 * const weight = mediaWeight("text/*;q=0.5, text/plain", "text/html");
 * assert.deepEqual(weight, { q: 0.5, specificity: 1 });
 * ```
 */
export function mediaWeight(
  accept: string | undefined,
  type: string,
): { q: number; specificity: number } {
  if (accept === undefined) return { q: 1, specificity: 0 };
  const major = type.slice(0, type.indexOf("/"));
  let best = { q: 0, specificity: -1 };
  for (const { value, q } of parseQualityList(accept)) {
    const specificity = value === type ? 2 : value === `${major}/*` ? 1 : value === "*/*" ? 0 : -1;
    if (specificity > best.specificity) best = { q, specificity };
  }
  return best.specificity < 0 ? { q: 0, specificity: -1 } : best;
}

/**
 * Picks the media type an Accept field prefers among those offered: highest weight first, then
 * the more specific match (an exact type beats a wildcard), then the order offered.
 *
 * @param accept the Accept field value; undefined means anything is welcome
 * @param offered media types without parameters, lower-case, in the server's order of preference
 * @returns the chosen type, or null when none is acceptable
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { preferredMedia } from "./qvalues.ts";
 * const offered = ["text/html", "application/json"];
 * assert.equal(preferredMedia("application/json, text/html;q=0.9", offered), "application/json");
 * ```
 */
export function preferredMedia(
  accept: string | undefined,
  offered: readonly string[],
): string | null {
  let chosen: string | null = null;
  let best = { q: 0, specificity: -1 };
  for (const type of offered) {
    const weight = mediaWeight(accept, type);
    const better = weight.q > best.q ||
      (weight.q === best.q && weight.specificity > best.specificity);
    if (weight.q > 0 && better) {
      chosen = type;
      best = weight;
    }
  }
  return chosen;
}
