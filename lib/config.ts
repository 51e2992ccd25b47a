/**
 * Command line and environment → a validated {@linkcode ServerConfig}.
 *
 * Every limit and timeout of the server is one field here, with its unit in the name and its
 * default in {@linkcode DEFAULTS}. The flags that set them are described in `flags.ts`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parse as parsePath } from "node:path";
import {
  FLAGS,
  helpText,
  LOG_FORMATS,
  normalizeArgs,
  parseArgsOptions,
  readValue,
} from "./flags.ts";
import { VERSION } from "./version.ts";

export { VERSION };

/** A permission an app's workers can be given, as Deno names it. */
export type AppPermission = "net" | "read" | "write" | "env" | "run" | "sys" | "ffi";

/** What an app may use: true for everything of a kind, a list for only those. */
export type AppPermissions = Partial<Record<AppPermission, true | string[]>>;

/** The options of static-file serving, as workers get them. */
export type StaticSettings = Pick<
  ServerConfig,
  | "compress"
  | "listDirectories"
  | "dotfiles"
  | "followSymlinks"
  | "spa"
  | "cors"
  | "extraHeaders"
  | "cacheControl"
>;

/** How files and folders whose names start with a dot are treated. */
export type DotfilePolicy = "deny" | "ignore" | "allow";

/** Everything the server needs to run; built by {@linkcode parseConfig}. */
export interface ServerConfig {
  /**
   * Absolute real path of the folder being served; null when an app runs without a ROOT given,
   * so the built-in site does not shadow the app's routes. @default the built-in site
   */
  root: string | null;
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
  /** A busy worker without progress for this long is replaced; 0: never. @default 30000 */
  requestTimeoutMs: number;
  /** file: URL of the app module (`export default { fetch }`), or null for files only. @default null */
  app: string | null;
  /** What the app's workers may use beyond reading the root. @default {} */
  appPermissions: AppPermissions;
  /**
   * JavaScript heap of each app worker, in MiB (V8's old generation): an app that allocates past
   * it loses only its worker, which is replaced (its requests get 502), where an uncapped heap
   * would abort the whole process. ArrayBuffer contents are not counted. @default 512
   */
  appHeapMib: number;
  /** Compress compressible responses on the fly. @default false */
  compress: boolean;
  /** List folders without an index.html. @default false */
  listDirectories: boolean;
  /** Dotfiles: deny (403), ignore (404, unlisted) or allow. @default "ignore" */
  dotfiles: DotfilePolicy;
  /** Follow symlinks that lead outside the root. @default false */
  followSymlinks: boolean;
  /** Answer HTML requests for missing extension-less paths with /index.html. @default false */
  spa: boolean;
  /** Access-Control-Allow-Origin value, or null for no CORS headers. @default null */
  cors: string | null;
  /** Headers added to every response, names lower-case. @default [] */
  extraHeaders: [string, string][];
  /** Cache-Control of files other than HTML (HTML always gets no-cache). @default "no-cache" */
  cacheControl: string;
  /** Open connections at most; beyond it new ones are closed at once. @default 10000 */
  maxConnections: number;
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
   * On shutdown, time spent still serving while the health check says 503, so load balancers
   * stop sending traffic before the listener closes; set it to their check interval. @default 0
   */
  drainDelayMs: number;
}

/** Formats of the access log: see `lib/log.ts`. */
export type LogFormat = (typeof LOG_FORMATS)[number];

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
  requestTimeoutMs: 30_000,
  app: null,
  appPermissions: {},
  appHeapMib: 512,
  compress: false,
  listDirectories: false,
  dotfiles: "ignore",
  followSymlinks: false,
  spa: false,
  cors: null,
  extraHeaders: [],
  cacheControl: "no-cache",
  maxConnections: 10_000,
  cert: null,
  key: null,
  allowRootDir: false,
  logFormat: "heiretsu",
  healthPath: null,
  drainDelayMs: 0,
});

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
      args: normalizeArgs(sources.args),
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
  return buildConfig(
    values as Record<string, string | boolean | string[] | undefined>,
    sources.env,
  );
}

