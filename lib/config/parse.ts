/**
 * Command line and environment → a validated {@linkcode ServerConfig}: flags win over
 * `HEIRETSU_*` variables, which win over `DEFAULTS`; then the checks between fields. Only the
 * main thread loads this module; workers read `settings.ts`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { parse as parsePath, resolve as resolvePath } from "node:path";
import { VERSION } from "./version.ts";
import { APP_PERMISSIONS, type AppPermission, DEFAULTS, type ServerConfig } from "./settings.ts";
import { FLAGS } from "./flags.ts";
import { helpText } from "./help.ts";
import { readValue } from "./values.ts";
import { isFieldValue } from "../http/headers.ts";
import { unknownFlagError } from "./suggest.ts";
import { envName } from "./environment.ts";
import { MAKE_READABLE, refusalAdvice } from "./denied.ts";

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
  /**
   * The folder relative paths (ROOT, `--cert`, `--key`, `--app`) start from: where the command
   * was typed, which under `deno task` is not the process's own folder. @default Deno.cwd()
   */
  cwd?: string;
}

/**
 * Reads flags, then environment variables, then defaults, and validates the result.
 *
 * @param sources the arguments and an environment reader
 * @returns what to do: run with a config, print help/version, or report one error line
 * @example Parse a port
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./parse.ts";
 * const result = parseConfig({ args: ["--port", "0"], env: () => undefined });
 * assert.equal(result.kind === "run" && result.config.port, 0);
 * const wrong = parseConfig({ args: ["--port", "x"], env: () => undefined });
 * assert.equal(wrong.kind, "error");
 * ```
 */
export function parseConfig(sources: ConfigSources): ConfigResult {
  const args = normalizeArgs(sources.args);
  const unknown = unknownFlagError(args, KNOWN);
  if (unknown !== null) return { kind: "error", message: `${unknown} (see --help for the flags)` };
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: parseArgsOptions(),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const message = (error as Error).message.replace(/\s*\n\s*/g, " ");
    return { kind: "error", message: `${message} (see --help for the flags)` };
  }
  const { values, positionals } = parsed;
  if (values["help-all"]) return { kind: "print", text: helpText({ all: true }) };
  if (values.help) return { kind: "print", text: helpText() };
  if (values.version) return { kind: "print", text: versionText() };
  if (positionals.length > 1) {
    return { kind: "error", message: `expected at most one ROOT, got ${positionals.length}` };
  }
  if (positionals.length === 1 && values.root !== undefined) {
    return { kind: "error", message: "give the root either as ROOT or as --root, not both" };
  }
  if (positionals.length === 1) values.root = positionals[0];
  return buildConfig(values as Record<string, string | boolean | string[] | undefined>, {
    ...sources,
    cwd: sources.cwd ?? Deno.cwd(),
  });
}

/**
 * Options for `node:util` parseArgs: switches are booleans, `--header` may repeat, and
 * permissions take their list after "=" (a bare `--allow-net` is turned into `--allow-net=*`
 * by {@linkcode normalizeArgs}).
 */
function parseArgsOptions(): Record<
  string,
  { type: "string" | "boolean"; multiple?: boolean }
> {
  const options: Record<
    string,
    { type: "string" | "boolean"; multiple?: boolean; short?: string }
  > = {
    help: { type: "boolean", short: "h" },
    "help-all": { type: "boolean" },
    version: { type: "boolean", short: "v" },
  };
  for (const f of FLAGS) {
    options[f.name] = {
      type: f.kind === "switch" ? "boolean" : "string",
      multiple: f.kind === "header" || f.kind === "origin",
      ...(f.short === undefined ? {} : { short: f.short }),
    };
  }
  return options;
}

/** Every flag name and one-letter form, for the unknown-flag check. */
const KNOWN = {
  long: ["help", "help-all", "version", ...FLAGS.map((f) => f.name)],
  short: ["h", "v", "V", ...FLAGS.flatMap((f) => f.short ?? [])],
};

/**
 * Prepares raw arguments for parseArgs: drops the "--" that `deno task serve -- …` passes on,
 * and gives bare permission flags their "all" value: `["--", "--allow-net"]` becomes
 * `["--allow-net=*"]`.
 */
function normalizeArgs(args: readonly string[]): string[] {
  const rest = args[0] === "--" ? args.slice(1) : [...args];
  return rest.map((arg, i) => {
    if (APP_PERMISSIONS.some((p) => arg === `--allow-${p}`)) return `${arg}=*`;
    // `-V` is version too (as in many tools); a bare `--cors` (last, or before a flag) means *.
    if (arg === "-V") return "--version";
    const next = rest[i + 1];
    if (arg === "--cors" && (next === undefined || next.startsWith("-"))) return "--cors=*";
    return arg;
  });
}

/** Version line: ours and the Deno runtime's. */
function versionText(): string {
  return `heiretsu ${VERSION} (deno ${Deno.version.deno}, v8 ${Deno.version.v8})\n`;
}

