/**
 * The app baked into a binary by `deno task compile --app`: `deno compile` puts arguments
 * written after the entry module in front of the user's, and the compile task writes
 * `--baked-app PATH` there, PATH being the app's place relative to `main.ts`. Inside the binary
 * both are embedded under the same folder, wherever the runtime unpacks it, so the path is
 * resolved against `main.ts`'s URL when the binary starts.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The first baked argument of a binary with its app inside. */
export const BAKED_APP_FLAG = "--baked-app";

/**
 * Turns a leading `--baked-app PATH` into `--app FILE`; other arguments pass unchanged, so a
 * later `--app` given by the user still wins.
 *
 * @param args the program's arguments
 * @param mainUrl the URL of `main.ts` (its `import.meta.url`)
 * @returns the arguments the config parser understands
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unbake } from "./baked.ts";
 * assert.deepEqual(
 *   unbake(["--baked-app", "../app/main.ts", "--port", "0"], "file:///opt/h/main.ts"),
 *   ["--app", "/opt/app/main.ts", "--port", "0"],
 * );
 * assert.deepEqual(unbake(["--port", "0"], "file:///opt/h/main.ts"), ["--port", "0"]);
 * ```
 */
export function unbake(args: readonly string[], mainUrl: string): string[] {
  if (args[0] !== BAKED_APP_FLAG || args.length < 2) return [...args];
  const app = fileURLToPath(new URL(args[1], mainUrl));
  return ["--app", app, ...args.slice(2)];
}
