/**
 * Test helper: the TypeScript examples of the project's Markdown, so a test can run each as
 * printed. Which blocks, under which file name and with which flags is read from the block:
 * - a fenced block whose info string is `ts` is an example, one marked `ts ignore` is not;
 * - a first line `// NAME.ts` is the file it is written to (a later block may import it),
 *   otherwise `block_LINE.ts`;
 * - a comment `// run with: deno test FLAGS` or `// run with FLAGS` gives the flags;
 * - a block that calls `Deno.test(` is run by `deno test`, any other by `deno run --check`.
 *
 * @module
 */
import { existsSync } from "node:fs";

/** One example, as printed in a Markdown file. */
export interface CodeBlock {
  /** The line of the opening fence, counting from 1. */
  line: number;
  /** The file it is written to, e.g. `app.ts`. */
  fileName: string;
  /** Its text, without the fences and the indentation of the fence. */
  code: string;
  /** The flags its `// run with` comment names, e.g. `["--allow-net"]`. */
  flags: string[];
  /** Whether it is a test (`deno test`) rather than a program (`deno run`). */
  isTest: boolean;
}

const FENCE = /^(\s*)```\s*([^`]*)$/;
const FILE_NAME = /^\/\/\s*([\w./-]+\.tsx?)\s*$/;
const RUN_WITH = /\/\/\s*run with:?\s+(.+)$/m;

/**
 * The `ts` code blocks of a Markdown text, in order, without those marked `ignore`.
 *
 * @param markdown the file's text
 * @returns its examples
 * @example
 * ```ts
 * const fence = "`".repeat(3);
 * const [block] = codeBlocks(`# Hi\n\n${fence}ts\n// app.ts\nexport default {};\n${fence}\n`);
 * block.fileName; // "app.ts"
 * ```
 */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (open === null) continue;
    const [indent, info] = [open[1], open[2].trim().split(/\s+/)];
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end])) end++;
    const body = lines.slice(i + 1, end).map((line) => line.slice(indent.length));
    if (info[0] === "ts" && !info.includes("ignore")) blocks.push(block(i + 1, body));
    i = end;
  }
  return blocks;
}

function block(line: number, body: string[]): CodeBlock {
  const code = body.join("\n") + "\n";
  const named = FILE_NAME.exec(body[0] ?? "");
  const runWith = RUN_WITH.exec(code)?.[1] ?? "";
  return {
    line,
    fileName: named?.[1] ?? `block_${line}.ts`,
    code,
    flags: runWith.split(/\s+/).filter((word) => word.startsWith("--")),
    isTest: code.includes("Deno.test("),
  };
}

/**
 * The Markdown files whose examples are run: every `.md` file in the repository's root folder
 * and in its `docs/` folder, sorted, repository-relative.
 *
 * @param repo the repository's folder
 * @returns paths such as `README.md` and `docs/apps.md`
 * @example
 * ```ts
 * markdownFiles(new URL("../../", import.meta.url).pathname); // ["README.md", …]
 * ```
 */
export function markdownFiles(repo: string): string[] {
  const found: string[] = [];
  for (const folder of ["", "docs/"]) {
    if (!existsSync(`${repo}/${folder}`)) continue;
    for (const entry of Deno.readDirSync(`${repo}/${folder}`)) {
      if (entry.isFile && entry.name.endsWith(".md")) found.push(`${folder}${entry.name}`);
    }
  }
  return found.sort();
}
