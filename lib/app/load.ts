/**
 * Loads an app module in the `deno serve` convention: a default export with a `fetch` method.
 *
 * @module
 */

/** What `fetch` gets besides the request, as `deno serve` gives it. */
export interface AppInfo {
  remoteAddr: Deno.NetAddr;
  /** Settles when the response has been sent (or the client went away). */
  completed: Promise<void>;
}

/** The app's request handler. */
export type AppFetch = (request: Request, info: AppInfo) => Response | Promise<Response>;

/**
 * Imports the module and returns its `fetch`, bound to the default export.
 *
 * @param url the module's file: URL
 * @returns the handler
 * @throws {Error} with a message that says what the module lacks
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadApp } from "./load.ts";
 * const source = "export default { fetch: () => new Response('hi') }";
 * const fetch = await loadApp(`data:application/javascript,${encodeURIComponent(source)}`);
 * const info = { remoteAddr: { transport: "tcp" as const, hostname: "127.0.0.1", port: 1 } };
 * assert.equal(await (await fetch(new Request("http://x/"), info as never)).text(), "hi");
 * ```
 */
export async function loadApp(url: string): Promise<AppFetch> {
  let module;
  try {
    module = await import(url);
  } catch (error) {
    if (!Deno.build.standalone) throw error;
    throw new Error(`${compiledAppError(url)} (${error})`);
  }
  const app = module.default;
  if (typeof app?.fetch !== "function") {
    throw new Error(
      `app ${url}: its default export must have a fetch(request, info) method, like \`export default { fetch }\``,
    );
  }
  return (request, info) => app.fetch(request, info);
}

/**
 * Why a compiled binary cannot run an app: it imports only the modules embedded when it was
 * built (denoland/deno#18327), and the app is not one of them.
 *
 * @param url the app module's file: URL
 * @returns the message, saying what to do instead
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compiledAppError } from "./load.ts";
 * const message = compiledAppError("file:///srv/app.ts");
 * assert.match(message, /^app file:\/\/\/srv\/app\.ts cannot be loaded by the compiled binary/);
 * assert.match(message, /deno task serve -- --app file:\/\/\/srv\/app\.ts/);
 * ```
 */
export function compiledAppError(url: string): string {
  return `app ${url} cannot be loaded by the compiled binary, which imports only the modules built into it; run the app from a clone with \`deno task serve -- --app ${url}\``;
}
