/**
 * The command-line flags: one table, {@linkcode FLAGS}, from which the parser, the environment
 * variables and the `--help` text are all made, so they cannot drift apart.
 *
 * @module
 */
import type { AppPermission, ServerConfig } from "./config.ts";
import { VERSION } from "./version.ts";
import { isFieldValue, isToken } from "./http/headers.ts";

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
  | "permission";

/** Formats of the access log. */
export const LOG_FORMATS = ["heiretsu", "common", "combined", "json"] as const;

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
  /** Placeholder for a text value in `--help`. */
  value?: string;
  /** One line for `--help`. */
  help: string;
}

/** The permissions an app's workers can be given, named as Deno names them. */
export const APP_PERMISSIONS: readonly AppPermission[] = [
  "net",
  "read",
  "write",
  "env",
  "run",
  "sys",
  "ffi",
];

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
    field: "root",
    kind: "text",
    help: "folder to serve (default: the built-in site)",
  },
  { name: "host", field: "host", kind: "text", help: "address to listen on (default 127.0.0.1)" },
  {
    name: "port",
    field: "port",
    kind: "port",
    help: "port to listen on; 0 picks a free one (default 8080)",
  },
  {
    name: "workers",
    field: "workers",
    kind: "count",
    min: 1,
    max: 256,
    help: "worker threads (default: number of CPUs)",
  },
  {
    name: "queue",
    field: "queueLength",
    kind: "count",
    min: 0,
    help: "requests that may wait for a busy pool; beyond it 503 (default 1024)",
  },
  { name: "quiet", field: "quiet", kind: "switch", help: "no access log" },
  {
    name: "header-timeout",
    field: "headerTimeoutMs",
    kind: "seconds",
    min: 0.001,
    help: "seconds for a request head to arrive, then 408 (default 10)",
  },
  {
    name: "keepalive-timeout",
    field: "keepaliveTimeoutMs",
    kind: "seconds",
    min: 0.001,
    help: "seconds an idle keep-alive connection stays open (default 5)",
  },
  {
    name: "grace",
    field: "graceMs",
    kind: "seconds",
    min: 0,
    help: "seconds in-flight responses get to finish on shutdown (default 10)",
  },
  {
    name: "stall-timeout",
    field: "stallMs",
    kind: "milliseconds",
    min: 1,
    help: "milliseconds without progress before a busy worker gets no new requests (default 20)",
  },
  {
    name: "max-request-line",
    field: "maxRequestLineBytes",
    kind: "bytes",
    min: 64,
    max: 1 << 20,
    help: "longest request line in bytes, then 414 (default 8192)",
  },
  {
    name: "max-header-bytes",
    field: "maxHeaderBytes",
    kind: "bytes",
    min: 256,
    max: 1 << 24,
    help: "largest header section in bytes, then 431 (default 32768)",
  },
  {
    name: "max-headers",
    field: "maxHeaderCount",
    kind: "count",
    min: 1,
    max: 10_000,
    help: "most header fields, then 431 (default 100)",
  },
  {
    name: "max-body",
    field: "maxBodyBytes",
    kind: "bytes",
    min: 0,
    help: "largest request body in bytes, then 413 (default 10485760)",
  },
  {
    name: "window",
    field: "windowBytes",
    kind: "bytes",
    min: 16 * 1024,
    max: 1 << 30,
    help: "response bytes in flight per connection (default 262144)",
  },
  {
    name: "file-cache",
    field: "fileCacheBytes",
    kind: "bytes",
    min: 0,
    max: 1 << 30,
    help: "bytes of small files each worker keeps in memory; 0: off (default 8388608)",
  },
  {
    name: "max-connections",
    field: "maxConnections",
    kind: "count",
    min: 1,
    max: 1_000_000,
    help: "open connections at most; beyond it new ones are closed at once (default 10000)",
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
      "access log: heiretsu (common + duration and worker), common, combined or json (default heiretsu)",
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
    help: "seconds to keep serving after SIGTERM while the health check says 503 (default 0)",
  },
  {
    name: "request-timeout",
    field: "requestTimeoutMs",
    kind: "seconds",
    min: 0,
    help:
      "seconds a busy worker may go without progress before it is replaced; 0: never (default 30)",
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
    help: "MiB of JavaScript heap per app worker; past it the worker is replaced (default 512)",
  },
  {
    name: "compress",
    field: "compress",
    kind: "switch",
    help: "compress text responses on the fly (brotli or gzip)",
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
    choices: ["deny", "ignore", "allow"],
    help:
      "files and folders starting with a dot: deny (403), ignore (404) or allow (default ignore)",
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
    help: "answer HTML requests for missing paths with /index.html",
  },
  {
    name: "cors",
    value: "ORIGIN",
    field: "cors",
    kind: "text",
    help: "allow cross-origin requests from ORIGIN (or *)",
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
    help: "Cache-Control of files other than HTML, which always revalidates (default no-cache)",
  },
];

