/**
 * The command-line flags: one table, {@linkcode FLAGS}, from which the parser, the environment
 * variables and the `--help` text (with each flag's default, read from `DEFAULTS`) are all made,
 * so they cannot drift apart. Data only: reading values is `values.ts`, the rest `parse.ts`.
 *
 * @module
 */
import {
  APP_PERMISSIONS,
  type AppPermission,
  DOTFILE_POLICIES,
  LOG_FORMATS,
  MAX_IO_THREADS,
  type ServerConfig,
} from "./settings.ts";

/** How a flag's text becomes a config value. */
export type FlagKind =
  | "text"
  | "switch"
  | "port"
  | "count"
  | "bytes"
  | "seconds"
  | "milliseconds"
  | "mebibytes"
  | "choice"
  | "header"
  | "origin"
  | "permission";

/**
 * Where a flag is listed in `--help`: the everyday groups first; `limits` (the tuning knobs)
 * only in `--help-all`.
 */
export type FlagGroup = "serving" | "apps" | "tls" | "logs" | "limits";

/** One command-line flag: its name, the field it sets, its kind, bounds and help line. */
export interface FlagSpec {
  /** Long flag name without dashes; the environment variable is HEIRETSU_ + upper-case name. */
  name: string;
  /** The config field it sets. */
  field: keyof ServerConfig;
  /** How the value is read. */
  kind: FlagKind;
  /** Its group in `--help`. */
  group: FlagGroup;
  /** Smallest accepted value (numeric kinds). */
  min?: number;
  /** Largest accepted value (numeric kinds). */
  max?: number;
  /** Accepted values (kind "choice"). */
  choices?: readonly string[];
  /** One-letter form (`p` for `-p`), for the flags people type most. */
  short?: string;
  /** Placeholder for a text value in `--help`. */
  value?: string;
  /** One line for `--help`; the default is appended from `DEFAULTS` by `help.ts`. */
  help: string;
  /**
   * The default in words, for a default computed when the program starts (the built-in site's
   * path, the number of CPUs); otherwise `--help` shows the value in `DEFAULTS`.
   */
  defaultText?: string;
}

const PERMISSION_HELP: Record<AppPermission, string> = {
  net: "reach the network",
  read: "read files beyond the root",
  write: "write files",
  env: "read environment variables",
  run: "run subprocesses",
  sys: "read system information (never the inspector)",
  ffi: "load native libraries",
};

