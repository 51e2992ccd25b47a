/**
 * The app bridge: an incoming request becomes a `Request`, the app's `fetch` answers it, and its
 * `Response` becomes a planned wire response.
 *
 * @module
 */
import type { IncomingRequest, RequestHandler } from "../exchange.ts";
import type { AppFetch } from "./load.ts";
import { toRequest } from "./request.ts";
import { fromResponse } from "./response.ts";

/**
 * A request handler that runs the app.
 *
 * @param fetch the app's fetch, from `loadApp()`
 * @param scheme "https" behind TLS, so the app sees the URL the client used
 * @returns the handler
 * @example
 * ```ts ignore
 * import { appHandler } from "./handler.ts";
 * const handle = appHandler(await loadApp(url));
 * ```
 */
export function appHandler(fetch: AppFetch, scheme: "http" | "https" = "http"): RequestHandler {
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
    return fromResponse(response, { method: incoming.head.method });
  };
}
