/**
 * Test helper: the server in the test's own process, over a fresh test site, for tests that need
 * a hand on the pool or its workers; its lifecycle lines are kept, not printed.
 *
 * @module
 */
import { Server } from "../../lib/supervisor/server.ts";
import { parseConfig } from "../../lib/config/parse.ts";
import type { ServerConfig } from "../../lib/config/settings.ts";
import { makeSite, type TestSite } from "./site.ts";
import { ioThreadArgs } from "./io_threads.ts";
import { ChannelEnd } from "../../lib/wire/channel.ts";
import type { PoolWorker } from "../../lib/supervisor/pool.ts";

/**
 * Starts a server with `args` (plus a test site as root and port 0), runs `fn`, then shuts it
 * down and removes the site.
 *
 * @param args flags, as on the command line
 * @param fn the test, given the server, its lifecycle lines so far and the site
 * @example
 * ```ts ignore
 * await withServer(["--workers", "1"], async (server, lines) => {});
 * ```
 */
export async function withServer(
  args: string[],
  fn: (server: Server, lines: string[], site: TestSite) => Promise<void>,
): Promise<void> {
  const site = await makeSite();
  const result = parseConfig({
    args: ["--root", site.root, "--port", "0", ...args, ...ioThreadArgs(args)],
    env: () => undefined,
  });
  if (result.kind !== "run") throw new Error(`bad test config: ${JSON.stringify(result)}`);
  const lines: string[] = [];
  const server = new Server(result.config as ServerConfig, (line) => lines.push(line));
  await server.start();
  try {
    await fn(server, lines, site);
  } finally {
    await server.shutdown();
    await site.remove();
  }
}

/**
 * Writes a record of a kind no I/O thread sends into a worker's first channel, as a bug would:
 * the worker throws on it and dies. Call it while no request flows on that channel (a ring has
 * one writer).
 *
 * @param server the server
 * @param worker one of its pool's workers
 */
export function sendUnknownRecord(server: Server, worker: PoolWorker): void {
  const sizes = server.pool.sizes;
  const end = new ChannelEnd(worker.channels[0], {
    side: "io",
    sizes,
    board: worker.boardMemory,
  });
  end.send({ kind: 200, flags: 0, stream: 0, arg: 0 });
}
