/**
 * @module
 * Tests for lib/handler/static/listing.ts: what a folder's listing holds and hides, its orders, the
 * bound on names read, and that reading a large folder leaves the event loop turning.
 */
import assert from "node:assert/strict";
import { readFolder, readOrder, sortEntries } from "../../../lib/handler/static/listing.ts";
import { Slicer, sortSliced } from "../../../lib/handler/static/slices.ts";

async function makeFolder(): Promise<{ base: string; root: string }> {
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "heiretsu-listing-" }));
  const root = `${base}/site`;
  await Deno.mkdir(`${root}/dir/sub`, { recursive: true });
  await Deno.writeTextFile(`${base}/outside.txt`, "out");
  await Deno.writeTextFile(`${root}/dir/b.txt`, "bb");
  await Deno.writeTextFile(`${root}/dir/a.txt`, "aaaa");
  await Deno.writeTextFile(`${root}/dir/.secret`, "s");
  await Deno.symlink("a.txt", `${root}/dir/link.txt`);
  await Deno.symlink("../../outside.txt", `${root}/dir/escape.txt`);
  await Deno.symlink("missing", `${root}/dir/dangling`);
  return { base, root };
}

const { base, root } = await makeFolder();
globalThis.addEventListener("unload", () => Deno.removeSync(base, { recursive: true }));

async function names(
  options: { follow?: boolean; dotfiles?: "allow"; query?: string } = {},
): Promise<string[]> {
  const folder = await readFolder(`${root}/dir`, {
    dotfiles: options.dotfiles ?? "ignore",
    scope: { root, followSymlinks: options.follow ?? false },
    maxEntries: 100,
  });
  const sorted = await sortEntries(folder.entries, readOrder(options.query ?? ""));
  return sorted.map((entry) => entry.name);
}

Deno.test("readFolder() lists directories first, hiding dotfiles and escaping symlinks", async () => {
  assert.deepEqual(await names(), ["sub", "a.txt", "b.txt", "link.txt"]);
  assert.deepEqual(await names({ follow: true }), [
    "sub",
    "a.txt",
    "b.txt",
    "escape.txt",
    "link.txt",
  ]);
  assert.deepEqual(await names({ dotfiles: "allow" }), [
    "sub",
    ".secret",
    "a.txt",
    "b.txt",
    "link.txt",
  ]);
});

Deno.test("sortEntries() sorts by the query's column and order", async () => {
  assert.deepEqual(await names({ query: "sort=size&order=desc" }), [
    "sub",
    "link.txt",
    "a.txt",
    "b.txt",
  ]);
  assert.deepEqual(await names({ query: "sort=name&order=desc" }), [
    "sub",
    "link.txt",
    "b.txt",
    "a.txt",
  ]);
});

Deno.test("readFolder() throws for a folder it cannot read", async () => {
  const scope = { root, followSymlinks: false };
  await assert.rejects(
    readFolder(`${root}/nope`, { dotfiles: "ignore", scope, maxEntries: 10 }),
    Deno.errors.NotFound,
  );
});

Deno.test("readFolder() reads at most maxEntries names and says it stopped", async () => {
  const scope = { root, followSymlinks: false };
  const cut = await readFolder(`${root}/dir`, { dotfiles: "allow", scope, maxEntries: 3 });
  assert.equal(cut.truncated, true);
  assert.ok(cut.entries.length <= 3);
  const whole = await readFolder(`${root}/dir`, { dotfiles: "allow", scope, maxEntries: 7 });
  assert.equal(whole.truncated, false);
});

Deno.test("readOrder() falls back to name ascending for unknown values", () => {
  assert.deepEqual(readOrder(""), { sort: "name", order: "asc" });
  assert.deepEqual(readOrder("sort=evil&order=sideways"), { sort: "name", order: "asc" });
  assert.deepEqual(readOrder("sort=date&order=desc"), { sort: "date", order: "desc" });
});

Deno.test("sortEntries() breaks ties by name, in the direction asked", async () => {
  const entries = [
    { name: "a", kind: "file" as const, size: 1, modifiedMs: 5, rank: 0 },
    { name: "b", kind: "file" as const, size: 1, modifiedMs: 5, rank: 1 },
  ];
  const up = await sortEntries(entries, { sort: "date", order: "asc" });
  assert.deepEqual(up.map((e) => e.name), ["a", "b"]);
  const down = await sortEntries(entries, { sort: "date", order: "desc" });
  assert.deepEqual(down.map((e) => e.name), ["b", "a"]);
});

Deno.test("readFolder() sorts names naturally: file-2 before file-10, case aside", async () => {
  const dir = await Deno.makeTempDir({ dir: base });
  for (const name of ["file-10.txt", "File-3.txt", "file-2.txt", "file-1.txt", "a.txt"]) {
    await Deno.writeTextFile(`${dir}/${name}`, "x");
  }
  const scope = { root: base, followSymlinks: false };
  const folder = await readFolder(dir, { dotfiles: "ignore", scope, maxEntries: 10 });
  assert.deepEqual(folder.entries.map((entry) => entry.name), [
    "a.txt",
    "file-1.txt",
    "file-2.txt",
    "File-3.txt",
    "file-10.txt",
  ]);
});

Deno.test("sortSliced() sorts stably, as Array.prototype.sort does, across many runs", async () => {
  const items = Array.from({ length: 5000 }, (_, i) => ({ key: (i * 7919) % 97, at: i }));
  const compare = (a: { key: number }, b: { key: number }) => a.key - b.key;
  const sorted = await sortSliced(items, { compare, slicer: new Slicer() });
  assert.deepEqual(sorted, items.slice().sort(compare));
});

/** Files made for the event-loop test: enough that reading them whole takes many slices. */
const MANY_FILES = 20_000;

Deno.test("readFolder() of a large folder lets timers run while it reads and sorts", async () => {
  const dir = await Deno.makeTempDir({ dir: base });
  for (let i = 0; i < MANY_FILES; i += 500) {
    await Promise.all(
      Array.from(
        { length: 500 },
        (_, j) => Deno.writeFile(`${dir}/file-${i + j}.txt`, new Uint8Array()),
      ),
    );
  }
  let last = performance.now();
  let longestGapMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
  }, 1);
  const started = performance.now();
  try {
    const scope = { root: base, followSymlinks: false };
    const folder = await readFolder(dir, { dotfiles: "ignore", scope, maxEntries: MANY_FILES });
    assert.equal(folder.entries.length, MANY_FILES);
  } finally {
    clearInterval(ticker);
  }
  const tookMs = performance.now() - started;
  // Read in one go, the longest gap is the whole read. In slices, it is one slice plus what
  // this machine's scheduling adds: a fraction of the whole.
  assert.ok(longestGapMs < tookMs / 3, `longest gap ${longestGapMs} ms of ${tookMs} ms`);
});
