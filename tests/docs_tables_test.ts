/**
 * @module
 * The docs' tables say what the code does: docs/cli.md lists every flag of
 * `lib/config/flags.ts` with its short form and its default from `DEFAULTS`, the README's
 * everyday flags are real flags with the same defaults, and docs/architecture.md has the states
 * and moves of `lib/io/connection.ts`, the states of `lib/handler/exchange.ts` and the record
 * kinds of `lib/wire/protocol.ts`.
 */
import assert from "node:assert/strict";
import { FLAGS, type FlagSpec } from "../lib/config/flags.ts";
import { GROUP_TITLES } from "../lib/config/help.ts";
import { DEFAULTS } from "../lib/config/settings.ts";
import { parseConfig } from "../lib/config/parse.ts";
import { HEALTH_CHECK_FLAG } from "../lib/supervisor/health_check.ts";
import {
  backticked,
  declaration,
  prose,
  REPO,
  type Row,
  sectionTables,
} from "./_helpers/markdown.ts";

const read = (path: string) => prose(Deno.readTextFileSync(`${REPO}${path}`));
const source = (path: string) => Deno.readTextFileSync(`${REPO}${path}`);

/** A flag table's rows: the long names (without dashes) and short forms a row names, its default. */
interface FlagRow {
  /** The heading the row's table stands under, without its `#`s. */
  group: string;
  names: string[];
  shorts: string[];
  defaultCell: string | null;
}

