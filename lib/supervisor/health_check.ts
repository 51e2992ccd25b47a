/**
 * `heiretsu --health-check [URL]`: asks a running server's health path and exits 0 when it
 * answers 200, else 1. Container images without a shell or curl (distroless) run it as their
 * `HEALTHCHECK`. Without a URL it is made from the same `HEIRETSU_*` variables the server reads:
 * `HEIRETSU_PORT` (8080), `HEIRETSU_HEALTH` (`/.well-known/heiretsu/health`), on loopback.
 *
 * @module
 */

/** The argument that selects the health check; it must come first. */
export const HEALTH_CHECK_FLAG = "--health-check";

/** How long the check waits for an answer. */
const HEALTH_CHECK_TIMEOUT_MS = 5_000;

/**
 * The URL to check: the one given, or one made from the environment.
 *
 * @param given the argument after `--health-check`, if any
 * @param env reads a variable (undefined when unset or not permitted)
 * @returns the URL
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { healthCheckUrl } from "./health_check.ts";
 * const env = (name: string) => ({ HEIRETSU_PORT: "9000" } as Record<string, string>)[name];
 * assert.equal(healthCheckUrl(undefined, env), "http://127.0.0.1:9000/.well-known/heiretsu/health");
 * assert.equal(healthCheckUrl("http://[::1]:1/h", env), "http://[::1]:1/h");
 * ```
 */
export function healthCheckUrl(
  given: string | undefined,
  env: (name: string) => string | undefined,
): string {
  if (given !== undefined) return given;
  const port = env("HEIRETSU_PORT") ?? "8080";
  const path = env("HEIRETSU_HEALTH") ?? "/.well-known/heiretsu/health";
  return `http://127.0.0.1:${port}${path}`;
}

/**
 * Asks the URL once and reports the outcome on one line.
 *
 * @param url the health path's URL
 * @returns the exit code: 0 for a 200 answer, else 1
 * @example
 * ```ts ignore
 * import { healthCheck } from "./health_check.ts";
 * Deno.exit(await healthCheck("http://127.0.0.1:8080/.well-known/heiretsu/health"));
 * ```
 */
export async function healthCheck(url: string): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(HEALTH_CHECK_TIMEOUT_MS) });
    await response.body?.cancel();
    console.log(`heiretsu: ${url} answered ${response.status}`);
    return response.status === 200 ? 0 : 1;
  } catch (error) {
    console.error(`heiretsu: ${url} did not answer: ${(error as Error).message}`);
    return 1;
  }
}
