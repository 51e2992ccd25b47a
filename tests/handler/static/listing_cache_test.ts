/**
 * @module
 * Tests for lib/handler/static/listing_cache.ts: a folder is read once while it stays the same, again
 * once it changes, requests share a read in progress, and the cache stays within its bounds.
 */
import assert from "node:assert/strict";
import {
  ListingCache,
  MAX_KEPT_PAGE_BYTES,
  MAX_QUEUED_READS,
  RENDERED_PAGES_BYTES,
} from "../../../lib/handler/static/listing_cache.ts";

async function withFolders(
  body: (root: string) => Promise<void>,
): Promise<void> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "heiretsu-lcache-" }));
  try {
    for (const dir of ["one", "two", "three"]) {
      await Deno.mkdir(`${root}/${dir}`);
      for (let i = 0; i < 4; i++) await Deno.writeTextFile(`${root}/${dir}/f${i}.txt`, "x");
    }
    await body(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const scopeOf = (root: string) => ({
  dotfiles: "ignore" as const,
  scope: { root, followSymlinks: false },
});

Deno.test("ListingCache.get() reads a folder once while it stays the same, and shares a read in progress", async () => {
  await withFolders(async (root) => {
    const cache = new ListingCache(100);
    const scope = scopeOf(root);
    const [first, second] = await Promise.all([
      cache.get(`${root}/one`, scope),
      cache.get(`${root}/one`, scope),
    ]);
    assert.equal(first, second);
    assert.equal(cache.has(`${root}/one`, scope), true);
    assert.equal(await cache.get(`${root}/one`, scope), first);
    // Another dotfile policy is another listing.
    const allow = { ...scope, dotfiles: "allow" as const };
    assert.equal(cache.has(`${root}/one`, allow), false);
  });
});

Deno.test("ListingCache.get() reads the folder again once its time changes", async () => {
  await withFolders(async (root) => {
    const cache = new ListingCache(100);
    const scope = scopeOf(root);
    const before = await cache.get(`${root}/one`, scope);
    await Deno.writeTextFile(`${root}/one/new.txt`, "x");
    // Some file systems keep times in whole seconds: make the change visible.
    await Deno.utime(`${root}/one`, new Date(), new Date(Date.now() + 5000));
    assert.equal(cache.has(`${root}/one`, scope), false);
    const after = await cache.get(`${root}/one`, scope);
    assert.notEqual(after, before);
    assert.equal(after.entries.length, before.entries.length + 1);
  });
});

Deno.test("ListingCache holds at most maxEntries entries, dropping the least recently used folder", async () => {
  await withFolders(async (root) => {
    const cache = new ListingCache(8);
    const scope = scopeOf(root);
    await cache.get(`${root}/one`, scope);
    await cache.get(`${root}/two`, scope);
    await cache.get(`${root}/one`, scope);
    await cache.get(`${root}/three`, scope);
    assert.equal(cache.has(`${root}/two`, scope), false);
    assert.equal(cache.has(`${root}/one`, scope), true);
    assert.equal(cache.has(`${root}/three`, scope), true);
  });
});

Deno.test("ListingCache counts an empty folder as one entry: empty folders cannot pile up past maxEntries", async () => {
  // Bound: maxEntries 8, 12 empty folders read; each kept listing holds memory of its own.
  await withFolders(async (root) => {
    const cache = new ListingCache(8);
    const scope = scopeOf(root);
    const empty = Array.from({ length: 12 }, (_, i) => `${root}/empty${i}`);
    for (const dir of empty) {
      await Deno.mkdir(dir);
      await cache.get(dir, scope);
    }
    const kept = empty.filter((dir) => cache.has(dir, scope));
    assert.deepEqual(kept, empty.slice(4));
  });
});

Deno.test("ListingCache.get() rejects for a folder it cannot read and keeps nothing of it", async () => {
  await withFolders(async (root) => {
    const cache = new ListingCache(100);
    const scope = scopeOf(root);
    await assert.rejects(cache.get(`${root}/nope`, scope), Deno.errors.NotFound);
    assert.equal(cache.has(`${root}/nope`, scope), false);
  });
});

Deno.test("ListingCache keeps rendered pages within RENDERED_PAGES_BYTES, and none too large", async () => {
  await withFolders(async (root) => {
    const cache = new ListingCache(100);
    const listing = await cache.get(`${root}/one`, scopeOf(root));
    const piece = new Uint8Array(MAX_KEPT_PAGE_BYTES / 2);
    cache.keepPage(listing, { page: "too large", pieces: [piece, piece, new Uint8Array(1)] });
    assert.equal(cache.page(listing, "too large"), undefined);
    const pages = RENDERED_PAGES_BYTES / MAX_KEPT_PAGE_BYTES + 1;
    for (let i = 0; i < pages; i++) {
      cache.keepPage(listing, { page: `p${i}`, pieces: [piece, piece] });
    }
    assert.equal(cache.page(listing, "p0"), undefined);
    assert.equal(cache.page(listing, `p${pages - 1}`)?.length, 2);
  });
});

Deno.test("ListingCache.busy() refuses a new read past MAX_QUEUED_READS, never a kept or shared one", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "heiretsu-lcache-" }));
  try {
    const dirs = Array.from({ length: MAX_QUEUED_READS + 1 }, (_, i) => `${root}/d${i}`);
    for (const dir of dirs) await Deno.mkdir(dir);
    const cache = new ListingCache(100);
    const scope = scopeOf(root);
    const reads = dirs.slice(0, MAX_QUEUED_READS).map((dir) => cache.get(dir, scope));
    assert.equal(cache.busy(dirs[MAX_QUEUED_READS], scope), true);
    // A folder being read is shared, not queued again.
    assert.equal(cache.busy(dirs[0], scope), false);
    await Promise.all(reads);
    assert.equal(cache.busy(dirs[MAX_QUEUED_READS], scope), false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
