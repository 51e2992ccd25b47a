/**
 * @module
 * Which file a path or an open handle is: device, inode, size and times. Deno has neither
 * openat nor O_NOFOLLOW, so a file opened by its path may not be the file that was located
 * there: a deploy may have renamed a new file over it, or someone who may write in the served
 * tree may have swapped a folder on the way for a symlink leading out of the root, between the
 * check and the open. So every open is checked after the fact, on the handle (fstat), and a
 * file is described for serving only once its handle is known to be reachable, with no symlink
 * on the way, at its real path (`openLocated`, by the folders on the way holding still).
 */
import {
  type FolderSeen,
  foldersOnTheWay,
  MAX_SETTLE_WAIT_MS,
  seeFolders,
  settleWaitMs,
  sleepMs,
  stillTheSame,
} from "./beneath.ts";
import { FilesUnavailable, isGone } from "./unavailable.ts";

/** A regular file as seen once: where it is, which inode it is, and its size and times. */
export interface FileIdentity {
  /** Absolute path without symlinks. */
  realPath: string;
  size: number;
  /** Modification time in ms; null when the file system gives none. */
  mtimeMs: number | null;
  /** Status change time in ms; null when the file system gives none. */
  ctimeMs: number | null;
  dev: number;
  /** The inode number; null where the platform gives none. */
  ino: number | null;
}

/**
 * The identity of a file from its stat.
 *
 * @param realPath the real path it was stat'ed at
 * @param info what stat (or fstat) said
 * @returns its identity
 * @example
 * ```ts
 * import { identityOf } from "./identity.ts";
 * const path = Deno.realPathSync("deno.json");
 * identityOf(path, Deno.statSync(path)).size;
 * ```
 */
export function identityOf(realPath: string, info: Deno.FileInfo): FileIdentity {
  return {
    realPath,
    size: info.size,
    mtimeMs: info.mtime?.getTime() ?? null,
    ctimeMs: info.ctime?.getTime() ?? null,
    dev: info.dev,
    ino: info.ino,
  };
}

/**
 * Whether a stat describes the same bytes as an identity: same inode on the same device, same
 * size and times. A file renamed over, or reached through a swapped symlink, is another inode;
 * a file written in place has another size or mtime, and any change moves its ctime.
 *
 * @param info a stat or fstat
 * @param known what the file was when it was described
 * @returns true when nothing tells them apart
 * @example
 * ```ts
 * import { identityOf, sameFile } from "./identity.ts";
 * const path = Deno.realPathSync("deno.json");
 * sameFile(Deno.statSync(path), identityOf(path, Deno.statSync(path))); // true
 * ```
 */
export function sameFile(info: Deno.FileInfo, known: FileIdentity): boolean {
  return info.isFile && sameInode(info, known) && info.size === known.size &&
    (info.mtime?.getTime() ?? null) === known.mtimeMs &&
    (info.ctime?.getTime() ?? null) === known.ctimeMs;
}

function sameInode(info: Deno.FileInfo, known: { dev: number; ino: number | null }): boolean {
  return info.dev === known.dev && info.ino === known.ino;
}

/**
 * Opens a file described earlier and returns the handle only if it is still that file.
 *
 * @param known the file as described
 * @returns the open handle, or null when the path is gone, unreadable, or now leads to other
 *   bytes (the caller looks the path up again)
 * @throws {FilesUnavailable} when the file cannot be opened now (EMFILE, ENFILE, EIO): no
 *   answer about the file, so neither a lookup again nor a 404
 * @example
 * ```ts
 * import { identityOf, openKnown } from "./identity.ts";
 * const path = Deno.realPathSync("deno.json");
 * using file = openKnown(identityOf(path, Deno.statSync(path)));
 * ```
 */
export function openKnown(known: FileIdentity): Deno.FsFile | null {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(known.realPath, { read: true });
  } catch (error) {
    // Deleted or made unreadable since it was described: what a later request would see. Out
    // of descriptors (or a failing disk), the file is still there: no lookup says otherwise.
    if (isGone(error)) return null;
    throw new FilesUnavailable(error);
  }
  try {
    if (sameFile(file.statSync(), known)) return file;
  } catch {
    // An fstat that fails says as little about the handle as a mismatch.
  }
  file.close();
  return null;
}

/**
 * Opens a file just located and returns the handle only if it is the file at its real path
 * under the root, reached through real folders only: the folders on the way held still (same
 * inode, mtime and ctime, no symlink; see `beneath.ts`) from before the open until after the
 * file's lstat named the handle's inode. A folder that changed moments ago is waited for once,
 * up to `MAX_SETTLE_WAIT_MS`. A hard link to an outside file needs no race and is not caught
 * (see docs/operations.md, "Who can do what").
 *
 * @param located the file as `locate()` stat'ed it
 * @param scope the root it must be under; null when symlinks may leave the root
 * @returns the open handle, or null when it is not that file there (the caller looks again)
 * @throws {FilesUnavailable} as {@linkcode openKnown}, and while the folders on the way keep
 *   changing (someone swaps them, or a tool renames into them without pause)
 * @example
 * ```ts
 * import { identityOf, openLocated } from "./identity.ts";
 * const path = Deno.realPathSync("deno.json");
 * using file = openLocated(identityOf(path, Deno.statSync(path)), { root: Deno.cwd() });
 * ```
 */
export function openLocated(
  located: FileIdentity,
  scope: { root: string | null },
): Deno.FsFile | null {
  if (scope.root === null) return openKnown(located);
  const folders = foldersOnTheWay(scope.root, located.realPath);
  if (folders === null) return null;
  for (let turn = 1;; turn++) {
    const startMs = Date.now();
    const before = seeFolders(folders);
    if (before === null) return null;
    const waitMs = settleWaitMs(before, startMs);
    if (waitMs === 0) return openBeneath(located, before);
    if (turn > 1 || waitMs > MAX_SETTLE_WAIT_MS) {
      throw new FilesUnavailable(
        new Error(
          `the folders on the way to ${located.realPath} changed within the last ${waitMs} ms`,
        ),
      );
    }
    sleepMs(waitMs);
  }
}

/** The handle, once the file's lstat names its inode and the folders are still as seen. */
function openBeneath(located: FileIdentity, before: FolderSeen[]): Deno.FsFile | null {
  const file = openKnown(located);
  if (file === null) return null;
  try {
    const info = Deno.lstatSync(located.realPath);
    if (info.isFile && sameInode(info, located) && stillTheSame(before)) return file;
  } catch (error) {
    // Gone by now: refuse, as for a mismatch; anything else is no answer.
    if (!isGone(error)) {
      file.close();
      throw error instanceof FilesUnavailable ? error : new FilesUnavailable(error);
    }
  }
  file.close();
  return null;
}
