/**
 * Loads an app module in the `deno serve` convention: a default export with a `fetch` method.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { dirname } from "node:path";

/** What `fetch` gets besides the request, as `deno serve` gives it. */
export interface AppInfo {
  remoteAddr: Deno.NetAddr;
  /** Settles when the response has been sent (or the client went away). */
  completed: Promise<void>;
}

/** The app's request handler. */
export type AppFetch = (request: Request, info: AppInfo) => Response | Promise<Response>;

/**
 * Imports the module and returns its `fetch`, bound to the default export. Given the listening
 * address, it calls the export's `onListen(addr)`, if it has one, as `deno serve` does: once per
 * server, by worker 1 only (`deno serve --parallel` calls it in its first isolate alone), before
 * any request is served.
 *
 * @param url the module's file: URL
 * @param options the address for `onListen`, or null in a worker that does not call it
 * @returns the handler
 * @throws {Error} with a message that says what the module lacks, or what its onListen threw
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadApp } from "./load.ts";
 * const source = "export default { fetch: () => new Response('hi') }";
 * const fetch = await loadApp(`data:application/javascript,${encodeURIComponent(source)}`);
 * const info = { remoteAddr: { transport: "tcp" as const, hostname: "127.0.0.1", port: 1 } };
 * assert.equal(await (await fetch(new Request("http://x/"), info as never)).text(), "hi");
 * const listening = { transport: "tcp" as const, hostname: "127.0.0.1", port: 8000 };
 * const heard: unknown[] = [];
 * Object.assign(globalThis, { heard });
 * const told = "export default { fetch() {}, onListen(addr) { globalThis.heard.push(addr) } }";
 * await loadApp(`data:application/javascript,${encodeURIComponent(told)}`, { listening });
 * assert.deepEqual(heard, [listening]);
 * ```
 */
export async function loadApp(
  url: string,
  options: { listening: Deno.NetAddr | null } = { listening: null },
): Promise<AppFetch> {
  let module;
  try {
    module = await import(url);
  } catch (error) {
    if (!Deno.build.standalone) throw bareImportHint(url, error);
    throw new Error(compiledAppError(url, error));
  }
  const app = module.default;
  if (typeof app?.fetch !== "function") {
    throw new Error(
      `app ${url}: its default export must have a fetch(request, info) method, like \`export default { fetch }\``,
    );
  }
  if (options.listening !== null && typeof app.onListen === "function") {
    // Not awaited, as Deno.serve does not await it: a promise that never settles must not hold
    // the worker's start.
    try {
      app.onListen({ ...options.listening });
    } catch (error) {
      throw new Error(
        `app ${url}: its onListen(addr) threw: ${(error as Error)?.message ?? error}`,
      );
    }
  }
  return (request, info) => app.fetch(request, info);
}

/**
 * Why a compiled binary could not load an app: it loads from disk relative files, `node:`
 * modules and `data:` URLs, not packages (`npm:`, `jsr:`, `https:`) it does not embed, nor bare
 * names from the app's import map. The message names the specifier that failed and says how to
 * make the app one file.
 *
 * @param url the app module's file: URL
 * @param error what the import threw
 * @returns the message, with the `deno bundle` line to run
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compiledAppError } from "./load.ts";
 * const text = compiledAppError(
 *   "file:///srv/app.ts",
 *   new TypeError('Import "hono" not a dependency'),
 * );
 * assert.match(text, /cannot import "hono"/);
 * assert.match(text, /deno bundle --platform deno \/srv\/app\.ts -o \/srv\/app\.js/);
 * ```
 */
export function compiledAppError(url: string, error: unknown): string {
  const message = String((error as Error)?.message ?? error);
  const specifier = /["'`]([^"'`]+)["'`]/.exec(message)?.[1];
  const path = url.startsWith("file:") ? fileURLToPath(url) : url;
  const bundled = path.replace(/\.[cm]?[jt]sx?$/, "") + ".js";
  const what = specifier === undefined ? "one of its imports" : `"${specifier}"`;
  return `app ${url}: the compiled binary cannot import ${what} (${message.split("\n")[0]}); ` +
    `it loads from disk only relative files, node: modules and data: URLs: make the app one ` +
    `file with \`deno bundle --platform deno ${path} -o ${bundled}\` and run --app ${bundled}, ` +
    `or build a binary with the app inside: \`deno task compile --app ${path}\``;
}

/** A bare name Deno could not map: point at the app's own config instead of Deno's hint. */
function bareImportHint(url: string, error: unknown): unknown {
  const name = /^Import "([^"]+)" not a dependency/.exec(String((error as Error)?.message))?.[1];
  if (name === undefined) return error;
  const folder = dirname(fileURLToPath(url));
  return new Error(
    `app ${url}: cannot import "${name}": Deno used a config without it in its import map; run deno with --config ${folder}/deno.json (the app's own; heiretsu needs no import map)`,
  );
}
