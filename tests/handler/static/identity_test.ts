/**
 * @module
 * Tests for lib/handler/static/identity.ts: a handle is used only when it is the file described, and a
 * freshly located file only when, after the open, its real path still leads to it.
 */
import assert from "node:assert/strict";
import {
  type FileIdentity,
  identityOf,
  openKnown,
  openLocated,
  sameFile,
} from "../../../lib/handler/static/identity.ts";
import { FilesUnavailable } from "../../../lib/handler/static/unavailable.ts";
import { withoutDescriptors } from "./_helpers.ts";

/** Runs `body` with a fresh folder (a real path) holding site/box/note.txt and outside/note.txt. */
async function withTree(body: (base: string) => void | Promise<void>): Promise<void> {
  const base = Deno.realPathSync(await Deno.makeTempDir({ prefix: "heiretsu-identity-" }));
  try {
    Deno.mkdirSync(`${base}/site/box`, { recursive: true });
    Deno.mkdirSync(`${base}/outside`);
    Deno.writeTextFileSync(`${base}/site/box/note.txt`, "inside  text");
    Deno.writeTextFileSync(`${base}/outside/note.txt`, "OUTSIDE text");
    await body(base);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

function identity(path: string): FileIdentity {
  return identityOf(path, Deno.statSync(path));
}

/** Swaps site/box for a symlink to outside, as someone who may write in the tree could. */
function swapForSymlink(base: string): void {
  Deno.renameSync(`${base}/site/box`, `${base}/site/box.real`);
  Deno.symlinkSync(`${base}/outside`, `${base}/site/box`);
}

function readAll(file: Deno.FsFile): string {
  const bytes = new Uint8Array(64);
  const n = file.readSync(bytes) ?? 0;
  return new TextDecoder().decode(bytes.subarray(0, n));
}

Deno.test("identityOf() takes size, times, device and inode from a stat", async () => {
  await withTree((base) => {
    const path = `${base}/site/box/note.txt`;
    const info = Deno.statSync(path);
    assert.deepEqual(identityOf(path, info), {
      realPath: path,
      size: 12,
      mtimeMs: info.mtime!.getTime(),
      ctimeMs: info.ctime!.getTime(),
      dev: info.dev,
      ino: info.ino,
    });
  });
});

Deno.test("sameFile() tells a file renamed over apart, even with the same size", async () => {
  await withTree((base) => {
    const path = `${base}/site/box/note.txt`;
    const before = identity(path);
    assert.ok(sameFile(Deno.statSync(path), before));
    Deno.writeTextFileSync(`${path}.new`, "new version!");
    Deno.renameSync(`${path}.new`, path);
    assert.equal(sameFile(Deno.statSync(path), before), false);
  });
});

Deno.test("openKnown() returns a handle on the file described", async () => {
  await withTree((base) => {
    using file = openKnown(identity(`${base}/site/box/note.txt`));
    assert.ok(file !== null);
    assert.equal(readAll(file), "inside  text");
  });
});

Deno.test("openKnown() refuses a file renamed over, written in place, or deleted since", async () => {
  await withTree((base) => {
    const path = `${base}/site/box/note.txt`;
    const renamed = identity(path);
    Deno.writeTextFileSync(`${path}.new`, "new version!");
    Deno.renameSync(`${path}.new`, path);
    assert.equal(openKnown(renamed), null);
    const written = identity(path);
    Deno.writeTextFileSync(path, "longer new version", { append: false });
    assert.equal(openKnown(written), null);
    const deleted = identity(path);
    Deno.removeSync(path);
    assert.equal(openKnown(deleted), null);
  });
});

Deno.test("openKnown() refuses a file reached through a folder swapped for a symlink", async () => {
  await withTree((base) => {
    const located = identity(`${base}/site/box/note.txt`);
    swapForSymlink(base);
    assert.equal(openKnown(located), null);
  });
});

Deno.test("openLocated() refuses an outside file whose stat raced the locate", async () => {
  await withTree((base) => {
    // The worst race: locate() resolved site/box/note.txt while box was a folder, then its stat
    // and the open both went through the symlink, so the handle matches what was stat'ed.
    const path = `${base}/site/box/note.txt`;
    const raced = identityOf(path, Deno.statSync(`${base}/outside/note.txt`));
    swapForSymlink(base);
    using fooled = openKnown(raced);
    assert.ok(fooled !== null, "an fstat check alone is fooled");
    assert.equal(openLocated(raced, { root: `${base}/site` }), null);
  });
});

Deno.test("openLocated() returns a handle on a file still at its real path", async () => {
  await withTree((base) => {
    using file = openLocated(identity(`${base}/site/box/note.txt`), { root: `${base}/site` });
    assert.ok(file !== null);
    assert.equal(readAll(file), "inside  text");
  });
});

Deno.test("openKnown() and openLocated() throw FilesUnavailable out of descriptors, not null", async () => {
  await withTree((base) => {
    const known = identity(`${base}/site/box/note.txt`);
    const root = `${base}/site`;
    for (const open of [openKnown, (known: FileIdentity) => openLocated(known, { root })]) {
      withoutDescriptors(() => assert.throws(() => open(known), FilesUnavailable));
    }
    // Gone stays gone: a missing file is still null, which means look again or 404.
    Deno.removeSync(`${base}/site/box/note.txt`);
    assert.equal(openKnown(known), null);
  });
});
