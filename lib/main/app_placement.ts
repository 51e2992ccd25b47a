/**
 * A start-up check that the app module lies where its workers may read. Under `deno run`, Deno
 * refuses a worker's import outside its read list; a compiled binary does not check permissions
 * on import at all, so heiretsu checks the app itself, against the list `sandbox.ts` grants.
 *
 * @module
 */
import { resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { ServerConfig } from "../config/settings.ts";
import { workerPermissions } from "./sandbox.ts";

/**
 * Why the app may not be loaded by its workers, or null when it may.
 *
 * @param config the validated config (its `app` a `file:` URL, or null)
 * @returns one line naming the app and the folders its workers may read, or null
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { appPlacementError } from "./app_placement.ts";
 * import { DEFAULTS } from "../config/settings.ts";
 * assert.equal(appPlacementError({ ...DEFAULTS, app: null }), null);
 * const app = new URL("../../examples/time.ts", import.meta.url).href;
 * assert.equal(appPlacementError({ ...DEFAULTS, root: null, app }), null);
 * ```
 */
export function appPlacementError(config: ServerConfig): string | null {
  if (config.app === null) return null;
  if (!config.app.startsWith("file:")) {
    return `app ${config.app} is not a file: give the path of a module on disk`;
  }
  const { read } = workerPermissions(config);
  if (read === true || read === undefined) return null;
  const app = fileURLToPath(config.app);
  const folders = (read as string[]).map((path) => resolve(path));
  const inside = folders.some((folder) =>
    app === folder || app.startsWith(folder.endsWith(sep) ? folder : folder + sep)
  );
  if (inside) return null;
  return `app "${app}" lies outside what its workers may read (${
    folders.join(", ")
  }): move it under one of them, or give its folder with --allow-read`;
}