/** Version line: ours and the Deno runtime's. */
function versionText(): string {
  return `heiretsu ${VERSION} (deno ${Deno.version.deno}, v8 ${Deno.version.v8})\n`;
}

function buildConfig(
  values: Record<string, string | boolean | string[] | undefined>,
  env: (name: string) => string | undefined,
): ConfigResult {
  const config: ServerConfig = { ...DEFAULTS, appPermissions: {}, extraHeaders: [] };
  for (const flag of FLAGS) {
    const envName = `HEIRETSU_${flag.name.toUpperCase().replaceAll("-", "_")}`;
    const fromFlag = values[flag.name];
    const fromEnv = env(envName);
    // A repeatable flag's environment variable holds one value per line.
    const raw = fromFlag ?? (flag.kind === "header" ? fromEnv?.split("\n") : fromEnv);
    if (raw === undefined) continue;
    const source = fromFlag === undefined ? envName : `--${flag.name}`;
    for (const item of Array.isArray(raw) ? raw : [raw]) {
      const value = readValue(flag, item);
      if (isError(value)) return { kind: "error", message: `${source}: ${value.error}` };
      setField(config, flag.field, { flag: flag.name, value });
    }
  }
  const rootGiven = values.root !== undefined || env("HEIRETSU_ROOT") !== undefined;
  if (config.app !== null && !rootGiven) {
    config.root = null;
  } else {
    const root = resolveRoot(config.root!);
    if (typeof root === "object") return { kind: "error", message: root.error };
    config.root = root;
  }
  const problem = crossCheck(config);
  if (problem !== null) return { kind: "error", message: problem };
  if (config.app !== null) {
    const app = resolveApp(config.app);
    if (typeof app === "object") return { kind: "error", message: app.error };
    config.app = app;
  }
  return { kind: "run", config };
}

/** Checks between fields, run after each field is valid on its own: one line or null. */
function crossCheck(config: ServerConfig): string | null {
  // The file system's root: "/", or a drive such as C:\ on Windows.
  if (config.root !== null && parsePath(config.root).root === config.root && !config.allowRootDir) {
    return `root "${config.root}" would publish the whole disk: give a folder, or add --allow-root-dir if you mean it`;
  }
  if ((config.cert === null) !== (config.key === null)) {
    return "HTTPS needs both --cert and --key: give the certificate and its private key";
  }
  for (const [flag, file] of [["--cert", config.cert], ["--key", config.key]] as const) {
    if (file === null) continue;
    try {
      if (!Deno.readTextFileSync(file).includes("-----BEGIN")) {
        return `${flag} "${file}" is not a PEM file: give the certificate and key in PEM form`;
      }
    } catch (error) {
      return `${flag} "${file}" cannot be read (${
        (error as Error).message
      }): check the path and --allow-read`;
    }
  }
  if (config.healthPath !== null && !config.healthPath.startsWith("/")) {
    return `--health "${config.healthPath}" must be a path starting with "/"`;
  }
  return null;
}

function isError(value: unknown): value is { error: string } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Stores a flag's value: lists and permission records collect, other fields are replaced. */
function setField(
  config: ServerConfig,
  field: keyof ServerConfig,
  read: { flag: string; value: unknown },
): void {
  if (field === "extraHeaders") {
    config.extraHeaders.push(read.value as [string, string]);
  } else if (field === "appPermissions") {
    const name = read.flag.slice("allow-".length) as AppPermission;
    config.appPermissions[name] = read.value as true | string[];
  } else {
    (config as unknown as Record<string, unknown>)[field] = read.value;
  }
}

/** The app module must be a readable file; returns its file: URL or an error line. */
function resolveApp(path: string): string | { error: string } {
  try {
    const real = Deno.realPathSync(path);
    if (!Deno.statSync(real).isFile) return { error: `app "${path}" is not a file: give a module` };
    return pathToFileURL(real).href;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { error: `app "${path}" does not exist: give the path of a module` };
    }
    return { error: `app "${path}" cannot be read: run deno with --allow-read=${path}` };
  }
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
