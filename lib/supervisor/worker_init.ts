/**
 * The init message the pool posts to each worker it starts: its slot and shared memory, and the
 * part of the server's config a worker serves by.
 *
 * @module
 */
import type { ChannelSizes } from "../wire/channel.ts";
import { maxRecordPayload } from "../wire/ring.ts";
import type { ServerConfig } from "../config/settings.ts";
import { SERVER_HEADER } from "../config/version.ts";
import type { WorkerInit } from "../wire/protocol.ts";

/**
 * The init message of one worker.
 *
 * @param config the server config
 * @param parts the worker (its slot, its channel memory to each I/O thread, its board's memory),
 *   the rings' sizes, the address for the app's `onListen` (worker 1's first start only, else
 *   null), and the address the server listens on (which an app's thread keeps off)
 * @returns the message
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { workerInit } from "./worker_init.ts";
 * import { DEFAULTS } from "../config/settings.ts";
 * const sizes = { toWorkerBytes: 1 << 18, toIoBytes: 1 << 21 };
 * const worker = { id: 2, channels: [], boardMemory: new SharedArrayBuffer(64) };
 * const parts = { worker, sizes, listening: null, serverAddress: null };
 * const init = workerInit({ ...DEFAULTS, workers: 4 }, parts);
 * assert.equal(init.id, 2);
 * assert.equal(init.static.maxCompressions, Math.ceil(DEFAULTS.maxCompressions / 4));
 * ```
 */
export function workerInit(
  config: ServerConfig,
  parts: {
    worker: { id: number; channels: readonly SharedArrayBuffer[]; boardMemory: SharedArrayBuffer };
    sizes: ChannelSizes;
    listening: Deno.NetAddr | null;
    serverAddress: Deno.NetAddr | null;
  },
): WorkerInit {
  const c = config;
  const { worker, sizes, listening, serverAddress } = parts;
  return {
    type: "init",
    id: worker.id,
    channels: [...worker.channels],
    board: worker.boardMemory,
    sizes,
    root: c.root,
    app: c.app,
    appHeapMib: c.appHeapMib,
    static: {
      compress: c.compress,
      // Each worker runs its share of the compressors.
      maxCompressions: Math.ceil(c.maxCompressions / c.workers),
      listDirectories: c.listDirectories,
      listPageEntries: c.listPageEntries,
      listMaxEntries: c.listMaxEntries,
      dotfiles: c.dotfiles,
      followSymlinks: c.followSymlinks,
      spa: c.spa,
      cors: c.cors,
      extraHeaders: c.extraHeaders,
      cacheControl: c.cacheControl,
    },
    quiet: c.quiet,
    limits: {
      maxRequestLineBytes: c.maxRequestLineBytes,
      maxHeaderBytes: c.maxHeaderBytes,
      maxHeaderCount: c.maxHeaderCount,
      maxBodyBytes: c.maxBodyBytes,
    },
    websocket: { maxMessageBytes: c.maxWsMessageBytes, closeTimeoutMs: c.bodyTimeoutMs },
    windowBytes: c.windowBytes,
    fileCacheBytes: c.fileCacheBytes,
    maxPull: maxRecordPayload(sizes.toWorkerBytes),
    heartbeatMs: Math.max(1, Math.floor(c.stallMs / 4)),
    serverHeader: SERVER_HEADER,
    scheme: c.cert === null ? "http" : "https",
    logFormat: c.logFormat,
    healthPath: c.healthPath,
    logHealth: c.logHealth,
    listening,
    serverAddress,
  };
}
