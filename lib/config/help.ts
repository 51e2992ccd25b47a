/**
 * The `--help` and `--help-all` texts, made from the flag table and {@linkcode DEFAULTS}: the
 * flags in their groups, each line ending with the default the server really uses, in the flag's
 * unit, so text and code cannot drift apart. `--help` shows the everyday groups and a few
 * examples; `--help-all` adds the limits and timeouts. No line is wider than 100 columns.
 *
 * @module
 */
import { VERSION } from "./version.ts";
import { type FlagGroup, type FlagKind, FLAGS, type FlagSpec } from "./flags.ts";
import { DEFAULTS } from "./settings.ts";

/** Where help lines start their description. */
const HELP_COLUMN = 32;
/** Where the examples' descriptions start: their commands are longer than flags. */
const EXAMPLE_COLUMN = 45;
/** The widest line of the help texts, in columns. */
export const HELP_WIDTH = 100;

/** Each group's heading, in `--help` order; `limits` is listed by `--help-all` only. */
export const GROUP_TITLES: Readonly<Record<FlagGroup, string>> = {
  serving: "Serving files",
  apps: "Apps (an app's workers get only what --allow-* gives them)",
  tls: "TLS (HTTPS)",
  logs: "Logs and health checks",
  limits: "Limits and timeouts",
};

/** A few commands a person starts with: the command and what it does. */
const EXAMPLES: readonly (readonly [string, string])[] = [
  ["heiretsu .", "serve this folder on http://127.0.0.1:8080"],
  ["heiretsu . --host 0.0.0.0 --list", "share it on the LAN, with folder listings"],
  ["heiretsu dist --spa --compress", "a single-page app, compressed"],
  ["heiretsu . --cert cert.pem --key key.pem", "HTTPS"],
  ["heiretsu --app server.ts --allow-net", "run an app (export default { fetch })"],
];

/** The lines for the flags that are not in the table. */
const OTHER_FLAGS: readonly (readonly [string, string])[] = [
  ["-h, --help", "show the everyday flags"],
  ["    --help-all", "show every flag, the limits and timeouts too"],
  ["-v, --version", "show the version (-V too)"],
  [
    "    --health-check [URL]",
    "ask a running server's health path and exit 0 on 200, else 1 (first argument only; " +
    "without URL: http://127.0.0.1:$HEIRETSU_PORT$HEIRETSU_HEALTH)",
  ],
];

/**
 * The help text, made from {@linkcode FLAGS}: usage, examples, the flags by group, and where
 * the rest is.
 *
 * @param options `all`: every group, the limits and timeouts too (`--help-all`)
 * @returns the text, ending in a newline
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { helpText } from "./help.ts";
 * const port = helpText().split("\n").find((line) => line.includes(" --port "));
 * assert.equal(port?.endsWith("0 picks a free one (default 8080)"), true);
 * assert.equal(helpText().includes("--max-body"), false);
 * assert.equal(helpText({ all: true }).includes("--max-body"), true);
 * ```
 */
export function helpText(options: { all?: boolean } = {}): string {
  const groups = (Object.keys(GROUP_TITLES) as FlagGroup[])
    .filter((group) => options.all === true || group !== "limits");
  const hidden = FLAGS.filter((flag) => !groups.includes(flag.group)).length;
  return [
    `heiretsu ${VERSION}: a multi-threaded HTTP/1.1 server for Deno`,
    "",
    "Usage: heiretsu [ROOT] [flags]",
    "",
    "Examples:",
    ...EXAMPLES.flatMap(([command, what]) => rows(command, what, EXAMPLE_COLUMN)),
    ...groups.flatMap((group) => [
      "",
      `${GROUP_TITLES[group]}:`,
      ...FLAGS.filter((flag) => flag.group === group).flatMap(flagRows),
    ]),
    "",
    "Other:",
    ...OTHER_FLAGS.flatMap(([left, what]) => rows(left, what)),
    "",
    ...(hidden === 0 ? [] : [
      `${GROUP_TITLES.limits}: ${hidden} more flags (sizes, timeouts, shutdown, memory): --help-all`,
    ]),
    "Every flag can also be set as HEIRETSU_<NAME> (HEIRETSU_PORT=9000, HEIRETSU_LOG_FORMAT=json);",
    "a flag wins over its variable. An unknown flag is refused, naming the nearest one.",
    "",
  ].join("\n");
}

/** A flag's lines: `-p, --port PORT` (or `    --host HOST`), then its help and default. */
function flagRows(flag: FlagSpec): string[] {
  const short = flag.short === undefined ? "    " : `-${flag.short}, `;
  return rows(`${short}--${flag.name}${valueName(flag)}`, `${flag.help}${defaultNote(flag)}`);
}

/**
 * Lines of a two-column row: `left`, then `text` from `column`, wrapped at
 * {@linkcode HELP_WIDTH}; a `left` that reaches the column puts the text on the next line.
 */
function rows(left: string, text: string, column = HELP_COLUMN): string[] {
  const [head, ...rest] = wrap(text, HELP_WIDTH - column);
  const indent = " ".repeat(column);
  const first = `  ${left}`;
  const more = rest.map((line) => indent + line);
  return first.length < column
    ? [first.padEnd(column) + head, ...more]
    : [first, indent + head, ...more];
}

/**
 * Splits text into lines of at most `width` columns, at spaces (a longer word keeps its line).
 *
 * @param text the text
 * @param width the widest line
 * @returns the lines
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wrap } from "./help.ts";
 * assert.deepEqual(wrap("one two three", 7), ["one two", "three"]);
 * ```
 */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  return [...lines, line];
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
