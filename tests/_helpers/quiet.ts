/**
 * Test helper for tests whose point is a crash that prints: an uncaught error in a worker, or an
 * app's stack trace. Deno and the worker write those straight to the process's standard error,
 * where no test can catch them, so {@linkcode quietTest} runs such a test in a child `deno test`
 * and shows the child's output only when the test fails there. A passing run prints nothing.
 *
 * @module
 */
import assert from "node:assert/strict";

/** Set in the child: there the test runs in place. */
const IN_CHILD = "HEIRETSU_QUIET_TEST";
/** The child's bound: on a first run it type-checks the test module and the workers. */
const CHILD_TIMEOUT_MS = 180_000;

/**
 * Registers a test that runs in a child process, its output kept unless it fails.
 *
 * @param module the calling test module's `import.meta`
 * @param name the test's name; unique in its module
 * @param fn the test
 * @example
 * ```ts ignore
 * quietTest(import.meta, "a worker that crashes is replaced", async () => {
 *   // … make a worker crash, check it is replaced …
 * });
 * ```
 */
export function quietTest(module: ImportMeta, name: string, fn: () => Promise<void>): void {
  if (Deno.env.get(IN_CHILD) === name) {
    Deno.test(name, fn);
    return;
  }
  Deno.test(name, async () => {
    const { code, signal, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["test", "--unstable-worker-options", "--allow-all", "--filter", name, module.url],
      env: { [IN_CHILD]: name, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(CHILD_TIMEOUT_MS),
    }).output();
    const decoder = new TextDecoder();
    const output = decoder.decode(stdout) + decoder.decode(stderr);
    assert.ok(
      code === 0 && /^ok \| 1 passed/m.test(output),
      `in a child deno test (${signal ?? `exit ${code}`}):\n${output}`,
    );
  });
}
