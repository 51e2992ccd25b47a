/**
 * Test helper: whether this system has Linux's /proc, which the tests that measure a server's
 * open files, memory or CPU time read. Those tests pass `{ ignore: NO_PROC }` and say so in
 * this module's one line, printed where they are skipped (macOS, Windows).
 *
 * @module
 */
import { existsSync } from "node:fs";

/** True where /proc is absent: the tests that read it are skipped there. */
export const NO_PROC: boolean = !existsSync("/proc/self/stat");

if (NO_PROC) {
  console.log(
    "tests that read /proc (open files, memory, CPU time) skipped: this system has no /proc",
  );
}