/** What reading one flag value gives: the value, or why it is wrong. */
export type ReadResult =
  | string
  | number
  | boolean
  | [string, string]
  | true
  | string[]
  | { error: string };

/**
 * Reads one flag value given on the command line or in the environment.
 *
 * @param flag the flag
 * @param raw its text (or true for a bare switch)
 * @returns the value for the config field, or an error
 * @example
 * ```ts
 * import { FLAGS, readValue } from "./flags.ts";
 * const port = FLAGS.find((f) => f.name === "port")!;
 * console.log(readValue(port, "8080")); // 8080
 * ```
 */
export function readValue(flag: FlagSpec, raw: string | boolean): ReadResult {
  if (flag.kind === "switch") return readSwitch(raw);
  const text = String(raw).trim();
  switch (flag.kind) {
    case "text":
      return text === "" ? { error: "must not be empty" } : text;
    case "choice":
      return flag.choices!.includes(text)
        ? text
        : { error: `expected one of ${flag.choices!.join(", ")}, got "${text}"` };
    case "header":
      return readHeader(text);
    case "permission":
      return readPermission(raw);
    case "port":
      return readNumber(text, { integer: true, min: 0, max: 65535 });
    default: {
      const integer = flag.kind !== "seconds";
      const number = readNumber(text, { integer, min: flag.min ?? 0, max: flag.max });
      if (typeof number === "object") return number;
      return flag.kind === "seconds" ? Math.round(number * 1000) : number;
    }
  }
}