/** The rows of every table in a section whose first column is `flag`. */
function flagRows(file: string, heading: string): FlagRow[] {
  const tables = sectionTables(read(file), heading).filter((t) => t.header[0] === "flag");
  assert.ok(tables.length > 0, `${file} has no flag table under "${heading}"`);
  return tables.flatMap(({ heading, header, rows }) => {
    const at = header.indexOf("default");
    return rows.map((row: Row) => ({
      group: heading.replace(/^#+ /, ""),
      names: [...row[0].matchAll(/--([a-z][a-zA-Z-]*)/g)].map((m) => m[1]),
      shorts: [...row[0].matchAll(/(?<![-\w])-([a-zA-Z])\b/g)].map((m) => m[1]),
      defaultCell: at === -1 ? null : row[at],
    }));
  });
}

/** The default a flag table shows: the value in the flag's unit, its words, on, off or none. */
function shownDefault(flag: FlagSpec): string {
  if (flag.defaultText !== undefined) return flag.defaultText;
  const value = DEFAULTS[flag.field];
  if (typeof value === "number") return `\`${flag.kind === "seconds" ? value / 1000 : value}\``;
  if (typeof value === "string") return `\`${value}\``;
  if (typeof value === "boolean") return value ? "on" : "off";
  return "none";
}

/** The name a table row gives a flag: `allow-NAME` stands for each permission flag. */
const tableName = (flag: FlagSpec) => flag.kind === "permission" ? "allow-NAME" : flag.name;

/** Whether the command line takes a flag that sets no config field (--help, --version, …). */
function takenOtherwise(flag: string): boolean {
  if (flag === HEALTH_CHECK_FLAG) return true;
  const result = parseConfig({ args: [flag], env: () => undefined });
  return result.kind !== "error" || !result.message.startsWith("unknown flag");
}

/** Checks the defaults of rows, and that every name and short form a row gives is a flag. */
function checkRows(file: string, rows: FlagRow[]): void {
  for (const row of rows) {
    for (const name of row.names) {
      const flag = FLAGS.find((f) => tableName(f) === name);
      if (flag === undefined) {
        assert.ok(takenOtherwise(`--${name}`), `${file} lists --${name}, which is no flag`);
        continue;
      }
      if (row.defaultCell !== null) {
        assert.equal(row.defaultCell, shownDefault(flag), `${file}: the default of --${name}`);
      }
    }
    for (const short of row.shorts) {
      const known = FLAGS.some((f) => f.short === short) || takenOtherwise(`-${short}`);
      assert.ok(known, `${file} lists -${short}, which is no flag`);
    }
  }
}

/** Whether a heading names a flag group: its title, or the title less a closing remark. */
function namesGroup(heading: string, title: string): boolean {
  return heading === title || title.startsWith(`${heading} (`);
}

Deno.test("docs/cli.md lists every flag in its --help group, with its short form and default", () => {
  const rows = flagRows("docs/cli.md", "## Flags");
  for (const flag of FLAGS) {
    const row = rows.find((r) => r.names.includes(tableName(flag)));
    assert.ok(row !== undefined, `docs/cli.md has no row for --${flag.name}`);
    const title = GROUP_TITLES[flag.group];
    assert.ok(namesGroup(row.group, title), `docs/cli.md: --${flag.name} belongs under "${title}"`);
    if (flag.short !== undefined) {
      assert.ok(row.shorts.includes(flag.short), `docs/cli.md: -${flag.short} for --${flag.name}`);
    }
  }
  checkRows("docs/cli.md", rows);
});

Deno.test("README.md's everyday flags are flags, with the defaults the code has", () => {
  checkRows("README.md", flagRows("README.md", "## Everyday flags"));
});

Deno.test("shownDefault() gives each kind of default as the tables write it", () => {
  const flag = (name: string) => FLAGS.find((f) => f.name === name)!;
  assert.equal(shownDefault(flag("header-timeout")), "`10`");
  assert.equal(shownDefault(flag("port")), "`8080`");
  assert.equal(shownDefault(flag("workers")), "number of CPUs");
  assert.equal(shownDefault(flag("list")), "off");
  assert.equal(shownDefault(flag("cert")), "none");
  assert.ok(!takenOtherwise("--listing"));
  assert.ok(takenOtherwise("--help"));
});

/** The quoted names of a union of string literals. */
const quoted = (text: string) => [...text.matchAll(/"([a-z]+)"/g)].map((m) => m[1]);

/** The rows of the first table under a heading of docs/architecture.md, by their first cell. */
function architectureRows(heading: string): Map<string, Row> {
  const [table] = sectionTables(read("docs/architecture.md"), heading);
  assert.ok(table !== undefined, `docs/architecture.md has no table under "${heading}"`);
  return new Map(table.rows.map((row) => [backticked(row[0])[0], row]));
}

Deno.test("docs/architecture.md has the connection states and moves of connection.ts", () => {
  const code = source("lib/io/connection.ts");
  const states = quoted(declaration(code, "export type ConnState ="));
  const table = declaration(
    code,
    "const NEXT: Readonly<Record<ConnState, readonly ConnState[]>> =",
  );
  const rows = architectureRows("## Connection states");
  assert.deepEqual([...rows.keys()].sort(), [...states].sort());
  for (const state of states) {
    const listed = new RegExp(`\\b${state}: \\[([^\\]]*)\\]`).exec(table);
    assert.ok(listed !== null, `NEXT in connection.ts has no entry for ${state}`);
    const row = rows.get(state)!;
    const next = backticked(row[row.length - 1]).filter((name) => states.includes(name));
    assert.deepEqual(next.sort(), quoted(listed[1]).sort(), `the moves from ${state}`);
  }
});

Deno.test("docs/architecture.md has the exchange states of exchange.ts", () => {
  const states = quoted(
    declaration(source("lib/handler/exchange.ts"), "export type ExchangeState ="),
  );
  const rows = architectureRows("## Exchange states");
  assert.deepEqual([...rows.keys()].sort(), [...states].sort());
});

Deno.test("docs/architecture.md has the tunnel states of tunnel.ts", () => {
  const states = quoted(declaration(source("lib/handler/tunnel.ts"), "export type TunnelState ="));
  const rows = architectureRows("## Tunnel states");
  assert.deepEqual([...rows.keys()].sort(), [...states].sort());
});

Deno.test("docs/architecture.md has the record kinds and directions of protocol.ts", () => {
  const code = source("lib/wire/protocol.ts");
  const kinds = [...declaration(code, "const KIND =").matchAll(/(\w+): (\d+)/g)];
  const toWorker = quoted(
    declaration(code, "export type ToWorker =").replace(/\/\*[\s\S]*?\*\//g, ""),
  );
  const rows = architectureRows("## The wire protocol");
  assert.deepEqual([...rows.keys()].sort(), kinds.map(([, name]) => name).sort());
  for (const [, name, kind] of kinds) {
    const row = rows.get(name)!;
    assert.equal(row[1], kind, `the kind number of ${name}`);
    const direction = toWorker.includes(name) ? "I/O → worker" : "worker → I/O";
    assert.equal(row[2], direction, `the direction of ${name}`);
  }
});

/** The lines of the code block that follows a heading of docs/architecture.md. */
function blockAfter(heading: string): string[] {
  const text = Deno.readTextFileSync(`${REPO}docs/architecture.md`);
  const start = text.indexOf("```\n", text.indexOf(`\n${heading}\n`)) + 4;
  return text.slice(start, text.indexOf("```", start)).split("\n");
}

Deno.test("docs/architecture.md's layout names every folder of lib/ and only files that exist", () => {
  const lines = blockAfter("## How the code is laid out");
  let folder = "";
  const named: string[] = [];
  for (const line of lines) {
    const first = /^(\S+)/.exec(line)?.[1];
    if (first !== undefined) folder = first.endsWith("/") ? first : "";
    if (first !== undefined) named.push(first);
    for (const [name] of line.slice(first?.length ?? 0).matchAll(/[\w/]+\.ts\b/g)) {
      named.push(name.includes("/") ? name : `${folder}${name}`);
    }
  }
  const missing = named.filter((path) => {
    try {
      Deno.statSync(`${REPO}${path}`);
      return false;
    } catch {
      return true;
    }
  });
  assert.deepEqual(missing, [], "the layout names what is not in the tree");
  const folders = [...Deno.readDirSync(`${REPO}lib`)].filter((e) => e.isDirectory)
    .map((e) => `lib/${e.name}/`);
  assert.deepEqual(folders.filter((f) => !named.includes(f)), [], "lib/ folders not in the layout");
});

Deno.test("backticked() leaves out what stands in parentheses, nested ones too", () => {
  assert.deepEqual(backticked("`idle`, `reading` (`finish()`), `tunnel` (`tunnel()`)"), [
    "idle",
    "reading",
    "tunnel",
  ]);
  assert.deepEqual(backticked("(only `closed`)"), []);
});
