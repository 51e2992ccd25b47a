/**
 * @module
 * The static response builder (named for what it does: it was `policy.ts`, though it builds
 * responses as well as the header policy they follow). The policy is derived once from the
 * static settings: the headers every response ends with (X-Content-Type-Options, CORS,
 * `--header` ones), Vary, and Cache-Control by kind; the responses every route shares are the
 * status pages (made by `lib/http/pages.ts`, with the policy's headers) and OPTIONS and CORS
 * preflight answers.
 */
import type { StaticSettings } from "../../config/settings.ts";
import type { PlannedResponse } from "../handler.ts";
import { statusResponse } from "../../http/pages.ts";

/** The settings turned into header lists, computed once per settings object. */
export interface HeaderPolicy {
  settings: StaticSettings;
  /** Headers appended to every response: nosniff, CORS, then the `--header` ones. */
  common: Array<[string, string]>;
  /** Names given with `--header`: a response's own header of that name is dropped. */
  replaced: ReadonlySet<string>;
  /** Vary members every response carries ("Origin" when CORS allows one origin). */
  vary: readonly string[];
  /** With several `--cors` origins: those whose `Origin` is echoed per request; else null. */
  origins: ReadonlySet<string> | null;
  /**
   * Plain status pages (no detail, no extra headers) by status and HEAD, built once: a 404
   * (made-up URLs, scanners) is the same response every time.
   */
  pages: Map<number, PlannedResponse>;
}

/** The methods static serving supports, as sent in Allow and CORS preflight answers. */
export const ALLOWED_METHODS = "GET, HEAD, OPTIONS";

/** How long a browser may reuse a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_SECONDS = 86_400;

/** Response headers a cross-origin script may read besides the safelisted ones. */
const EXPOSED_HEADERS = "Accept-Ranges, Content-Encoding, Content-Range, ETag, Last-Modified";

/** The body of every response without one; shared, nothing in it changes. */
export const EMPTY: PlannedResponse["body"] = Object.freeze({ kind: "empty" });

/** Single-slot memo: a worker passes the same settings object with every request. */
let memo: HeaderPolicy | null = null;

/**
 * The header policy for a settings object; the same object is returned while the settings are.
 *
 * @param settings the static settings
 * @returns the policy
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headerPolicy } from "./respond.ts";
 * import { DEFAULTS } from "../../config/settings.ts";
 * assert.deepEqual(headerPolicy(DEFAULTS).common, [["x-content-type-options", "nosniff"]]);
 * ```
 */
export function headerPolicy(settings: StaticSettings): HeaderPolicy {
  if (memo?.settings === settings) return memo;
  const extra = settings.extraHeaders;
  const replaced = new Set(extra.map(([name]) => name));
  const own: Array<[string, string]> = [["x-content-type-options", "nosniff"]];
  const list = settings.cors?.split(" ") ?? [];
  if (list.length === 1) {
    own.push(["access-control-allow-origin", list[0]]);
    own.push(["access-control-expose-headers", EXPOSED_HEADERS]);
  }
  const common = [...own.filter(([name]) => !replaced.has(name)), ...extra];
  const vary = settings.cors !== null && settings.cors !== "*" ? ["Origin"] : [];
  const origins = list.length > 1 ? new Set(list) : null;
  memo = { settings, common, replaced, vary, origins, pages: new Map() };
  return memo;
}

/**
 * With several `--cors` origins, a response to a request from one of them names that origin in
 * `Access-Control-Allow-Origin` (its `Vary: Origin` is there already); anything else is
 * returned as it is. Responses may be shared and frozen, so a new one is made.
 *
 * @param response the response
 * @param options the request's `Origin` (or undefined) and the policy
 * @returns the response to send
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allowOrigin, headerPolicy } from "./respond.ts";
 * import { DEFAULTS } from "../../config/settings.ts";
 * const policy = headerPolicy({ ...DEFAULTS, cors: "https://a.example https://b.example" });
 * const response = { status: 200, headers: [], body: { kind: "empty" as const } };
 * const allowed = allowOrigin(response, { origin: "https://b.example", policy });
 * assert.deepEqual(allowed.headers[0], ["access-control-allow-origin", "https://b.example"]);
 * assert.equal(allowOrigin(response, { origin: "https://c.example", policy }), response);
 * ```
 */
