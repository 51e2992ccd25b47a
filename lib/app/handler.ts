/**
 * The app bridge: an incoming request becomes a `Request`, the app's `fetch` answers it, and its
 * `Response` becomes a planned wire response.
 *
 * @module
 */
import type { IncomingRequest, RequestHandler } from "../worker/handler.ts";
import type { AppFetch } from "./load.ts";
import { toRequest } from "./request.ts";
import { fromResponse } from "./response.ts";

/** How the app's answers are framed for this server. */
export interface AppOptions {
  /** "https" behind TLS, so the app sees the URL the client used. */
  scheme: "http" | "https";
  /** `--header` fields, added to every answer that does not set the same field itself. */
  extraHeaders: ReadonlyArray<readonly [string, string]>;
}

/**
 * A request handler that runs the app.
 *
 * @param fetch the app's fetch, from `loadApp()`
 * @param options the scheme and the headers every response gets
 * @returns the handler
 * @example
 * ```ts ignore
 * import { appHandler } from "./handler.ts";
 * const handle = appHandler(await loadApp(url), { scheme: "http", extraHeaders: [] });
 * ```
 */
export function appHandler(fetch: AppFetch, options: AppOptions): RequestHandler {
  const { scheme, extraHeaders } = options;
  return async (incoming: IncomingRequest) => {
    const request = toRequest(incoming, scheme);
    const info = {
      remoteAddr: { transport: "tcp" as const, hostname: incoming.remote, port: incoming.port },
      completed: incoming.completed,
    };
    const response = await fetch(request, info);
    if (!(response instanceof Response)) {
      throw new TypeError(`the app's fetch returned ${typeof response}, not a Response`);
    }
    const planned = await fromResponse(response, { method: incoming.head.method });
    const added = extraHeaders.filter(([name]) => !response.headers.has(name));
    if (added.length === 0) return planned;
    return { ...planned, headers: [...planned.headers, ...added] };
  };
}
