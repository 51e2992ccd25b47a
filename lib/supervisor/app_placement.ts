/**
 * Start-up checks of an app: that its module lies where its workers may read (under `deno run`,
 * Deno refuses a worker's import outside its read list; a compiled binary does not check
 * permissions on import at all, so heiretsu checks the app itself, against the list `sandbox.ts`
 * grants), and that the process holds every `--allow-*` given to the app (a worker cannot get
 * more than its process), named flag by flag before any worker starts.
 *
 * @module
 */
import { resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { AppPermission, AppPermissions, ServerConfig } from "../config/settings.ts";
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

/** The descriptor Deno checks for one item of an app's permission list. */
function descriptor(name: AppPermission, item: string): Deno.PermissionDescriptor {
  switch (name) {
    case "net":
      return { name, host: item };
    case "env":
      return { name, variable: item };
    case "run":
      return { name, command: item };
    case "sys":
      return { name, kind: item as Deno.SysPermissionDescriptor["kind"] };
    default:
      return { name, path: item };
  }
}

/**
 * The app's `--allow-*` grants this process does not hold itself, as flags (`--allow-env`,
 * `--allow-run=git`), in the order given.
 *
 * @param granted what the app's workers are given
 * @param state a permission's state in this process, e.g. from `Deno.permissions.querySync`
 * @returns the flags deno itself lacks; empty when the app gets nothing beyond the process
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { grantsBeyondProcess } from "./app_placement.ts";
 * const state = (d: Deno.PermissionDescriptor) =>
 *   d.name === "env" && !("variable" in d && d.variable === "HOME") ? "prompt" : "granted";
 * assert.deepEqual(grantsBeyondProcess({ net: true, env: ["HOME", "TOKEN"] }, state), [
 *   "--allow-env=TOKEN",
 * ]);
 * ```
 */
export function grantsBeyondProcess(
  granted: AppPermissions,
  state: (descriptor: Deno.PermissionDescriptor) => Deno.PermissionState,
): string[] {
  const beyond: string[] = [];
  for (const [name, grant] of Object.entries(granted) as [AppPermission, true | string[]][]) {
    if (grant === true) {
      if (state({ name }) !== "granted") beyond.push(`--allow-${name}`);
      continue;
    }
    const missing = grant.filter((item) => state(descriptor(name, item)) !== "granted");
    if (missing.length > 0) beyond.push(`--allow-${name}=${missing.join(",")}`);
  }
  return beyond;
}