/** Every flag that sets a config field, in `--help` order: grouped, the everyday ones first. */
export const FLAGS: readonly FlagSpec[] = [
  {
    name: "root",
    short: "r",
    field: "root",
    kind: "text",
    group: "serving",
    value: "DIR",
    help: "folder to serve; or give it as ROOT",
    defaultText: "the built-in site",
  },
  {
    name: "port",
    short: "p",
    field: "port",
    kind: "port",
    group: "serving",
    help: "port to listen on; 0 picks a free one",
  },
  {
    name: "host",
    field: "host",
    kind: "text",
    group: "serving",
    help: "address to listen on; 0.0.0.0 or :: for every interface (the LAN)",
  },
  {
    name: "list",
    field: "listDirectories",
    kind: "switch",
    group: "serving",
    help: "list folders that have no index.html",
  },
  {
    name: "spa",
    field: "spa",
    kind: "switch",
    group: "serving",
    help:
      "single-page app: a GET or HEAD for a missing path without a file extension (/app/users, not /app.js) whose Accept does not rule out HTML gets /index.html",
  },
  {
    name: "compress",
    field: "compress",
    kind: "switch",
    group: "serving",
    help: "compress text responses on the fly (brotli or gzip)",
  },
  {
    name: "cors",
    value: "ORIGIN",
    field: "cors",
    kind: "origin",
    group: "serving",
    help:
      "let pages from ORIGIN (scheme://host[:port]) fetch files; bare or *: any page; repeat for several",
  },
  {
    name: "header",
    field: "extraHeaders",
    kind: "header",
    group: "serving",
    help: 'add "Name: value" to every response (repeatable; an app\'s own field wins)',
  },
  {
    name: "cache-control",
    value: "VALUE",
    field: "cacheControl",
    kind: "text",
    group: "serving",
    help: "Cache-Control of files other than HTML, which always revalidates",
  },
  {
    name: "dotfiles",
    field: "dotfiles",
    kind: "choice",
    choices: DOTFILE_POLICIES,
    group: "serving",
    help: "files and folders starting with a dot: deny (403), ignore (404) or allow",
  },
  {
    name: "follow-symlinks",
    field: "followSymlinks",
    kind: "switch",
    group: "serving",
    help: "follow symlinks that lead outside the root",
  },
  {
    name: "allow-root-dir",
    field: "allowRootDir",
    kind: "switch",
    group: "serving",
    help:
      "allow serving / or a drive root such as C:\\ (refused by default: it would publish the whole disk)",
  },
  {
    name: "workers",
    field: "workers",
    kind: "count",
    min: 1,
    max: 256,
    group: "serving",
    help: "worker threads",
    defaultText: "number of CPUs",
  },
  {
    name: "io-threads",
    field: "ioThreads",
    kind: "count",
    min: 1,
    max: MAX_IO_THREADS,
    group: "serving",
    help: "threads that accept, read and write connections (all share the port)",
    defaultText: "CPUs × 0.5, from 1 to 64",
  },
  {
    name: "reuse-port",
    field: "reusePort",
    kind: "switch",
    group: "serving",
    help:
      "I/O threads bind their own sockets with SO_REUSEPORT (Linux; deno needs --unstable-net; other processes of this user can then join the port)",
  },
  {
    name: "app",
    value: "MODULE",
    field: "app",
    kind: "text",
    group: "apps",
    help: "module whose default export { fetch } answers what no file does",
  },
  ...APP_PERMISSIONS.map((name): FlagSpec => ({
    name: `allow-${name}`,
    field: "appPermissions",
    kind: "permission",
    group: "apps",
    help: `the app may ${PERMISSION_HELP[name]} (=LIST: only those)`,
  })),
  {
    name: "cert",
    field: "cert",
    kind: "text",
    group: "tls",
    value: "FILE",
    help: "TLS certificate (PEM): serve HTTPS (with --key)",
  },
  {
    name: "key",
    field: "key",
    kind: "text",
    group: "tls",
    value: "FILE",
    help: "TLS private key (PEM), with --cert",
  },
  {
    name: "quiet",
    short: "q",
    field: "quiet",
    kind: "switch",
    group: "logs",
    help: "no access log",
  },
  {
    name: "log-format",
    field: "logFormat",
    kind: "choice",
    choices: LOG_FORMATS,
    group: "logs",
    value: "FORMAT",
    help:
      "access log: heiretsu (common + duration and worker), common, combined (body bytes, 499 when the client left first) or json (every line)",
  },
  {
    name: "health",
    field: "healthPath",
    kind: "text",
    group: "logs",
    value: "PATH",
    help:
      "answer GET PATH with 200, or 503 while shutting down (e.g. /.well-known/heiretsu/health)",
  },
  {
    name: "log-health",
    field: "logHealth",
    kind: "switch",
    group: "logs",
    help: "write requests for the --health path to the access log too",
  },
  {
    name: "header-timeout",
    field: "headerTimeoutMs",
    kind: "seconds",
    min: 0.001,
    group: "limits",
    help: "seconds for a request head to arrive, then 408",
  },
  {
    name: "keepalive-timeout",
    field: "keepaliveTimeoutMs",
    kind: "seconds",
    min: 0.001,
    group: "limits",
    help: "seconds an idle keep-alive connection stays open",
  },
  {
    name: "body-timeout",
    field: "bodyTimeoutMs",
    kind: "seconds",
    min: 0.001,
    group: "limits",
    help: "seconds between two reads of a request body (then 408) or of a WebSocket frame",
  },
  {
    name: "send-timeout",
    field: "sendTimeoutMs",
    kind: "seconds",
    min: 0.001,
    group: "limits",
    help: "seconds a client may take no response bytes before it is cut off",
  },
  {
    name: "request-timeout",
    field: "requestTimeoutMs",
    kind: "seconds",
    min: 0,
    group: "limits",
    help: "seconds a busy worker may go without progress before it is replaced; 0: never",
  },
  {
    name: "start-timeout",
    field: "startTimeoutMs",
    kind: "seconds",
    min: 0.001,
    group: "limits",
    help: "seconds a worker may take to start (load the app) before it counts as failed",
  },
  {
    name: "stall-timeout",
    field: "stallMs",
    kind: "milliseconds",
    min: 1,
    group: "limits",
    help: "milliseconds without progress before a busy worker gets no new requests",
  },
  {
    name: "drain-delay",
    field: "drainDelayMs",
    kind: "seconds",
    min: 0,
    group: "limits",
    help: "seconds to keep serving after SIGTERM while the health check says 503",
  },
  {
    name: "grace",
    field: "graceMs",
    kind: "seconds",
    min: 0,
    group: "limits",
    help: "seconds in-flight responses get to finish on shutdown (after --drain-delay)",
  },
  {
    name: "max-request-line",
    field: "maxRequestLineBytes",
    kind: "bytes",
    min: 64,
    max: 1 << 20,
    group: "limits",
    help: "longest request line in bytes, then 414",
  },
  {
    name: "max-header-bytes",
    field: "maxHeaderBytes",
    kind: "bytes",
    min: 256,
    max: 1 << 24,
    group: "limits",
    help: "largest header section in bytes, then 431",
  },
  {
    name: "max-headers",
    field: "maxHeaderCount",
    kind: "count",
    min: 1,
    max: 10_000,
    group: "limits",
    help: "most header fields, then 431",
  },
  {
    name: "max-body",
    field: "maxBodyBytes",
    kind: "bytes",
    min: 0,
    group: "limits",
    help: "largest request body in bytes, then 413",
  },
  {
    name: "max-connections",
    field: "maxConnections",
    kind: "count",
    min: 1,
    max: 1_000_000,
    group: "limits",
    help: "open connections at most; beyond it new ones are closed at once",
  },
  {
    name: "max-websockets",
    field: "maxWebsockets",
    kind: "count",
    min: 1,
    max: 1_000_000,
    group: "limits",
    help: "open WebSockets at most (counted apart from requests); beyond it upgrades get 503",
  },
  {
    name: "max-ws-message",
    field: "maxWsMessageBytes",
    kind: "bytes",
    min: 125,
    max: 1 << 30,
    group: "limits",
    help: "largest WebSocket message an app receives; a larger one closes the socket (1009)",
  },
  {
    name: "queue",
    field: "queueLength",
    kind: "count",
    min: 0,
    group: "limits",
    help: "requests that may wait for a busy pool; beyond it 503",
  },
  {
    name: "window",
    field: "windowBytes",
    kind: "bytes",
    min: 16 * 1024,
    max: 1 << 30,
    group: "limits",
    help: "response bytes in flight per connection",
  },
  {
    name: "file-cache",
    field: "fileCacheBytes",
    kind: "bytes",
    min: 0,
    max: 1 << 30,
    group: "limits",
    help: "bytes of small files each worker keeps in memory; 0: off",
  },
  {
    name: "max-compressions",
    field: "maxCompressions",
    kind: "count",
    min: 1,
    group: "limits",
    help: "responses compressed on the fly at once; past it files go as stored",
  },
  {
    name: "list-page",
    field: "listPageEntries",
    kind: "count",
    min: 1,
    group: "limits",
    help: "entries per page of a folder listing",
  },
  {
    name: "list-max",
    field: "listMaxEntries",
    kind: "count",
    min: 1,
    group: "limits",
    help: "most names listed from one folder, and kept listed per worker",
  },
  {
    name: "app-heap",
    field: "appHeapMib",
    kind: "mebibytes",
    // Far below it (4 MiB) the worker's own code does not fit, and V8 aborts the whole process.
    min: 32,
    max: 1 << 20,
    group: "limits",
    help:
      "MiB of JavaScript heap (and of ArrayBuffers) per app worker; past it the worker is replaced",
  },
  {
    name: "max-memory",
    field: "maxMemoryMib",
    kind: "mebibytes",
    min: 0,
    max: 1 << 30,
    group: "limits",
    help: "MiB of memory (RSS) the process may hold with an app; past it the busiest app " +
      "worker is replaced",
    defaultText: "workers × (2 × app-heap + 64) + 1024",
  },
];
