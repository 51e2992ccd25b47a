/**
 * The TypeScript examples in the README and docs/ run as printed. Each `ts` block of each
 * Markdown file (see tests/_helpers/code_blocks.ts for which, and how a block names its file and
 * flags) is written into a scratch project that sits beside a `heiretsu` link to this clone, so
 * `../heiretsu/mod.ts` resolves as a user's project next to a clone would, and is then
 * type-checked and run by `deno test` or `deno run` with the flags the block shows, no others.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type CodeBlock, codeBlocks, markdownFiles } from "../_helpers/code_blocks.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
/** One example's bound: a first run type-checks the server's worker modules inside it. */
const EXAMPLE_TIMEOUT_MS = 180_000;

const FENCE = "`".repeat(3);
const SAMPLE = [
  "# Sample",
  `${FENCE}ts`,
  "// app.ts",
  "export default { fetch: () => new Response('hi') };",
  FENCE,
  `${FENCE}sh`,
  "deno task serve",
  FENCE,
  `${FENCE}ts ignore`,
  "not run",
  FENCE,
  "- in a list:",
  `  ${FENCE}ts`,
  '  import app from "./app.ts"; // run with: deno test --allow-net --allow-read=.',
  "  Deno.test('x', () => {});",
  `  ${FENCE}`,
  "",
].join("\n");

Deno.test("codeBlocks() takes ts blocks, skips ts ignore and other languages, reads name and flags", () => {
  assert.deepEqual(codeBlocks(SAMPLE), [
    {
      line: 2,
      fileName: "app.ts",
      code: "// app.ts\nexport default { fetch: () => new Response('hi') };\n",
      flags: [],
      isTest: false,
    },
    {
      line: 13,
      fileName: "block_13.ts",
      code: 'import app from "./app.ts"; // run with: deno test --allow-net --allow-read=.\n' +
        "Deno.test('x', () => {});\n",
      flags: ["--allow-net", "--allow-read=."],
      isTest: true,
    },
  ]);
});

/** A scratch folder holding `heiretsu` (a link to this clone) and `project/`, made once. */
let scratch: Promise<string> | undefined;

function projectFolder(): Promise<string> {
  scratch ??= (async () => {
    const root = await Deno.makeTempDir({ prefix: "heiretsu-doc-examples-" });
    globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
    await Deno.symlink(REPO, `${root}/heiretsu`);
    await Deno.mkdir(`${root}/project`);
    return `${root}/project`;
  })();
  return scratch;
}

/** Writes the blocks up to and including `block` (a later file of one name replaces an earlier). */
async function writeUpTo(project: string, blocks: CodeBlock[], block: CodeBlock): Promise<void> {
  for (const each of blocks.slice(0, blocks.indexOf(block) + 1)) {
    await Deno.writeTextFile(`${project}/${each.fileName}`, each.code);
  }
}

async function runExample(project: string, block: CodeBlock): Promise<Deno.CommandOutput> {
  const args = block.isTest
    ? ["test", "--quiet", ...block.flags, block.fileName]
    : ["run", "--quiet", "--check", ...block.flags, block.fileName];
  return await new Deno.Command(Deno.execPath(), {
    args,
    cwd: project,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(EXAMPLE_TIMEOUT_MS),
  }).output();
}

for (const doc of markdownFiles(REPO)) {
  const blocks = codeBlocks(Deno.readTextFileSync(`${REPO}${doc}`));
  for (const block of blocks) {
    Deno.test(`${doc}:${block.line} (${block.fileName}) type-checks and runs as printed`, async () => {
      const project = await projectFolder();
      await writeUpTo(project, blocks, block);
      const { code, signal, stdout, stderr } = await runExample(project, block);
      const decoder = new TextDecoder();
      assert.equal(
        code,
        0,
        `${doc}:${block.line} ${signal === null ? `exited ${code}` : `killed (${signal})`}; ` +
          `run in ${project} as: deno ${block.isTest ? "test" : "run --check"} ` +
          `${block.flags.join(" ")} ${block.fileName}\n` +
          decoder.decode(stdout) + decoder.decode(stderr),
      );
    });
  }
}
