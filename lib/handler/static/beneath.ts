/**
 * @module
 * Whether the folders from the root down to a file held still, as real folders, while the file
 * was opened and checked. Deno has neither openat nor O_NOFOLLOW, and its sandbox refuses
 * `/proc/self/fd`, so every check is by path, and someone who may write in the served tree can
 * swap a folder on the way for a symlink and back between any two checks. What a swap cannot
 * hide is the folder it happens in: renaming, linking or unlinking a name sets that folder's
 * mtime and ctime from the kernel's clock. So the folders are lstat'ed root first before the
 * open, and again deepest first after the last check: each a folder (not a symlink), with the
 * same inode, mtime and ctime both times, and that mtime older than the clock at the start by
 * more than a clock tick. Then no name on the way changed while the file was opened and
 * checked, so every path call in between went through those folders, by induction from the
 * root (which only its own parent can move).
 *
 * Deno gives ctimes in whole seconds, mtimes in ms. The folder's owner may set its mtime back
 * (utimes), which moves its ctime to the current second: so the one swap not seen is made by a
 * folder's owner, restoring its mtime within the microseconds between two checks, in the same
 * second as the folder's last real change; or, on a file system that keeps whole seconds (FAT,
 * ext3 with small inodes), by anyone within the second of the folder's last change.
 */
import { sep } from "node:path";
import { FilesUnavailable, isGone } from "./unavailable.ts";

/**
 * How long ago a folder must have changed last for a change after that to show in its mtime:
 * the kernel stamps changes from a clock that ticks every 1 to 10 ms, and Deno gives times in ms.
 */
export const SETTLED_MS = 20;
/** Longest a worker waits, once per file, for the folders on the way to settle. */
export const MAX_SETTLE_WAIT_MS = SETTLED_MS + 5;

/** A folder on the way as lstat saw it. */
export interface FolderSeen {
  path: string;
  dev: number;
  ino: number | null;
  /** Its modification time in ms; null where the platform gives none. */
  mtimeMs: number | null;
  /** Its status change time in ms; null where the platform gives none. */
  ctimeMs: number | null;
}

/**
 * The folders from the root down to the folder holding a file, root first.
 *
 * @param root the root, a real path
 * @param realPath the file's real path, inside the root
 * @param separator the path separator (real paths on Windows use backslashes)
 * @returns the folders' paths, or null when the file is not below the root
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { foldersOnTheWay } from "./beneath.ts";
 * assert.deepEqual(foldersOnTheWay("/srv", "/srv/a/b.txt", "/"), ["/srv", "/srv/a"]);
 * assert.deepEqual(foldersOnTheWay("C:\\srv", "C:\\srv\\b.txt", "\\"), ["C:\\srv"]);
 * assert.equal(foldersOnTheWay("/srv", "/etc/passwd", "/"), null);
 * ```
 */
export function foldersOnTheWay(
  root: string,
  realPath: string,
  separator: string = sep,
): string[] | null {
  const base = root.endsWith(separator) ? root.slice(0, -1) : root;
  if (!realPath.startsWith(base + separator)) return null;
  const names = realPath.slice(base.length + 1).split(separator).slice(0, -1);
  const folders = [base === "" ? separator : base];
  let path = base;
  for (const name of names) folders.push(path = `${path}${separator}${name}`);
  return folders;
}

/**
 * Lstats folders in the order given.
 *
 * @param paths the folders
 * @returns what each is, or null when one is gone or is not a real folder (a symlink)
 * @throws {FilesUnavailable} when the system cannot answer (EMFILE, EIO)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seeFolders } from "./beneath.ts";
 * assert.equal(seeFolders([Deno.cwd()])?.length, 1);
 * ```
 */
export function seeFolders(paths: string[]): FolderSeen[] | null {
  const seen: FolderSeen[] = [];
  try {
    for (const path of paths) {
      const info = Deno.lstatSync(path);
      if (!info.isDirectory) return null;
      const mtimeMs = info.mtime?.getTime() ?? null;
      const ctimeMs = info.ctime?.getTime() ?? null;
      seen.push({ path, dev: info.dev, ino: info.ino, mtimeMs, ctimeMs });
    }
  } catch (error) {
    if (isGone(error)) return null;
    throw new FilesUnavailable(error);
  }
  return seen;
}

/**
 * How long to wait until a change to the folders would show in their mtimes.
 *
 * @param seen the folders, as `seeFolders` saw them
 * @param startMs the clock before they were lstat'ed
 * @returns 0 when they are settled, else the ms to wait
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { settleWaitMs } from "./beneath.ts";
 * const folder = { path: "/srv", dev: 1, ino: 2, mtimeMs: 10_001, ctimeMs: 10_000 };
 * assert.equal(settleWaitMs([folder], 20_000), 0);
 * assert.equal(settleWaitMs([folder], 10_011), 11);
 * ```
 */
export function settleWaitMs(seen: FolderSeen[], startMs: number): number {
  let waitMs = 0;
  for (const { mtimeMs } of seen) {
    if (mtimeMs === null) continue;
    waitMs = Math.max(waitMs, mtimeMs + SETTLED_MS - startMs + 1);
  }
  return waitMs;
}

/**
 * Whether the folders are still what they were: lstat'ed deepest first, each the same real
 * folder with the same mtime and ctime.
 *
 * @param before the folders as `seeFolders` saw them, root first
 * @returns true when nothing on the way changed
 * @throws {FilesUnavailable} as {@linkcode seeFolders}
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seeFolders, stillTheSame } from "./beneath.ts";
 * assert.equal(stillTheSame(seeFolders([Deno.cwd()])!), true);
 * ```
 */
export function stillTheSame(before: FolderSeen[]): boolean {
  const after = seeFolders(before.map(({ path }) => path).reverse())?.reverse();
  return after !== undefined &&
    after.every((folder, i) =>
      folder.dev === before[i].dev && folder.ino === before[i].ino &&
      folder.mtimeMs === before[i].mtimeMs && folder.ctimeMs === before[i].ctimeMs
    );
}

/**
 * Blocks the thread (a worker's, which exists to absorb blocking) for a few ms.
 *
 * @param ms how long
 * @example
 * ```ts
 * import { sleepMs } from "./beneath.ts";
 * sleepMs(1);
 * ```
 */
export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