/** Fields the server itself writes: a `--header` copy would duplicate them or break framing. */
const SERVER_OWNED_HEADERS = new Set([
  "connection",
  "content-encoding",
  "content-length",
  "content-range",
  "date",
  "keep-alive",
  "server",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** "Name: value", with a token name and a value without control characters. */
function readHeader(text: string): ReadResult {
  const colon = text.indexOf(":");
  const name = text.slice(0, colon).trim();
  const value = text.slice(colon + 1).trim();
  if (colon <= 0 || !isToken(name)) {
    return { error: `expected "Name: value", got "${text}"` };
  }
  if (!isFieldValue(value)) {
    return { error: `the value of "${name}" must not contain control characters` };
  }
  if (SERVER_OWNED_HEADERS.has(name.toLowerCase())) {
    return { error: `${name} is set by the server; choose another header` };
  }
  return [name.toLowerCase(), value];
}

/** Bare (true or "*"): everything; "a,b": only those. */
function readPermission(raw: string | boolean): ReadResult {
  if (raw === true || raw === "*" || raw === "") return true;
  const items = String(raw).split(",").map((item) => item.trim()).filter((item) => item !== "");
  return items.length > 0 ? items : { error: "expected a comma-separated list" };
}

function readSwitch(raw: string | boolean): ReadResult {
  if (typeof raw === "boolean") return raw;
  const text = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(text)) return true;
  if (["0", "false", "no", "off", ""].includes(text)) return false;
  return { error: `expected true or false, got "${raw}"` };
}

interface NumberRule {
  integer: boolean;
  min: number;
  max?: number;
}

function readNumber(text: string, rule: NumberRule): number | { error: string } {
  const pattern = rule.integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  const kind = rule.integer ? "a whole number" : "a number";
  const range = rule.max === undefined ? `at least ${rule.min}` : `from ${rule.min} to ${rule.max}`;
  if (!pattern.test(text)) return { error: `expected ${kind} ${range}, got "${text}"` };
  const value = Number(text);
  if (value < rule.min || (rule.max !== undefined && value > rule.max)) {
    return { error: `"${text}" is out of range: use ${kind} ${range}` };
  }
  return value;
}

/**
 * Options for `node:util` parseArgs: switches are booleans, `--header` may repeat, and
 * permissions take their list after "=" (a bare `--allow-net` is turned into `--allow-net=*`
 * by {@linkcode normalizeArgs}).
 *
 * @returns the options record
 * @example
 * ```ts
 * import { parseArgsOptions } from "./flags.ts";
 * console.log(parseArgsOptions().port.type); // "string"
 * ```
 */
export function parseArgsOptions(): Record<
  string,
  { type: "string" | "boolean"; multiple?: boolean }
> {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {
    help: { type: "boolean" },
    version: { type: "boolean" },
  };
  for (const f of FLAGS) {
    options[f.name] = {
      type: f.kind === "switch" ? "boolean" : "string",
      multiple: f.kind === "header",
    };
  }
  return options;
}

/**
 * Prepares raw arguments for parseArgs: drops the "--" that `deno task serve -- …` passes on,
 * and gives bare permission flags their "all" value.
 *
 * @param args the raw arguments
 * @returns the arguments parseArgs should see
 * @example
 * ```ts
 * import { normalizeArgs } from "./flags.ts";
 * console.log(normalizeArgs(["--", "--allow-net"])); // ["--allow-net=*"]
 * ```
 */
export function normalizeArgs(args: readonly string[]): string[] {
  const rest = args[0] === "--" ? args.slice(1) : [...args];
  return rest.map((arg) => APP_PERMISSIONS.some((p) => arg === `--allow-${p}`) ? `${arg}=*` : arg);
}

/** Where help lines start their description. */
const HELP_COLUMN = 30;

/**
 * The `--help` text, made from {@linkcode FLAGS}.
 *
 * @returns the usage text, ending in a newline
 * @example Print it
 * ```ts
 * import { helpText } from "./flags.ts";
 * console.log(helpText().includes("--port"));
 * ```
 */
export function helpText(): string {
  const rows = FLAGS.map((f) => {
    const left = f.kind === "switch" ? `--${f.name}` : `--${f.name}${valueName(f)}`;
    return `  ${left.padEnd(HELP_COLUMN)}${f.help}`;
  });
  return [
    `heiretsu ${VERSION}: a multi-threaded HTTP/1.1 server for Deno`,
    "",
    "Usage: heiretsu [ROOT] [flags]",
    "",
    "Flags (each also read from HEIRETSU_<NAME>, e.g. HEIRETSU_PORT=9000; flags win):",
    ...rows,
    `  ${"--help".padEnd(HELP_COLUMN)}show this text`,
    `  ${"--version".padEnd(HELP_COLUMN)}show the version`,
    "",
  ].join("\n");
}

/** The placeholder for a flag's value in `--help`. */
function valueName(flag: FlagSpec): string {
  const names: Record<FlagKind, string> = {
    text: ` ${flag.value ?? flag.name.toUpperCase()}`,
    switch: "",
    port: " PORT",
    count: " N",
    bytes: " BYTES",
    seconds: " SECONDS",
    milliseconds: " MS",
    mebibytes: " MIB",
    choice: ` ${flag.value ?? flag.choices?.join("|")}`,
    header: ' "NAME: VALUE"',
    permission: "[=LIST]",
  };
  return names[flag.kind];
}