export function allowOrigin<R extends PlannedResponse>(
  response: R,
  options: { origin: string | undefined; policy: HeaderPolicy },
): R {
  const { origin, policy } = options;
  if (policy.origins === null || origin === undefined || !policy.origins.has(origin)) {
    return response;
  }
  const headers: Array<[string, string]> = [
    ["access-control-allow-origin", origin],
    ["access-control-expose-headers", EXPOSED_HEADERS],
    ...response.headers.map(([name, value]) => [name, value] as [string, string]),
  ];
  return { ...response, headers };
}

/**
 * Completes a response's own headers: drops those a `--header` replaces, adds one Vary with the
 * response's members and the policy's, then the common headers.
 *
 * @param own the response's own headers (lower-case names)
 * @param options the policy, and Vary members of this response (e.g. "Accept-Encoding")
 * @returns a new list
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { finishHeaders, headerPolicy } from "./respond.ts";
 * import { DEFAULTS } from "../../config/settings.ts";
 * assert.deepEqual(finishHeaders([["content-length", "0"]], { policy: headerPolicy(DEFAULTS) }), [
 *   ["content-length", "0"],
 *   ["x-content-type-options", "nosniff"],
 * ]);
 * ```
 */
export function finishHeaders(
  own: ReadonlyArray<[string, string]>,
  options: { policy: HeaderPolicy; vary?: readonly string[] },
): Array<[string, string]> {
  const { policy } = options;
  const headers = own.filter(([name]) => !policy.replaced.has(name));
  const vary = [...(options.vary ?? []), ...policy.vary];
  if (vary.length > 0 && !policy.replaced.has("vary")) headers.push(["vary", vary.join(", ")]);
  headers.push(...policy.common);
  return headers;
}

/**
 * A response that also varies on `member`: merged into its Vary field (case aside, no member
 * twice), or a Vary field added. Responses may be shared and frozen, so a new one is made; a
 * `--header` that replaces Vary is left alone.
 *
 * @param response the response
 * @param options the member ("Accept") and the policy
 * @returns the response to send
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headerPolicy, withVary } from "./respond.ts";
 * import { DEFAULTS } from "../../config/settings.ts";
 * const policy = headerPolicy(DEFAULTS);
 * const response = { status: 200, headers: [["vary", "Accept-Encoding"]] as const, body: { kind: "empty" as const } };
 * assert.deepEqual(withVary(response, { member: "Accept", policy }).headers, [["vary", "Accept-Encoding, Accept"]]);
 * ```
 */
export function withVary<R extends PlannedResponse>(
  response: R,
  options: { member: string; policy: HeaderPolicy },
): R {
  const { member, policy } = options;
  if (policy.replaced.has("vary")) return response;
  const at = response.headers.findIndex(([name]) => name === "vary");
  const headers = response.headers.map(([name, value]) => [name, value] as [string, string]);
  if (at === -1) {
    // Before the common headers, where finishHeaders() puts Vary.
    const common = headers.length - policy.common.length;
    headers.splice(Math.max(0, common), 0, ["vary", member]);
    return { ...response, headers };
  }
  const members = headers[at][1].split(",").map((part) => part.trim().toLowerCase());
  if (members.includes(member.toLowerCase()) || members.includes("*")) return response;
  headers[at] = ["vary", `${headers[at][1]}, ${member}`];
  return { ...response, headers };
}

