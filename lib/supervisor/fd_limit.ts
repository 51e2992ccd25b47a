/**
 * @module
 * The startup warning about file descriptors, as nginx warns that worker_connections exceed the
 * open file limit: every connection holds one descriptor, and files being sent hold more, so
 * `--max-connections` plus a reserve must fit under the process's limit (RLIMIT_NOFILE), or
 * files are answered 503 once the connections have taken them all. Read from /proc/self/limits
 * on Linux; elsewhere, or without permission to read it, nothing is said.
 */

/**
 * Descriptors the server needs besides its connections: Deno's own (about 30 with its runtime
 * threads, measured), the listener, each worker's, and the files being sent at once.
 */
export const DESCRIPTOR_RESERVE = 256;

/** Where Linux tells a process its limits. */
const LIMITS_PATH = "/proc/self/limits";

/**
 * The soft limit on open files from the text of /proc/self/limits.
 *
 * @param limits the file's text
 * @returns the soft limit, or null when unlimited or not found
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openFilesLimit } from "./fd_limit.ts";
 * const text = "Max open files            1024                 524288               files     \n";
 * assert.equal(openFilesLimit(text), 1024);
 * ```
 */
export function openFilesLimit(limits: string): number | null {
  const line = limits.split("\n").find((row) => row.startsWith("Max open files"));
  const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
  if (soft === undefined || !/^\d+$/.test(soft)) return null;
  return Number(soft);
}

/**
 * The warning to print when `--max-connections` plus {@linkcode DESCRIPTOR_RESERVE} exceeds the
 * open file limit, or null when it fits (or the limit is unknown).
 *
 * @param maxConnections the `--max-connections` value
 * @param limit the soft limit on open files, or null when unknown or unlimited
 * @returns the line to log, or null
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { descriptorWarning } from "./fd_limit.ts";
 * assert.match(descriptorWarning(10_000, 1024) ?? "", /exceeds the open file limit of 1024/);
 * assert.equal(descriptorWarning(100, 1024), null);
 * ```
 */
export function descriptorWarning(maxConnections: number, limit: number | null): string | null {
  const needed = maxConnections + DESCRIPTOR_RESERVE;
  if (limit === null || needed <= limit) return null;
  return `Server: warning: --max-connections ${maxConnections} plus ${DESCRIPTOR_RESERVE} ` +
    `descriptors in reserve exceeds the open file limit of ${limit} (ulimit -n); once ` +
    `connections take them all, files are answered 503. Raise the limit (ulimit -n ${needed}, ` +
    `or LimitNOFILE=${needed} for systemd) or lower --max-connections to ${
      Math.max(1, limit - DESCRIPTOR_RESERVE)
    }`;
}

/**
 * This process's soft limit on open files, read from /proc/self/limits; null where there is no
 * such file (macOS, Windows) or it may not be read.
 *
 * @returns the limit, or null
 * @example
 * ```ts
 * import { processOpenFilesLimit } from "./fd_limit.ts";
 * processOpenFilesLimit(); // 1024 on many Linux shells, null elsewhere
 * ```
 */
export function processOpenFilesLimit(): number | null {
  if (Deno.build.os !== "linux") return null;
  // Queried first: a read without permission would prompt at the terminal.
  const permission = Deno.permissions.querySync({ name: "read", path: LIMITS_PATH });
  if (permission.state !== "granted") return null;
  try {
    return openFilesLimit(Deno.readTextFileSync(LIMITS_PATH));
  } catch {
    // Not readable under this process's permissions (or no /proc): nothing to compare with.
    return null;
  }
}
