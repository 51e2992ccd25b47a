/**
 * Command line and environment → a validated {@linkcode ServerConfig}.
 *
 * Every limit and timeout of the server is one field here, with its unit in the name and its
 * default in {@linkcode DEFAULTS}. Flags are described once, in {@linkcode FLAGS}, from which
 * both the parser and the `--help` text are made, so they cannot drift apart.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import denoJson from "../deno.json" with { type: "json" };

/** The program's version, from `deno.json`. */
export const VERSION: string = denoJson.version;

/** Everything the server needs to run; built by {@linkcode parseConfig}. */
export interface ServerConfig {
  /** Absolute real path of the folder being served. @default the built-in site */
  root: string;
  /** Address to listen on. @default "127.0.0.1" */
  host: string;
  /** TCP port; 0 picks a free one. @default 8080 */
  port: number;
  /** Number of worker threads, fixed for the server's life. @default the number of CPUs */
  workers: number;
  /** Requests allowed to wait while every worker is stalled; beyond it, 503. 0 refuses at once. @default 1024 */
  queueLength: number;
  /** No access log (lifecycle lines are still printed). @default false */
  quiet: boolean;
  /** A request head must arrive within this time from its first byte (or from accept), else 408 and close. @default 10000 */
  headerTimeoutMs: number;
  /** An idle keep-alive connection is closed after this time. @default 5000 */
  keepaliveTimeoutMs: number;
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
}

/** Default value of every {@linkcode ServerConfig} field; the only place defaults live. */
export const DEFAULTS: Readonly<ServerConfig> = Object.freeze({
  root: fileURLToPath(new URL("../static", import.meta.url)),
  host: "127.0.0.1",
  port: 8080,
  workers: Math.max(1, navigator.hardwareConcurrency || 1),
  queueLength: 1024,
  quiet: false,
  headerTimeoutMs: 10_000,
  keepaliveTimeoutMs: 5_000,
  graceMs: 10_000,
  stallMs: 20,
  maxRequestLineBytes: 8 * 1024,
  maxHeaderBytes: 32 * 1024,
  maxHeaderCount: 100,
  maxBodyBytes: 10 * 1024 * 1024,
  windowBytes: 256 * 1024,
  fileCacheBytes: 8 * 1024 * 1024,
});

/** How a flag's text value becomes a config value. */
type FlagKind = "text" | "switch" | "port" | "count" | "bytes" | "seconds" | "milliseconds";

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
  /** One line for `--help`. */
  help: string;
}

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
];

/** The result of {@linkcode parseConfig}: run the server, print text and exit, or fail. */
export type ConfigResult =
  | { kind: "run"; config: ServerConfig }
  | { kind: "print"; text: string }
  | { kind: "error"; message: string };

/** Where flags and environment variables come from. */
export interface ConfigSources {
  /** Command-line arguments, without the program name. */
  args: readonly string[];
  /** Reads an environment variable; returns undefined when unset or not permitted. */
  env: (name: string) => string | undefined;
}

/**
 * The `--help` text, made from {@linkcode FLAGS}.
 *
 * @returns the usage text, ending in a newline
 * @example Print it
 * ```ts
 * import { helpText } from "./config.ts";
 * console.log(helpText().includes("--port"));
 * ```
 */