function buildConfig(
  values: Record<string, string | boolean | string[] | undefined>,
  sources: Required<Omit<ConfigSources, "args">>,
): ConfigResult {
  const { env } = sources;
  const config: ServerConfig = { ...DEFAULTS, appPermissions: {}, extraHeaders: [] };
  for (const flag of FLAGS) {
    const variable = envName(flag);
    const fromFlag = values[flag.name];
    const fromEnv = env(variable);
    // A repeatable flag's environment variable holds one value per line.
    const raw = fromFlag ??
      (flag.kind === "header"
        ? fromEnv?.split("\n")
        : flag.kind === "origin"
        ? fromEnv?.split(/[\s,]+/).filter(Boolean)
        : fromEnv);
    if (raw === undefined) continue;
    const source = fromFlag === undefined ? variable : `--${flag.name}`;
    for (const item of Array.isArray(raw) ? raw : [raw]) {
      const value = readValue(flag, item);
      if (isError(value)) return { kind: "error", message: `${source}: ${value.error}` };
      setField(config, flag.field, { flag: flag.name, value });
    }
  }
  const rootGiven = values.root !== undefined || env("HEIRETSU_ROOT") !== undefined;
  const problem = placePaths(config, { rootGiven, cwd: sources.cwd }) ?? crossCheck(config) ??
    placeApp(config, sources.cwd);
  return problem === null ? { kind: "run", config } : { kind: "error", message: problem };
}

/**
 * Makes the root, `--cert` and `--key` absolute, relative ones starting from `cwd`; without a
 * ROOT, an app serves alone (no root) and otherwise the built-in site is served.
 */
function placePaths(
  config: ServerConfig,
  options: { rootGiven: boolean; cwd: string },
): string | null {
  const { cwd } = options;
  if (config.cert !== null) config.cert = resolvePath(cwd, config.cert);
  if (config.key !== null) config.key = resolvePath(cwd, config.key);
  if (config.app !== null && !options.rootGiven) {
    config.root = null;
    return null;
  }
  if (config.root === null) return "no built-in site here (loaded from a URL): give --root";
  const root = resolveRoot(config.root, cwd);
  if (typeof root === "object") return root.error;
  config.root = root;
  return null;
}

/** Turns the app's path (relative ones start from `cwd`) into its file: URL, or says why not. */
function placeApp(config: ServerConfig, cwd: string): string | null {
  if (config.app === null) return null;
  const app = resolveApp(config.app, cwd);
  if (typeof app === "object") return app.error;
  config.app = app;
  return null;
}

/** Checks between fields, run after each field is valid on its own: one line or null. */
function crossCheck(config: ServerConfig): string | null {
  // The file system's root: "/", or a drive such as C:\ on Windows.
  const realRoot = config.root === null ? null : Deno.realPathSync(config.root);
  if (realRoot !== null && parsePath(realRoot).root === realRoot && !config.allowRootDir) {
    return `root "${config.root}" would publish the whole disk: give a folder, or add --allow-root-dir if you mean it`;
  }
  // It becomes a header value of every file: refused here, not as a 500 for each request.
  if (!isFieldValue(config.cacheControl)) {
    return `--cache-control: ${
      JSON.stringify(config.cacheControl)
    } is not a valid header value: leave out control characters`;
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
      const fix = { flag: `--allow-read=${file}`, os: MAKE_READABLE };
      const advice = refusalAdvice(error, fix) ?? "check the path";
      return `${flag} "${file}" cannot be read (${(error as Error).message}): ${advice}`;
    }
  }
  const origins = config.cors?.split(" ") ?? [];
  if (origins.length > 1 && origins.includes("*")) {
    return "--cors * already allows every origin: give * or origins, not both";
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
  if (field === "cors") {
    const origin = read.value as string;
    const seen = config.cors?.split(" ") ?? [];
    if (!seen.includes(origin)) config.cors = [...seen, origin].join(" ");
  } else if (field === "extraHeaders") {
    config.extraHeaders.push(read.value as [string, string]);
  } else if (field === "appPermissions") {
    const name = read.flag.slice("allow-".length) as AppPermission;
    config.appPermissions[name] = read.value as true | string[];
  } else {
    (config as unknown as Record<string, unknown>)[field] = read.value;
  }
}

/** The app module must be a readable file; returns its file: URL or an error line. */
function resolveApp(path: string, cwd: string): string | { error: string } {
  try {
    const real = Deno.realPathSync(resolvePath(cwd, path));
    if (!Deno.statSync(real).isFile) return { error: `app "${path}" is not a file: give a module` };
    return pathToFileURL(real).href;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { error: `app "${path}" does not exist: give the path of a module` };
    }
    const fix = { flag: `--allow-read=${path}`, os: MAKE_READABLE };
    const advice = refusalAdvice(error, fix) ?? (error as Error).message;
    return { error: `app "${path}" cannot be read: ${advice}` };
  }
}

/**
 * Root must be a readable folder; returns its absolute (real, unless a symlink) path or an error.
 * A relative root starts from `cwd`.
 */
function resolveRoot(root: string, cwd: string): string | { error: string } {
  const given = resolvePath(cwd, root);
  try {
    const real = Deno.realPathSync(given);
    if (!Deno.statSync(real).isDirectory) {
      return { error: `root "${root}" is a file: give a folder to serve` };
    }
    return Deno.lstatSync(given).isSymlink ? given : real;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { error: `root "${root}" does not exist: give an existing folder to serve` };
    }
    const advice = refusalAdvice(error, { flag: `--allow-read=${root}`, os: MAKE_READABLE });
    if (advice !== null) return { error: `root "${root}" cannot be read: ${advice}` };
    return { error: `root "${root}" cannot be used: ${(error as Error).message}` };
  }
}
