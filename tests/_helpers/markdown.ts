/**
 * Reading the project's Markdown the way the docs tests need it: the prose without its fenced
 * code blocks, the inline code spans, the links, the headings' anchors and the tables.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The repository's folder, ending in a slash. */
export const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** The Markdown files a person reads, repository-relative: the README, CONTRIBUTING and docs/. */
export function docFiles(): string[] {
  const docs = [...Deno.readDirSync(`${REPO}docs`)]
    .filter((entry) => entry.isFile && entry.name.endsWith(".md"))
    .map((entry) => `docs/${entry.name}`)
    .sort();
  return ["README.md", "CONTRIBUTING.md", ...docs];
}

/** A file's text with every fenced code block blanked out (its lines kept, empty). */
export function prose(text: string): string {
  let fenced = false;
  return text.split("\n").map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return "";
    }
    return fenced ? "" : line;
  }).join("\n");
}

/** The inline code spans of some prose, without their backticks. */
export function codeSpans(text: string): string[] {
  return [...text.matchAll(/(`+)([^`]+?)\1/g)].map((match) => match[2].trim());
}

/** The targets of the inline links of some prose, as written: `[text](target)`. */
export function linkTargets(text: string): string[] {
  // Code spans may hold brackets that are not links.
  const plain = text.replace(/(`+)[^`]+?\1/g, "");
  return [...plain.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]);
}

/**
 * The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces made
 * dashes, and `-1`, `-2`, … after a repeated one.
 *
 * @param text the file's prose (fenced blocks blanked, so a `# comment` in code is no heading)
 * @returns the anchors, without `#`
 */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  for (const match of text.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const slug = match[1].toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    found.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return found;
}

/** One row of a Markdown table: its cells, trimmed, with `\|` read as `|`. */
export type Row = string[];

/** A table: the heading it stands under, its header cells and its rows. */
export interface Table {
  heading: string;
  header: Row;
  rows: Row[];
}

/**
 * The tables of the section that starts with `heading` (up to the next heading of the same or a
 * higher level).
 *
 * @param text the file's prose
 * @param heading the section's heading line, such as `## Connection states`
 * @returns its tables, in order; none when the heading is missing
 */
export function sectionTables(text: string, heading: string): Table[] {
  const lines = text.split("\n");
  const start = lines.indexOf(heading);
  if (start === -1) return [];
  const level = heading.indexOf(" ");
  const tables: Table[] = [];
  let under = heading;
  let current: Row[] = [];
  const flush = () => {
    if (current.length >= 2) {
      tables.push({ heading: under, header: current[0], rows: current.slice(2) });
    }
    current = [];
  };
  for (const line of [...lines.slice(start + 1), ""]) {
    const next = /^(#+) /.exec(line);
    if (next !== null && next[1].length <= level) break;
    if (line.startsWith("|")) {
      current.push(cells(line));
      continue;
    }
    flush();
    if (next !== null) under = line;
  }
  flush();
  return tables;
}

function cells(line: string): Row {
  return line.replace(/^\|/, "").replace(/\|\s*$/, "").split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replaceAll("\\|", "|"));
}

/**
 * The backticked words of a table cell, leaving out what stands in parentheses (nested ones too,
 * such as "(`finish()`)").
 *
 * @param cell the cell's text
 * @returns the code spans outside any parentheses
 */
export function backticked(cell: string): string[] {
  let depth = 0;
  let outside = "";
  for (const char of cell) {
    if (char === "(") depth++;
    if (depth === 0) outside += char;
    if (char === ")" && depth > 0) depth--;
  }
  return codeSpans(outside);
}

/**
 * A declaration's text in a module's source (a union of string literals, an object literal): what
 * the docs' tables are checked against where the code does not export it.
 *
 * @param source the module's text
 * @param opening the start of the declaration, such as `export type ConnState =`
 * @returns the declaration's text, up to its closing `;`
 */
export function declaration(source: string, opening: string): string {
  const start = source.indexOf(opening);
  if (start === -1) throw new Error(`"${opening}" is not in the source: update tests/docs_*`);
  const end = source.indexOf(";\n", start);
  return source.slice(start + opening.length, end);
}
