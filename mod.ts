/**
 * heiretsu as a library: start the multi-threaded server inside your own program or tests, with
 * the options of the command line.
 *
 * ```ts ignore
 * import { serve } from "./mod.ts";
 * const server = await serve({ app: new URL("./app.ts", import.meta.url), port: 0 });
 * console.log(server.url);
 * await server.shutdown();
 * ```
 *
 * The command line itself is `main.ts` (exported as `./cli`).
 *
 * @module
 */
import { configFromOptions, type ServeOptions } from "./lib/config/options.ts";
import type { ServerConfig } from "./lib/config/settings.ts";
import { Server } from "./lib/supervisor/server.ts";
import { appPlacementError } from "./lib/supervisor/app_placement.ts";

export type { ServeOptions } from "./lib/config/options.ts";
export type { ServerConfig } from "./lib/config/settings.ts";

/** A running server. */
export interface ServerHandle {
  /** The bound address (with the real port when `port: 0` was asked). */
  readonly addr: Deno.NetAddr;
  /** The base URL, e.g. `http://127.0.0.1:41234` (`https:` with a certificate). */
  readonly url: string;
  /** The validated config the server runs with. */
  readonly config: Readonly<ServerConfig>;
  /** Settles once the server has shut down. */
  readonly finished: Promise<void>;
  /**
   * Graceful shutdown, as on SIGTERM: in-flight responses may finish within `graceMs`.
   * @returns {@linkcode ServerHandle.finished}
   */
  shutdown(): Promise<void>;
}

/**
 * Validates the options as the command line would, starts the workers and listens.
 *
 * @param options root, app, port, workers, limits…: any `ServerConfig` field
 * @returns the running server, once it accepts connections
 * @throws {Error} with the CLI's one-line message for a bad option, or the start-up failure
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serve } from "./mod.ts";
 * const server = await serve({ port: 0, workers: 1, quiet: true });
 * const response = await fetch(`${server.url}/`);
 * assert.equal(response.status, 200);
 * await response.body?.cancel();
 * await server.shutdown();
 * ```
 */
export async function serve(options: ServeOptions = {}): Promise<ServerHandle> {
  const result = configFromOptions(options);
  if (result.kind !== "run") {
    throw new Error(result.kind === "error" ? result.message : "options printed nothing to run");
  }
  const { config } = result;
  const misplaced = appPlacementError(config);
  if (misplaced !== null) throw new Error(misplaced);
  const server = new Server(config);
  await server.start();
  const { hostname, port } = server.addr;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const finished = Promise.withResolvers<void>();
  // A failed shutdown rejects `finished` too: a caller who awaits only shutdown() must not get
  // an unhandled rejection on top.
  finished.promise.catch(() => {});
  let stopping: Promise<void> | null = null;
  const shutdown = () => {
    stopping ??= server.shutdown().then(finished.resolve, (error) => {
      finished.reject(error);
      throw error;
    });
    return stopping;
  };
  return {
    addr: server.addr,
    url: `${config.cert === null ? "http" : "https"}://${host}:${port}`,
    config,
    finished: finished.promise,
    shutdown,
  };
}
