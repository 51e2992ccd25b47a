/**
 * Test helper: the I/O threads the suites' servers run with. `HEIRETSU_TEST_IO_THREADS=2 deno task
 * test` runs every server the helpers start with `--io-threads 2` (unless a test sets its own),
 * so the same suites prove one I/O thread and several.
 *
 * @module
 */

/**
 * The `--io-threads` flag to add to a test server's `args`, if any.
 *
 * @param args the test's own flags
 * @returns `["--io-threads", N]` from `HEIRETSU_TEST_IO_THREADS`, or nothing
 * @example
 * ```ts ignore
 * import { ioThreadArgs } from "./io_threads.ts";
 * const args = ["--quiet", ...ioThreadArgs(["--quiet"])];
 * ```
 */
export function ioThreadArgs(args: readonly string[]): string[] {
  if (args.some((arg) => arg === "--io-threads" || arg.startsWith("--io-threads="))) return [];
  const count = Deno.env.get("HEIRETSU_TEST_IO_THREADS");
  return count === undefined || count === "" ? [] : ["--io-threads", count];
}