export function helpText(): string {
  const rows = FLAGS.map((f) => {
    const left = f.kind === "switch" ? `--${f.name}` : `--${f.name} ${valueName(f)}`;
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

/** Where help lines start their description. */
const HELP_COLUMN = 30;

/** The placeholder for a flag's value in `--help`. */
function valueName(flag: FlagSpec): string {
  const names: Record<FlagKind, string> = {
    text: flag.name.toUpperCase(),
    switch: "",
    port: "PORT",
    count: "N",
    bytes: "BYTES",
    seconds: "SECONDS",
    milliseconds: "MS",
  };
  return names[flag.kind];
}

/**
 * Reads flags, then environment variables, then defaults, and validates the result.
 *
 * @param sources the arguments and an environment reader
 * @returns what to do: run with a config, print help/version, or report one error line
 * @example Parse a port
 * ```ts
 * import { parseConfig } from "./config.ts";
 * const result = parseConfig({ args: ["--port", "0"], env: () => undefined });
 * console.log(result.kind === "run" && result.config.port === 0);
 * ```
 */
export function parseConfig(sources: ConfigSources): ConfigResult {
  let parsed;
  try {
    parsed = parseArgs({
      // `deno task serve -- --port 9000` passes the "--" through: it only separates task flags.
      args: sources.args[0] === "--" ? sources.args.slice(1) : [...sources.args],
      options: parseArgsOptions(),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const message = (error as Error).message.replace(/\s*\n\s*/g, " ");
    return { kind: "error", message: `${message} (see --help for the flags)` };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "print", text: helpText() };
  if (values.version) return { kind: "print", text: versionText() };
  if (positionals.length > 1) {
    return { kind: "error", message: `expected at most one ROOT, got ${positionals.length}` };
  }
  if (positionals.length === 1 && values.root !== undefined) {
    return { kind: "error", message: "give the root either as ROOT or as --root, not both" };
  }
  if (positionals.length === 1) values.root = positionals[0];
  return buildConfig(values as Record<string, string | boolean | undefined>, sources.env);
}

function parseArgsOptions() {
  const options: Record<string, { type: "string" | "boolean" }> = {
    help: { type: "boolean" },
    version: { type: "boolean" },
  };
  for (const f of FLAGS) options[f.name] = { type: f.kind === "switch" ? "boolean" : "string" };
  return options;
}

/** Version line: ours and the Deno runtime's. */
function versionText(): string {
  return `heiretsu ${VERSION} (deno ${Deno.version.deno}, v8 ${Deno.version.v8})\n`;
}

function buildConfig(
  values: Record<string, string | boolean | undefined>,
  env: (name: string) => string | undefined,
): ConfigResult {
  const config: ServerConfig = { ...DEFAULTS };
  const fields = config as unknown as Record<string, unknown>;
  for (const flag of FLAGS) {
    const envName = `HEIRETSU_${flag.name.toUpperCase().replaceAll("-", "_")}`;
    const fromFlag = values[flag.name];
    const raw = fromFlag ?? env(envName);
    if (raw === undefined) continue;
    const source = fromFlag === undefined ? envName : `--${flag.name}`;
    const value = readValue(flag, raw);
    if (typeof value === "object") return { kind: "error", message: `${source}: ${value.error}` };
    fields[flag.field] = value;
  }
  const root = resolveRoot(config.root);
  if (typeof root === "object") return { kind: "error", message: root.error };
  config.root = root;
  return { kind: "run", config };
}

type ReadResult = string | number | boolean | { error: string };

function readValue(flag: FlagSpec, raw: string | boolean): ReadResult {
  if (flag.kind === "switch") return readSwitch(raw);
  const text = String(raw).trim();
  if (flag.kind === "text") return text === "" ? { error: "must not be empty" } : text;
  if (flag.kind === "port") return readNumber(text, { integer: true, min: 0, max: 65535 });
  const integer = flag.kind !== "seconds";
  const number = readNumber(text, { integer, min: flag.min ?? 0, max: flag.max });
  if (typeof number === "object") return number;
  return flag.kind === "seconds" ? Math.round(number * 1000) : number;
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

/** Root must be a readable folder; returns its absolute real path or an error line. */
function resolveRoot(root: string): string | { error: string } {
  try {
    const real = Deno.realPathSync(root);
    if (!Deno.statSync(real).isDirectory) {
      return { error: `root "${root}" is a file: give a folder to serve` };
    }
    return real;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { error: `root "${root}" does not exist: give an existing folder to serve` };
    }
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return { error: `root "${root}" cannot be read: run deno with --allow-read=${root}` };
    }
    return { error: `root "${root}" cannot be used: ${(error as Error).message}` };
  }
}
