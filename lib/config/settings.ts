/**
 * What the server can be told: the {@linkcode ServerConfig} record and its {@linkcode DEFAULTS}.
 *
 * Every limit and timeout of the server is one field here, with its unit in the name and its
 * default in {@linkcode DEFAULTS}. This module imports nothing, so a worker can read the types
 * and defaults without loading the command-line parser (`parse.ts`) or the flag table
 * (`flags.ts`).
 *
 * @module
 */

/** The permissions an app's workers can be given, named as Deno names them. */
export const APP_PERMISSIONS = ["net", "read", "write", "env", "run", "sys", "ffi"] as const;

/** A permission an app's workers can be given, as Deno names it. */
export type AppPermission = (typeof APP_PERMISSIONS)[number];

/** What an app may use: true for everything of a kind, a list for only those. */
export type AppPermissions = Partial<Record<AppPermission, true | string[]>>;

/** Formats of the access log: see `lib/handler/access_log.ts`. */
export const LOG_FORMATS = ["heiretsu", "common", "combined", "json"] as const;

/** A format of the access log. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** How files and folders whose names start with a dot may be treated. */
export const DOTFILE_POLICIES = ["deny", "ignore", "allow"] as const;

/** How files and folders whose names start with a dot are treated. */
export type DotfilePolicy = (typeof DOTFILE_POLICIES)[number];

/** The options of static-file serving, as workers get them. */
export type StaticSettings = Pick<
  ServerConfig,
  | "compress"
  | "maxCompressions"
  | "listDirectories"
  | "listPageEntries"
  | "listMaxEntries"
  | "dotfiles"
  | "followSymlinks"
  | "spa"
  | "cors"
  | "extraHeaders"
  | "cacheControl"
>;

