/**
 * @module
 * The README, CONTRIBUTING.md and docs/ cannot point at what is not there: every relative link
 * leads to a file (and its anchor to a heading of that file), and every repository path written
 * in backticks (`lib/io/relay.ts`, `tests/e2e/hostile_*_test.ts`) names a file or folder that
 * exists.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize } from "node:path";
import { anchors, codeSpans, docFiles, linkTargets, prose, REPO } from "./_helpers/markdown.ts";

/** Top-level names that hold build output or local files, never part of the tree. */
function ignoredTopLevel(): Set<string> {
  const ignore = Deno.readTextFileSync(`${REPO}.gitignore`).split("\n");
  return new Set(
    ignore.map((line) => line.trim().replace(/\/$/, "")).filter((line) => line !== ""),
  );
}

/** The tree's top-level files and folders: a backticked word starting with one is a repo path. */
const TOP_LEVEL = new Set(
  [...Deno.readDirSync(REPO)].map((entry) => entry.name).filter((name) =>
    !ignoredTopLevel().has(name) && name !== ".git"
  ),
);

/** Whether a repository-relative path, which may hold `*` in its last parts, exists. */
function exists(path: string): boolean {
  const parts = path.replace(/\/$/, "").split("/");
  let found = [REPO];
  for (const part of parts) {
    const pattern = new RegExp(
      `^${part.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`,
    );
    found = found.flatMap((folder) => {
      try {
        return [...Deno.readDirSync(folder)].filter((entry) => pattern.test(entry.name))
          .map((entry) => join(folder, entry.name));
      } catch {
        return [];
      }
    });
  }
  return found.length > 0;
}

/**
 * The repository paths a code span names: its words that start with a top-level folder of the
 * tree and go on with a slash, and its bare `*.md` names (which must be at the top or in docs/).
 */
function repoPaths(span: string): string[] {
  return span.split(/\s+/).flatMap((raw) => {
    const word = raw.replace(/^\.\//, "").replace(/[,;:.)]+$/, "");
    if (/[<>$…{}]/.test(word)) return [];
    if (/^[A-Za-z0-9_-]+\.md$/.test(word)) return [exists(word) ? word : `docs/${word}`];
    const slash = word.indexOf("/");
    if (slash <= 0 || !TOP_LEVEL.has(word.slice(0, slash))) return [];
    return [word];
  });
}

for (const file of docFiles()) {
  const text = prose(Deno.readTextFileSync(`${REPO}${file}`));

  Deno.test(`${file}: every relative link leads to a file and heading that exist`, () => {
    const broken = linkTargets(text).filter((target) => {
      if (/^[a-z]+:/.test(target)) return false; // https:, mailto:
      const [path, anchor] = target.split("#");
      const resolved = path === "" ? file : normalize(join(dirname(file), path));
      if (resolved.startsWith("..") || !exists(resolved)) return true;
      if (anchor === undefined) return false;
      if (!resolved.endsWith(".md")) return true;
      return !anchors(prose(Deno.readTextFileSync(`${REPO}${resolved}`))).has(anchor);
    });
    assert.deepEqual(broken, [], `${file} links to what is not there`);
  });

  Deno.test(`${file}: every repository path in backticks exists`, () => {
    const missing = codeSpans(text).flatMap(repoPaths).filter((path) => !exists(path));
    assert.deepEqual(missing, [], `${file} names paths that are not in the tree`);
  });
}

Deno.test("repoPaths() finds the paths of a code span and leaves out the rest", () => {
  assert.deepEqual(repoPaths("deno bench --allow-read bench/exchange_bench.ts"), [
    "bench/exchange_bench.ts",
  ]);
  assert.deepEqual(repoPaths("tests/io/, tests/wire/"), ["tests/io/", "tests/wire/"]);
  assert.deepEqual(repoPaths("./heiretsu ./my-site /srv/site path/to/app.ts"), []);
  assert.deepEqual(repoPaths("/proc/<pid>/stat $TMPDIR/x"), []);
  assert.deepEqual(repoPaths("STYLE.md"), ["docs/STYLE.md"]);
});

Deno.test("exists() matches a pattern against the tree, and nothing for a stale path", () => {
  assert.ok(exists("tests/e2e/hostile_*_test.ts"));
  assert.ok(exists("lib/io/"));
  assert.ok(!exists("tests/hostile_*_test.ts"));
  assert.ok(!exists("tests/compile_test.ts"));
});