/**
 * The Cache-Control a file gets: HTML always revalidates, anything else gets `--cache-control`.
 *
 * @param contentType the file's Content-Type
 * @param policy the header policy
 * @returns the header value
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cacheControl, headerPolicy } from "./respond.ts";
 * import { DEFAULTS } from "../../config/settings.ts";
 * const policy = headerPolicy({ ...DEFAULTS, cacheControl: "max-age=60" });
 * assert.equal(cacheControl("text/html; charset=utf-8", policy), "no-cache");
 * assert.equal(cacheControl("image/png", policy), "max-age=60");
 * ```
 */
export function cacheControl(contentType: string, policy: HeaderPolicy): string {
  return contentType.startsWith("text/html") ? "no-cache" : policy.settings.cacheControl;
}

/** What a status page response carries besides the page. */
export interface PageSpec {
  status: number;
  /** HEAD gets the headers without the page. */
  method: string;
  /** Shown under the heading, HTML-escaped. */
  detail?: string;
  /** Headers before the page's own (e.g. Location, Allow, Content-Range). */
  extraHeaders?: Array<[string, string]>;
}

/**
 * A response carrying a small HTML status page.
 *
 * @param spec status, method, detail and extra headers
 * @param policy the header policy
 * @returns the planned response
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headerPolicy, pageResponse } from "./respond.ts";
 * import { DEFAULTS } from "../../config/settings.ts";
 * const response = pageResponse({ status: 404, method: "GET" }, headerPolicy(DEFAULTS));
 * assert.equal(response.status, 404);
 * assert.deepEqual(response.headers[0], ["content-type", "text/html; charset=utf-8"]);
 * assert.equal(response.body.kind, "bytes");
 * ```
 */
export function pageResponse(spec: PageSpec, policy: HeaderPolicy): PlannedResponse {
  const plain = spec.detail === undefined && spec.extraHeaders === undefined;
  const key = spec.status * 2 + (spec.method === "HEAD" ? 1 : 0);
  const built = plain ? policy.pages.get(key) : undefined;
  if (built !== undefined) return built;
  const head = spec.method === "HEAD";
  const page = statusResponse(spec.status, {
    detail: spec.detail,
    headers: spec.extraHeaders,
    head,
  });
  const headers = finishHeaders(page.headers, { policy });
  const body = head ? EMPTY : page.body;
  if (!plain) return { status: spec.status, headers, body };
  // Frozen, as shared responses must be; the serializer then also checks the fields only once.
  const kept = Object.freeze({ status: spec.status, headers: Object.freeze(headers), body });
  policy.pages.set(key, kept);
  return kept;
}

/**
 * The answer to OPTIONS: 204 with Allow; with `--cors` and Access-Control-Request-Method, a CORS
 * preflight answer that allows the requested headers. RFC 9110 §8.6 forbids Content-Length on
 * a 204.
 *
 * @param request the preflight fields, when sent
 * @param policy the header policy
 * @returns the planned response
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headerPolicy, optionsResponse } from "./respond.ts";
 * import { DEFAULTS } from "../../config/settings.ts";
 * const response = optionsResponse({}, headerPolicy({ ...DEFAULTS, cors: "*" }));
 * assert.equal(response.status, 204);
 * assert.deepEqual(response.headers[0], ["allow", "GET, HEAD, OPTIONS"]);
 * ```
 */
export function optionsResponse(
  request: { accessControlRequestMethod?: string; accessControlRequestHeaders?: string },
  policy: HeaderPolicy,
): PlannedResponse {
  const own: Array<[string, string]> = [["allow", ALLOWED_METHODS]];
  if (policy.settings.cors !== null && request.accessControlRequestMethod !== undefined) {
    own.push(["access-control-allow-methods", ALLOWED_METHODS]);
    const asked = request.accessControlRequestHeaders;
    if (asked !== undefined) own.push(["access-control-allow-headers", asked]);
    own.push(["access-control-max-age", String(PREFLIGHT_MAX_AGE_SECONDS)]);
  }
  const vary = policy.settings.cors === null ? [] : [
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
  ];
  return { status: 204, headers: finishHeaders(own, { policy, vary }), body: EMPTY };
}