/** Everything the server needs to run; built by `parseConfig()` in `parse.ts`. */
export interface ServerConfig {
  /**
   * Absolute real path of the folder being served; when the root given is itself a symlink
   * (`current → release-N`), its absolute path, which workers resolve again so that a flip is
   * served. Null when an app runs without a ROOT given, so the built-in site does not shadow
   * the app's routes. @default the built-in site
   */
  root: string | null;
  /** Address to listen on. @default "127.0.0.1" */
  host: string;
  /** TCP port; 0 picks a free one. @default 8080 */
  port: number;
  /** Number of worker threads, fixed for the server's life. @default the number of CPUs */
  workers: number;
  /**
   * Number of I/O threads (accept, connections, their deadlines, TLS, the relay to the workers).
   * @default {@linkcode defaultIoThreads} of the number of CPUs
   */
  ioThreads: number;
  /**
   * Each I/O thread binds its own socket in the port's SO_REUSEPORT group (Linux, needs Deno's
   * `--unstable-net`), instead of sharing the supervisor's. @default false
   */
  reusePort: boolean;
  /** Requests allowed to wait while every worker is stalled; beyond it, 503. 0 refuses at once. @default 1024 */
  queueLength: number;
  /** No access log (lifecycle lines are still printed). @default false */
  quiet: boolean;
  /** A request head must arrive within this time from its first byte (or from accept), else 408 and close. @default 10000 */
  headerTimeoutMs: number;
  /** An idle keep-alive connection is closed after this time. @default 5000 */
  keepaliveTimeoutMs: number;
  /**
   * A worker waiting for request body bytes gets some within this time, else 408 (or the
   * connection closes if the response has begun). Restarts with every read. @default 10000
   */
  bodyTimeoutMs: number;
  /**
   * A client must take some queued response bytes within this time, else the connection
   * closes: a client that stops reading holds its memory no longer than this. @default 30000
   */
  sendTimeoutMs: number;
  /** On SIGINT/SIGTERM, in-flight responses may finish within this time before they are cut. @default 10000 */
  graceMs: number;
  /** A worker with unanswered requests and no progress for this long counts as stalled and gets no new requests. @default 20 */
  stallMs: number;
  /** Longest request line; longer gets 414. @default 8192 */
  maxRequestLineBytes: number;
  /** Largest header section (after the request line); larger gets 431. @default 32768 */
  maxHeaderBytes: number;
  /** Most header fields in one request; more gets 431. @default 100 */
  maxHeaderCount: number;
  /** Largest request body the server reads (or drains); larger gets 413 and close. @default 10485760 */
  maxBodyBytes: number;
  /**
   * Response bytes in flight per connection between a worker and the socket. One file chunk
   * (256 KiB) measured fastest here, and it keeps a slow reader's cost to that. @default 262144
   */
  windowBytes: number;
  /** Bytes of small files (up to 64 KiB each) each worker keeps in memory; 0 turns the cache off. @default 8388608 */
  fileCacheBytes: number;
  /** A busy worker without progress for this long is replaced; 0: never. @default 30000 */
  requestTimeoutMs: number;
  /**
   * A worker not ready this long after it was started (an app module still loading) counts as
   * failed: at start the server reports it and exits, later the worker is started again.
   * @default 60000
   */
  startTimeoutMs: number;
  /** file: URL of the app module (`export default { fetch }`), or null for files only. @default null */
  app: string | null;
  /** What the app's workers may use beyond reading the root. @default {} */
  appPermissions: AppPermissions;
  /**
   * JavaScript heap of each app worker, in MiB (V8's old generation): an app that allocates past
   * it loses only its worker, which is replaced (its requests get 502), where an uncapped heap
   * would abort the whole process. ArrayBuffer memory is held to the same size, checked every
   * 100 ms. @default 512
   */
  appHeapMib: number;
  /**
   * Memory (RSS) the whole process may hold while it runs an app, in MiB: a backstop for memory
   * no app worker's own cap sees (WebAssembly memories, native memory). Past it, the app worker
   * busy longest (else the one that answered last) is replaced, its requests get 502, checked every
   * 500 ms. 0: workers × (2 × `appHeapMib` + 64) + 1024. @default 0
   */
  maxMemoryMib: number;
  /** Compress compressible responses on the fly. @default false */
  compress: boolean;
  /**
   * Responses compressed on the fly at once, shared out among the workers; past it, files are
   * sent as stored. A brotli compressor holds about 7 MiB while its response lasts, so this
   * bounds what stalled compressed downloads can hold. @default 32
   */
  maxCompressions: number;
  /** List folders without an index.html. @default false */
  listDirectories: boolean;
  /**
   * Entries on one page of a folder listing; the page links to the others (`?page=N`). A page
   * of 1,000 rows is about 400 KB of HTML. @default 1000
   */
  listPageEntries: number;
  /**
   * Most names read from one folder for its listing (past it, the listing says it stops there),
   * and most entries each worker keeps listed in memory: 100,000 entries cost a worker about
   * 50 MiB (measured). @default 200000
   */
  listMaxEntries: number;
  /** Dotfiles: deny (403), ignore (404, unlisted) or allow. @default "ignore" */
  dotfiles: DotfilePolicy;
  /** Follow symlinks that lead outside the root. @default false */
  followSymlinks: boolean;
  /** Answer HTML requests for missing extension-less paths with /index.html. @default false */
  spa: boolean;
  /**
   * Origins allowed to read files cross-origin: `*`, one origin, or several separated by spaces
   * (each request's matching `Origin` is echoed, with `Vary: Origin`); null: no CORS headers.
   * @default null
   */
  cors: string | null;
  /** Headers added to every response, names lower-case. @default [] */
  extraHeaders: [string, string][];
  /** Cache-Control of files other than HTML (HTML always gets no-cache). @default "no-cache" */
  cacheControl: string;
  /** Open connections at most; beyond it new ones are closed at once. @default 10000 */
  maxConnections: number;
  /**
   * Open WebSockets at most, across the server; counted apart from requests, so a burst of them
   * cannot fill every worker. An upgrade beyond it is answered 503. @default 1000
   */
  maxWebsockets: number;
  /**
   * Largest WebSocket message (all its fragments) an app is handed, in bytes; a larger one
   * closes the socket with 1009, checked against the announced length before anything is
   * allocated. @default 16777216
   */
  maxWsMessageBytes: number;
  /** PEM certificate file: with `key`, the server speaks HTTPS. @default null */
  cert: string | null;
  /** PEM private key file, with `cert`. @default null */
  key: string | null;
  /** Allow the root to be `/`. @default false */
  allowRootDir: boolean;
  /** Access-log format. @default "heiretsu" */
  logFormat: LogFormat;
  /** Path answered with 200 (503 while draining) for load balancers, or null. @default null */
  healthPath: string | null;
  /**
   * Write the health check's requests to the access log too; off, a probe every few seconds
   * does not bury the requests people make. @default false
   */
  logHealth: boolean;
  /**
   * On shutdown, time spent still serving while the health check says 503, so load balancers
   * stop sending traffic before the listener closes; set it to their check interval. @default 0
   */
  drainDelayMs: number;
}

