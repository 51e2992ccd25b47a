/**
 * @module
 * Tests for lib/handler/static/beneath.ts: the folders from the root to a file are real folders, and any
 * name changed on the way between two looks shows, even when it was changed back.
 */
import assert from "node:assert/strict";
import {
  foldersOnTheWay,
  seeFolders,
  SETTLED_MS,
  settleWaitMs,
  sleepMs,
  stillTheSame,
} from "../../../lib/handler/static/beneath.ts";

/** Runs `body` with a fresh folder (a real path) holding site/box and outside. */
async function withTree(body: (base: string) => void): Promise<void> {
  const base = Deno.realPathSync(await Deno.makeTempDir({ prefix: "heiretsu-beneath-" }));
  try {
    Deno.mkdirSync(`${base}/site/box`, { recursive: true });
    Deno.mkdirSync(`${base}/outside`);
    body(base);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

Deno.test("foldersOnTheWay() lists the root and each folder below it, not the file", () => {
  assert.deepEqual(foldersOnTheWay("/srv/site", "/srv/site/a/b/c.txt"), [
    "/srv/site",
    "/srv/site/a",
    "/srv/site/a/b",
  ]);
  assert.deepEqual(foldersOnTheWay("/srv/site/", "/srv/site/c.txt"), ["/srv/site"]);
  assert.deepEqual(foldersOnTheWay("/", "/c.txt"), ["/"]);
  assert.equal(foldersOnTheWay("/srv/site", "/srv/site2/c.txt"), null);
  assert.equal(foldersOnTheWay("/srv/site", "/srv/site"), null);
});

Deno.test("seeFolders() refuses a symlink on the way and a missing folder", async () => {
  await withTree((base) => {
    const paths = [`${base}/site`, `${base}/site/box`];
    assert.equal(seeFolders(paths)?.length, 2);
    Deno.renameSync(`${base}/site/box`, `${base}/site/box.real`);
    assert.equal(seeFolders(paths), null);
    Deno.symlinkSync(`${base}/outside`, `${base}/site/box`);
    assert.equal(seeFolders(paths), null);
  });
});

Deno.test("settleWaitMs() waits for a folder changed less than SETTLED_MS ago, not an older one", () => {
  const folder = { path: "/srv", dev: 1, ino: 2, mtimeMs: 5_000, ctimeMs: 5_000 };
  assert.equal(settleWaitMs([folder], 5_000), SETTLED_MS + 1);
  assert.equal(settleWaitMs([folder], 5_000 + SETTLED_MS + 1), 0);
  assert.equal(settleWaitMs([{ ...folder, mtimeMs: null }], 5_000), 0);
});

Deno.test("stillTheSame() sees a folder swapped for a symlink and back", async () => {
  await withTree((base) => {
    const paths = [`${base}/site`, `${base}/site/box`];
    sleepMs(SETTLED_MS + 2);
    const before = seeFolders(paths)!;
    assert.equal(settleWaitMs(before, Date.now()), 0);
    assert.equal(stillTheSame(before), true);
    // What every check by path would miss: the same folder, no symlink, once it is back.
    Deno.renameSync(`${base}/site/box`, `${base}/site/box.real`);
    Deno.symlinkSync(`${base}/outside`, `${base}/site/box`);
    Deno.removeSync(`${base}/site/box`);
    Deno.renameSync(`${base}/site/box.real`, `${base}/site/box`);
    assert.equal(seeFolders(paths)![1].ino, before[1].ino);
    assert.equal(stillTheSame(before), false);
  });
});
