/**
 * Which handler a worker serves, and the one module that wires the handlers to the serve loop:
 * static files (`static/`), the app (`app/`), or both, behind the health check. The entries
 * (`entry.ts`, `app_entry.ts`) hand {@linkcode composeHandler} to `serve()`; below this module,
 * `static/` and `app/` import the handler contract (`handler.ts`, `serve.ts`, …) and never each
 * other, and the contract imports neither.
 *
 * @module
 */
import type { WorkerInit } from "../wire/protocol.ts";
import { textResponse } from "../http/pages.ts";
import { failureLine, isHealthCheck } from "./access_log.ts";
import type { PlannedResponse, RequestHandler } from "./handler.ts";
import { FileCache } from "./static/cache.ts";
import { ListingCache } from "./static/listing_cache.ts";
import { serveStatic, type StaticOptions } from "./static/handler.ts";
import { BurstLog, type FilesUnavailable } from "./static/unavailable.ts";
import { appHandler } from "./app/handler.ts";
import { loadApp } from "./app/load.ts";

/**
 * Builds a worker's handler: static files, the app, or both (GET and HEAD try the files first,
 * the rest go to the app), behind the health check when one is configured.
 *
 * @param init the worker's configuration (root, app, static settings, health path)
 * @param draining whether the server is shutting down (the health check then says 503)
 * @returns the handler; rejects when the app cannot be loaded
 * @example
 * ```ts ignore
 * import { composeHandler } from "./compose.ts";
 * import { serve } from "./serve.ts";
 * serve(init, { post: (event) => self.postMessage(event), build: composeHandler });
 * ```
 */
export async function composeHandler(
  init: WorkerInit,
  draining: () => boolean,
): Promise<RequestHandler> {
  const handler = await filesAndApp(init);
  const { healthPath } = init;
  if (healthPath === null) return handler;
  return (incoming) => {
    const { method, target } = incoming.head;
    if (!isHealthCheck(method, target, healthPath)) return handler(incoming);
    return healthResponse(draining());
  };
}

/** 200 while serving; 503 once shutting down, so a load balancer stops sending traffic here. */
function healthResponse(draining: boolean): PlannedResponse {
  const headers: [string, string][] = [["cache-control", "no-store"]];
  return textResponse(draining ? 503 : 200, { text: draining ? "draining\n" : "ok\n", headers });
}

async function filesAndApp(init: WorkerInit): Promise<RequestHandler> {
  const cache = new FileCache({
    maxEntries: 1024,
    maxFileBytes: Math.min(64 * 1024, init.fileCacheBytes),
    maxTotalBytes: init.fileCacheBytes,
  });
  const { root } = init;
  const listings = new ListingCache(init.static.listMaxEntries);
  const shared = { cache, listings, settings: init.static, onUnavailable: unavailableLog(init) };
  if (init.app === null) {
    const options = { root: root!, ...shared };
    return ({ head }) => serveStatic(head, options);
  }
  const app = appHandler(await loadApp(init.app, { listening: init.listening }), {
    scheme: init.scheme,
    extraHeaders: init.static.extraHeaders,
  });
  if (root === null) return app;
  return filesThenApp(app, { root, ...shared });
}

/** Files that cannot be opened now (out of descriptors): the first of each burst is logged. */
function unavailableLog(init: WorkerInit): (error: FilesUnavailable) => void {
  const burst = new BurstLog((text) => {
    const failure = { worker: init.id, method: null, target: null, afterHead: false, error: text };
    console.error(failureLine(failure, init.logFormat));
  });
  return (error) => burst.report(error.message);
}

/**
 * The combining handler: a GET or HEAD for a file under the root is served as a file; the static
 * handler declines (null) every other path, and the app answers it, as it answers every other
 * method. No 404 is built for a request the app answers.
 *
 * @param app the app's handler
 * @param options the root, the worker's file cache and the static settings
 * @returns the handler
 * @example
 * ```ts ignore
 * import { filesThenApp } from "./compose.ts";
 * const handler = filesThenApp(appHandler(fetch, { scheme: "http", extraHeaders: [] }), { root });
 * ```
 */
export function filesThenApp(app: RequestHandler, options: StaticOptions): RequestHandler {
  const declining = { ...options, ifMissing: "decline" as const };
  return (incoming) => {
    const { head } = incoming;
    if (head.method !== "GET" && head.method !== "HEAD") return app(incoming);
    return serveStatic(head, declining) ?? app(incoming);
  };
}