/**
 * The built-in site: `static/` beside `lib/`. `import.meta.dirname` is this module's folder as a
 * native path (`…/lib/config`, or `C:\…\lib\config`); its last two names become `static`, so
 * no path module is needed. Loaded from an `https:` URL it is undefined: there is no built-in
 * site then (null), and a root must be given.
 */
const BUILT_IN_SITE = import.meta.dirname?.replace(
  /([\\/])[^\\/]+[\\/][^\\/]+$/,
  "$1static",
) ?? null;

/**
 * The share of a request's CPU time spent in its I/O thread (socket reads and writes, finding
 * the head, relaying): about 0.7 for a small file and 0.45 for an app answering at once, measured
 * on 2 CPUs; half is the default's compromise.
 */
const IO_SHARE = 0.5;

/** The most I/O threads a server runs (`--io-threads`; the shared counts hold one slot each). */
export const MAX_IO_THREADS = 64;

/**
 * The default number of I/O threads for a machine: its CPUs times the I/O share of a request, at
 * least 1 and at most `MAX_IO_THREADS` (1 on 2 CPUs, 2 on 4, 8 on 16, 32 on 64, 64 on 256).
 *
 * @param cpus the number of CPUs
 * @returns the number of I/O threads
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultIoThreads } from "./settings.ts";
 * assert.deepEqual([1, 2, 4, 16, 64, 256].map(defaultIoThreads), [1, 1, 2, 8, 32, 64]);
 * ```
 */
export function defaultIoThreads(cpus: number): number {
  return Math.min(MAX_IO_THREADS, Math.max(1, Math.round(cpus * IO_SHARE)));
}

/**
 * Default value of every {@linkcode ServerConfig} field; the only place defaults live.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULTS } from "./settings.ts";
 * assert.equal(DEFAULTS.port, 8080);
 * assert.equal(DEFAULTS.headerTimeoutMs, 10_000);
 * assert.ok(Object.isFrozen(DEFAULTS));
 * ```
 */
export const DEFAULTS: Readonly<ServerConfig> = Object.freeze({
  root: BUILT_IN_SITE,
  host: "127.0.0.1",
  port: 8080,
  workers: Math.max(1, navigator.hardwareConcurrency || 1),
  ioThreads: defaultIoThreads(navigator.hardwareConcurrency || 1),
  reusePort: false,
  queueLength: 1024,
  quiet: false,
  headerTimeoutMs: 10_000,
  keepaliveTimeoutMs: 5_000,
  bodyTimeoutMs: 10_000,
  sendTimeoutMs: 30_000,
  graceMs: 10_000,
  stallMs: 20,
  maxRequestLineBytes: 8 * 1024,
  maxHeaderBytes: 32 * 1024,
  maxHeaderCount: 100,
  maxBodyBytes: 10 * 1024 * 1024,
  windowBytes: 256 * 1024,
  fileCacheBytes: 8 * 1024 * 1024,
  requestTimeoutMs: 30_000,
  startTimeoutMs: 60_000,
  app: null,
  appPermissions: {},
  appHeapMib: 512,
  maxMemoryMib: 0,
  compress: false,
  maxCompressions: 32,
  listDirectories: false,
  listPageEntries: 1000,
  listMaxEntries: 200_000,
  dotfiles: "ignore",
  followSymlinks: false,
  spa: false,
  cors: null,
  extraHeaders: [],
  cacheControl: "no-cache",
  maxConnections: 10_000,
  maxWebsockets: 1000,
  maxWsMessageBytes: 16 * 1024 * 1024,
  cert: null,
  key: null,
  allowRootDir: false,
  logFormat: "heiretsu",
  healthPath: null,
  logHealth: false,
  drainDelayMs: 0,
});
