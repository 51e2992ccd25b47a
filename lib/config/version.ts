/**
 * The program's version, read once from `deno.json` so there is one place to bump it, and the
 * `Server` header value made from it.
 *
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };

/** The program's version, e.g. "0.1.0". */
export const VERSION: string = denoJson.version;

/**
 * The value of the `Server` header on every response, e.g. "heiretsu/0.1.0".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SERVER_HEADER, VERSION } from "./version.ts";
 * assert.equal(SERVER_HEADER, `heiretsu/${VERSION}`);
 * ```
 */
export const SERVER_HEADER = `heiretsu/${VERSION}`;
