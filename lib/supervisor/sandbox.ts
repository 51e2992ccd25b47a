/**
 * Worker threads and their sandbox: what a worker may touch is decided here, in one place.
 *
 * An I/O thread may listen on the server's address and read its own code, nothing else: it runs
 * no user code, but it reads every byte clients send.
 *
 * A worker serving files may read the root and its own code, and nothing else; with
 * `--follow-symlinks`, whatever the process may read, since symlinks may then lead anywhere.
 * Deno checks a permission against the path opened, not where symlinks lead, and workers open
 * real paths: so a root that is a symlink (`current → release-N`) also grants the folder its
 * target is in, where the next release will be when the link is flipped. A
 * worker running an app also reads the app's folder (to import it) and gets what `--allow-*`
 * gave, but for one thing `--allow-sys` alone would give it: the in-process inspector (see
 * {@linkcode APP_SYS_NAMES}).
 *
 * @module
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { AppPermission, ServerConfig } from "../config/settings.ts";

/**
 * The module every handler worker starts from; `deno task compile` embeds it (`--include`).
 */
export const WORKER_ENTRY: URL = new URL("../handler/entry.ts", import.meta.url);
/** The module every I/O thread starts from; embedded too. */
export const IO_ENTRY: URL = new URL("../io/entry.ts", import.meta.url);

/**
 * What `--allow-sys` without a list gives an app: every name Deno's `--allow-sys=` takes (deno
 * 2.9.6), which is everything but the inspector. Deno grants `node:inspector` only with sys
 * access to everything, and an in-process inspector session reads and changes every closure in
 * the thread, the guards' saved originals included (`lib/handler/app/guards.ts`); with `--allow-net`,
 * its `open()` serves a debugger of the whole process on a port. Named, the grant leaves it out
 * at its cause: Deno refuses the `Session`, `open()`, `url()` and `waitForDebugger()` alike.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { APP_SYS_NAMES } from "./sandbox.ts";
 * assert.ok(APP_SYS_NAMES.includes("hostname"));
 * ```
 */
export const APP_SYS_NAMES: readonly string[] = [
  "hostname",
  "osRelease",
  "osUptime",
  "loadavg",
  "networkInterfaces",
  "systemMemoryInfo",
  "uid",
  "gid",
  "cpus",
  "homedir",
  "getegid",
  "username",
  "statfs",
  "getPriority",
  "setPriority",
  "userInfo",
];

/**
 * The Deno permissions of a worker.
 *
 * @param config root, app and the app's permissions
 * @returns the permissions object for `new Worker(…, { deno: { permissions } })`
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { workerPermissions } from "./sandbox.ts";
 * const config = { root: "/srv/site", app: null, appPermissions: {}, followSymlinks: false };
 * const permissions = workerPermissions(config);
 * assert.ok((permissions.read as string[]).includes("/srv/site"));
 * assert.equal(permissions.net, false);
 * const sys = workerPermissions({ ...config, app: "file:///srv/app.ts", appPermissions: { sys: true } }).sys;
 * assert.ok(Array.isArray(sys) && !sys.includes("inspector"));
 * ```
 */
export function workerPermissions(
  config: Pick<ServerConfig, "root" | "app" | "appPermissions" | "followSymlinks">,
): Deno.PermissionOptionsObject {
  // Every thread's code is under lib/ (this file is in lib/supervisor/); loaded from https: (a library
  // import), the code is not on disk and needs no read grant.
  const onDisk = import.meta.url.startsWith("file:");
  const granted = config.appPermissions;
  const read = onDisk ? [fileURLToPath(new URL("..", import.meta.url)).replace(/[\\/]$/, "")] : [];
  if (config.root !== null) read.push(config.root, ...releasesOf(config.root));
  if (config.app !== null) {
    read.push(dirname(fileURLToPath(config.app)));
    // The app's thread (lib/handler/app/host.ts) loads our modules under this sandbox, where a Web
    // Worker does not: it may read deno.json, the project's config and import map.
    if (onDisk) read.push(fileURLToPath(new URL("../../deno.json", import.meta.url)));
  }
  const grant = (name: AppPermission) => granted[name] ?? false;
  return {
    read: granted.read === true || config.followSymlinks
      ? true
      : [...read, ...(granted.read ?? [])],
    net: grant("net"),
    write: grant("write"),
    env: grant("env"),
    run: grant("run"),
    sys: (granted.sys === true ? [...APP_SYS_NAMES] : grant("sys")) as Deno.PermissionOptionsObject[
      "sys"
    ],
    ffi: grant("ffi"),
  };
}

/**
 * Starts one sandboxed worker thread.
 *
 * @param id the worker's slot, for its thread name
 * @param permissions what it may use
 * @returns the thread
 * @throws {Error} saying what to do when Deno refuses (missing flag or permission)
 * @example
 * ```ts ignore
 * import { createThread, workerPermissions } from "./sandbox.ts";
 * const thread = createThread(1, workerPermissions(config));
 * ```
 */
export function createThread(id: number, permissions: Deno.PermissionOptionsObject): Worker {
  try {
    return new Worker(WORKER_ENTRY, {
      type: "module",
      name: `heiretsu-worker-${id}`,
      deno: { permissions },
    } as WorkerOptions);
  } catch (error) {
    const text = String(error);
    if (text.includes("unstable")) {
      throw new Error(
        "sandboxed workers need Deno's --unstable-worker-options flag: add it to the deno run command",
      );
    }
    if (text.includes("escalate")) {
      throw new Error(
        "the app's workers were given a permission this process lacks: run deno itself with every --allow-* given to the app",
      );
    }
    throw error;
  }
}

/**
 * The Deno permissions of an I/O thread: listen on the server's address, read its own code.
 *
 * @param address the address the supervisor bound
 * @returns the permissions object
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ioThreadPermissions } from "./sandbox.ts";
 * assert.deepEqual(ioThreadPermissions({ hostname: "::1", port: 8080 }).net, ["[::1]:8080"]);
 * assert.equal(ioThreadPermissions({ hostname: "127.0.0.1", port: 8080 }).env, false);
 * ```
 */
export function ioThreadPermissions(
  address: { hostname: string; port: number },
): Deno.PermissionOptionsObject {
  const { hostname, port } = address;
  // Loaded from https: (a library import), the code is not on disk and needs no read grant.
  const code = import.meta.url.startsWith("file:")
    ? [fileURLToPath(new URL("..", import.meta.url)).replace(/[\\/]$/, "")]
    : false;
  return {
    read: code,
    net: [`${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`],
    write: false,
    env: false,
    run: false,
    sys: false,
    ffi: false,
  };
}

/**
 * Starts one sandboxed I/O thread.
 *
 * @param index the thread's number, for its name
 * @param permissions from {@linkcode ioThreadPermissions}
 * @returns the thread
 */
export function createIoThread(index: number, permissions: Deno.PermissionOptionsObject): Worker {
  return new Worker(IO_ENTRY, {
    type: "module",
    name: `heiretsu-io-${index}`,
    deno: { permissions },
  } as WorkerOptions);
}

/** For a root that is a symlink, the folder its target is in; else nothing. */
function releasesOf(root: string): string[] {
  try {
    if (!Deno.lstatSync(root).isSymlink) return [];
    return [dirname(Deno.realPathSync(root))];
  } catch {
    // Gone or unreadable: the workers will find nothing to serve there either.
    return [];
  }
}
