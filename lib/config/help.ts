/**
 * The `--help` text, made from the flag table and {@linkcode DEFAULTS}: each flag's line ends
 * with the default the server really uses, in the flag's unit, so the two cannot drift apart.
 *
 * @module
 */
import { VERSION } from "./version.ts";
import { type FlagKind, FLAGS, type FlagSpec } from "./flags.ts";
import { DEFAULTS } from "./settings.ts";

/** Where help lines start their description. */
const HELP_COLUMN = 30;

/**
 * The `--help` text, made from {@linkcode FLAGS}.
 *
 * @returns the usage text, ending in a newline
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { helpText } from "./help.ts";
 * const port = helpText().split("\n").find((line) => line.startsWith("  --port "));
 * assert.equal(port?.endsWith("0 picks a free one (default 8080)"), true);
 * ```
 */
export function helpText(): string {
  const rows = FLAGS.map((f) => {
    const left = f.kind === "switch" ? `--${f.name}` : `--${f.name}${valueName(f)}`;
    return `  ${left.padEnd(HELP_COLUMN)}${f.help}${defaultNote(f)}`;
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
    `  ${
      "--health-check [URL]".padEnd(HELP_COLUMN)
    }ask a running server's health path and exit 0 on 200, else 1 (first`,
    `  ${
      "".padEnd(HELP_COLUMN)
    }argument only; without URL: http://127.0.0.1:$HEIRETSU_PORT$HEIRETSU_HEALTH)`,
    "",
    `Short forms: ${shortForms()}; --host has none (-h is help).`,
    "An unknown flag is refused, naming the nearest one.",
    "",
  ].join("\n");
}

/** "-p (--port), …, -h (--help), -v or -V (--version)". */
function shortForms(): string {
  const flags = FLAGS.filter((f) => f.short !== undefined).map((f) => `-${f.short} (--${f.name})`);
  return [...flags, "-h (--help)", "-v or -V (--version)"].join(", ");
}

/**
 * The end of a flag's help line that names its default: " (default 10)" in the flag's unit,
 * " (default: words)" for a default computed at startup, " (default on)" for a switch that is on,
 * or nothing where the default is to leave the feature off (a switch, a permission, no value).
 *
 * @param flag the flag
 * @returns the note, starting with a space, or ""
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FLAGS } from "./flags.ts";
 * import { defaultNote } from "./help.ts";
 * const flag = (name: string) => FLAGS.find((f) => f.name === name)!;
 * assert.equal(defaultNote(flag("header-timeout")), " (default 10)");
 * assert.equal(defaultNote(flag("workers")), " (default: number of CPUs)");
 * assert.equal(defaultNote(flag("quiet")), "");
 * ```
 */
export function defaultNote(flag: FlagSpec): string {
  if (flag.defaultText !== undefined) return ` (default: ${flag.defaultText})`;
  const value = DEFAULTS[flag.field];
  if (typeof value === "number") {
    return ` (default ${flag.kind === "seconds" ? value / 1000 : value})`;
  }
  if (typeof value === "string") return ` (default ${value})`;
  return value === true ? " (default on)" : "";
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
    origin: ` [${flag.value ?? "ORIGIN"}]`,
    permission: "[=LIST]",
  };
  return names[flag.kind];
}
