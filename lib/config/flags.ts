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

/** One command-line flag: its name, the field it sets, its kind, bounds and help line. */
export interface FlagSpec {
  /** Long flag name without dashes; the environment variable is HEIRETSU_ + upper-case name. */
  name: string;
  /** The config field it sets. */
  field: keyof ServerConfig;
  /** How the value is read. */
  kind: FlagKind;
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
  sys: "read system information",
  ffi: "load native libraries",
};

/** Every flag that sets a config field, in `--help` order. */
export const FLAGS: readonly FlagSpec[] = [
  {
    name: "root",
    short: "r",
    field: "root",
    kind: "text",
    help: "folder to serve",
    defaultText: "the built-in site",
  },
  {
    name: "host",
    field: "host",
    kind: "text",
    help: "address to listen on (no short form: -h is help); 0.0.0.0 or :: for every interface",
  },
  {
    name: "port",
    short: "p",
    field: "port",
    kind: "port",
    help: "port to listen on; 0 picks a free one",
  },
  {
    name: "workers",
    field: "workers",
    kind: "count",
    min: 1,
    max: 256,
    help: "worker threads",
    defaultText: "number of CPUs",
  },
  {
    name: "queue",
    field: "queueLength",
    kind: "count",
    min: 0,
    help: "requests that may wait for a busy pool; beyond it 503",
  },
  { name: "quiet", short: "q", field: "quiet", kind: "switch", help: "no access log" },
  {
    name: "header-timeout",
    field: "headerTimeoutMs",
    kind: "seconds",
    min: 0.001,
    help: "seconds for a request head to arrive, then 408",
  },
  {
    name: "keepalive-timeout",
    field: "keepaliveTimeoutMs",
    kind: "seconds",
    min: 0.001,
    help: "seconds an idle keep-alive connection stays open",
  },
  {
    name: "body-timeout",
    field: "bodyTimeoutMs",
    kind: "seconds",
    min: 0.001,
    help: "seconds between two reads of a request body, then 408",
  },
  {
    name: "send-timeout",
    field: "sendTimeoutMs",
    kind: "seconds",
    min: 0.001,
    help: "seconds a client may take no response bytes before it is cut off",
  },
  {
    name: "grace",
    field: "graceMs",
    kind: "seconds",
    min: 0,
    help: "seconds in-flight responses get to finish on shutdown",
  },
  {
    name: "stall-timeout",
    field: "stallMs",
    kind: "milliseconds",
    min: 1,
    help: "milliseconds without progress before a busy worker gets no new requests",
  },
  {
    name: "max-request-line",
    field: "maxRequestLineBytes",
    kind: "bytes",
    min: 64,
    max: 1 << 20,
    help: "longest request line in bytes, then 414",
  },
  {
    name: "max-header-bytes",
    field: "maxHeaderBytes",
    kind: "bytes",
    min: 256,
    max: 1 << 24,
    help: "largest header section in bytes, then 431",
  },
  {
    name: "max-headers",
    field: "maxHeaderCount",
    kind: "count",
    min: 1,
    max: 10_000,
    help: "most header fields, then 431",
  },
  {
    name: "max-body",
    field: "maxBodyBytes",
    kind: "bytes",
    min: 0,
    help: "largest request body in bytes, then 413",
  },
  {
    name: "window",
    field: "windowBytes",
    kind: "bytes",
    min: 16 * 1024,
    max: 1 << 30,
    help: "response bytes in flight per connection",
  },
  {
    name: "file-cache",
    field: "fileCacheBytes",
    kind: "bytes",
    min: 0,
    max: 1 << 30,
    help: "bytes of small files each worker keeps in memory; 0: off",
  },
  {
    name: "max-connections",
    field: "maxConnections",
    kind: "count",
    min: 1,
    max: 1_000_000,
    help: "open connections at most; beyond it new ones are closed at once",
  },
  {
    name: "cert",
    field: "cert",
    kind: "text",
    value: "FILE",
    help: "TLS certificate (PEM): serve HTTPS (with --key)",
  },
  {
    name: "key",
    field: "key",
    kind: "text",
    value: "FILE",
    help: "TLS private key (PEM), with --cert",
  },
  {
    name: "allow-root-dir",
    field: "allowRootDir",
    kind: "switch",
    help:
      "allow serving / or a drive root such as C:\\ (refused by default: it would publish the whole disk)",
  },
  {
    name: "log-format",
    field: "logFormat",
    kind: "choice",
    choices: LOG_FORMATS,
    value: "FORMAT",
    help:
      "access log: heiretsu (common + duration and worker), common, combined (body bytes, 499 when the client left first) or json (every line)",
  },
  {
    name: "health",
    field: "healthPath",
    kind: "text",
    value: "PATH",
    help:
      "answer GET PATH with 200, or 503 while shutting down (e.g. /.well-known/heiretsu/health)",
  },
  {
    name: "drain-delay",
    field: "drainDelayMs",
    kind: "seconds",
    min: 0,
    help: "seconds to keep serving after SIGTERM while the health check says 503",
  },
  {
    name: "request-timeout",
    field: "requestTimeoutMs",
    kind: "seconds",
    min: 0,
    help: "seconds a busy worker may go without progress before it is replaced; 0: never",
  },
  {
    name: "app",
    value: "MODULE",
    field: "app",
    kind: "text",
    help: "module whose default export { fetch } answers what no file does",
  },
  ...APP_PERMISSIONS.map((name): FlagSpec => ({
    name: `allow-${name}`,
    field: "appPermissions",
    kind: "permission",
    help: `let the app's workers ${PERMISSION_HELP[name]} (bare: any; =LIST: only these)`,
  })),
  {
    name: "app-heap",
    field: "appHeapMib",
    kind: "mebibytes",
    // Far below it (4 MiB) the worker's own code does not fit, and V8 aborts the whole process.
    min: 32,
    max: 1 << 20,
    help:
      "MiB of JavaScript heap (and of ArrayBuffers) per app worker; past it the worker is replaced",
  },
  {
    name: "compress",
    field: "compress",
    kind: "switch",
    help: "compress text responses on the fly (brotli or gzip)",
  },
  {
    name: "max-compressions",
    field: "maxCompressions",
    kind: "count",
    min: 1,
    help: "responses compressed on the fly at once; past it files go as stored",
  },
  {
    name: "list",
    field: "listDirectories",
    kind: "switch",
    help: "list folders that have no index.html",
  },
  {
    name: "dotfiles",
    field: "dotfiles",
    kind: "choice",
    choices: DOTFILE_POLICIES,
    help: "files and folders starting with a dot: deny (403), ignore (404) or allow",
  },
  {
    name: "follow-symlinks",
    field: "followSymlinks",
    kind: "switch",
    help: "follow symlinks that lead outside the root",
  },
  {
    name: "spa",
    field: "spa",
    kind: "switch",
    help:
      "a GET or HEAD for a missing path without a file extension (/app/users, not /app.js) whose Accept does not rule out HTML gets /index.html",
  },
  {
    name: "cors",
    value: "ORIGIN",
    field: "cors",
    kind: "origin",
    help:
      "let pages from ORIGIN (scheme://host[:port]) fetch files; bare or *: any page; repeat for several",
  },
  {
    name: "header",
    field: "extraHeaders",
    kind: "header",
    help: 'add "Name: value" to every response (repeatable; an app\'s own field wins)',
  },
  {
    name: "cache-control",
    value: "VALUE",
    field: "cacheControl",
    kind: "text",
    help: "Cache-Control of files other than HTML, which always revalidates",
  },
];
