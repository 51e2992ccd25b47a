/**
 * Library options → the same validated {@linkcode ServerConfig} the command line gives: each
 * option is written as its flag and read by `parseConfig`, so values, bounds and the checks
 * between fields are the CLI's own, and an error names the flag.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { AppPermission, ServerConfig } from "./settings.ts";
import { FLAGS } from "./flags.ts";
import { type ConfigResult, parseConfig } from "./parse.ts";

/**
 * What `serve()` takes: any {@linkcode ServerConfig} field (durations in milliseconds, as in the
 * config), with the root as a path and the app as a path or `file:` URL.
 */
export type ServeOptions =
  & Partial<Omit<ServerConfig, "root" | "app" | "extraHeaders" | "appPermissions">>
  & {
    /** Folder to serve. @default the built-in site, or none with an app */
    root?: string;
    /** App module (`export default { fetch }`): a path or a `file:` URL. @default none */
    app?: string | URL;
    /** Headers added to every response, as [name, value]. @default [] */
    extraHeaders?: readonly (readonly [string, string])[];
    /** What the app's workers may use: true for all, or a list. @default {} */
    appPermissions?: Partial<Record<AppPermission, true | readonly string[]>>;
  };

/**
 * Validates options as the command line would and returns the config, or the error line.
 *
 * @param options the fields to set
 * @returns a "run" result with the config, or an "error" result with one line
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configFromOptions } from "./options.ts";
 * const result = configFromOptions({ port: 0, headerTimeoutMs: 2500 });
 * assert.equal(result.kind === "run" && result.config.headerTimeoutMs, 2500);
 * const wrong = configFromOptions({ port: 70000 });
 * assert.equal(wrong.kind, "error");
 * ```
 */
export function configFromOptions(options: ServeOptions): ConfigResult {
  const args: string[] = [];
  for (const [field, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const written = flagArgs(field, value);
    if (typeof written === "string") return { kind: "error", message: written };
    args.push(...written);
  }
  return parseConfig({ args, env: () => undefined });
}

/** One option as flag arguments, or why it cannot be. */
function flagArgs(field: string, value: unknown): string[] | string {
  if (field === "appPermissions") {
    const grants = Object.entries(value as Record<string, true | string[]>);
    // An empty list grants nothing: it must not become a bare flag, which grants everything.
    return grants.filter(([, grant]) => grant === true || grant.length > 0).map(([name, grant]) =>
      grant === true ? `--allow-${name}` : `--allow-${name}=${grant.join(",")}`
    );
  }
  if (field === "app") return [`--app=${appPath(value as string | URL)}`];
  const flag = FLAGS.find((spec) => spec.field === field);
  if (flag === undefined) return `unknown option "${field}"`;
  switch (flag.kind) {
    case "switch":
      // Every switch is off by default: only "on" needs saying.
      return value === true ? [`--${flag.name}`] : [];
    case "header":
      return (value as [string, string][]).map(([name, text]) => `--header=${name}: ${text}`);
    case "seconds":
      return [`--${flag.name}=${Number(value) / 1000}`];
    case "origin":
      // Several origins are one field, separated by spaces, and one flag each.
      return value === null
        ? []
        : String(value).split(" ").map((origin) => `--${flag.name}=${origin}`);
    default:
      // null is a field's "none": the flag's default, not the text "null".
      return value === null ? [] : [`--${flag.name}=${value}`];
  }
}

/** A path, or a `file:` URL made a path (other schemes fail the app's own check). */
function appPath(app: string | URL): string {
  const text = String(app);
  return text.startsWith("file:") ? fileURLToPath(text) : text;
}
