/**
 * @module
 * Finds the file a normalized URL path names under the document root, refusing anything whose
 * real path (symlinks resolved) falls outside the root unless symlinks may leave it, and finds
 * the file's precompressed siblings. Runs on cache misses: one realPath and one stat (twice for
 * a directory's index.html), plus one failed realPath per absent sibling.
 */
import { sep } from "node:path";
import { type Coding, PRECOMPRESSED } from "./encoding.ts";
import { type FileIdentity, identityOf } from "./identity.ts";
import { FilesUnavailable, isGone } from "./unavailable.ts";

/** Where files may come from. */
export interface LocateScope {
  /** The document root, an absolute path already passed through realPath. */
  root: string;
  /** Whether symlinks may lead outside the root. @default false */
  followSymlinks: boolean;
}

/** A regular file as found on disk. */
export type StatedFile = FileIdentity;

/** A precompressed copy next to a file ("app.js.br" next to "app.js"). */
export interface Sibling extends StatedFile {
  coding: Coding;
}

/** What a URL path names under the root. */
export type Located =
  /**
   * A file, with its precompressed siblings in the server's order of preference, and the root
   * they must be opened under through real folders only (null when symlinks may leave it).
   */
  | { kind: "file"; file: StatedFile; siblings: Sibling[]; root: string | null }
  /** A directory asked for with a trailing slash that has no index.html. */
  | { kind: "directory"; realPath: string }
  /** A directory asked for without its trailing slash. */
  | { kind: "directory-redirect" }
  | { kind: "not-found" };

/** The file served for a directory requested with a trailing slash. */
const INDEX_FILE = "index.html";

const NOT_FOUND: Located = { kind: "not-found" };

/**
 * Maps a URL path (from `resolveTarget`) to a regular file or a directory under the root.
 *
 * @param scope the root, and whether symlinks may leave it
 * @param urlPath a decoded, dot-free path starting with "/"
 * @returns the file with its real path, size, times and siblings; "directory" for a directory
 *   with a trailing slash and no index.html; "directory-redirect" for one without the slash;
 *   otherwise "not-found" (missing, unreadable, a symlink out of the root, a special file, a
 *   file asked for with a trailing slash)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { locate } from "./locate.ts";
 * const root = Deno.realPathSync(Deno.makeTempDirSync());
 * Deno.mkdirSync(`${root}/docs`);
 * Deno.writeTextFileSync(`${root}/docs/index.html`, "<h1>Docs</h1>");
 * const found = locate({ root, followSymlinks: false }, "/docs/");
 * assert.equal(found.kind === "file" && found.file.realPath, `${root}/docs/index.html`);
 * assert.equal(locate({ root, followSymlinks: false }, "/docs").kind, "directory-redirect");
 * Deno.removeSync(root, { recursive: true });
 * ```
 */
export function locate(scope: LocateScope, urlPath: string): Located {
  const { root } = scope;
  const base = root.endsWith("/") ? root.slice(0, -1) : root;
  const target = inspect(scope, base + urlPath);
  if (target === null) return NOT_FOUND;
  // "/a.txt/" names a folder that is not there (nginx agrees). Checked here, since Deno drops a
  // trailing slash from paths under a read permission list, so realpath would not refuse it.
  if (target.info.isFile) return urlPath.endsWith("/") ? NOT_FOUND : asFile(scope, target);
  if (!target.info.isDirectory) return NOT_FOUND;
  if (!urlPath.endsWith("/")) return { kind: "directory-redirect" };
  const dir = target.realPath.endsWith("/") ? target.realPath : target.realPath + "/";
  const index = inspect(scope, dir + INDEX_FILE);
  if (index !== null && index.info.isFile) return asFile(scope, index);
  return { kind: "directory", realPath: target.realPath };
}

/**
 * Resolves a path and stats it, or returns null if that fails or, unless symlinks may leave
 * it, the real path lies outside the root.
 *
 * @param scope the root, and whether symlinks may leave it
 * @param candidate an absolute path
 * @returns the real path and its stat, or null
 * @throws {FilesUnavailable} when the system cannot answer (not for a missing path)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inspect } from "./locate.ts";
 * const root = Deno.realPathSync(Deno.makeTempDirSync());
 * Deno.writeTextFileSync(`${root}/a.txt`, "hello");
 * const scope = { root, followSymlinks: false };
 * assert.equal(inspect(scope, `${root}/a.txt`)?.info.size, 5);
 * assert.equal(inspect(scope, `${root}/missing.txt`), null);
 * Deno.removeSync(root, { recursive: true });
 * ```
 */
export function inspect(
  scope: LocateScope,
  candidate: string,
): { realPath: string; info: Deno.FileInfo } | null {
  try {
    // Sync on purpose: this runs on a worker thread, which exists to absorb blocking, and the
    // async variants cost a thread-pool round trip each (measured: 4k → 11k requests/s).
    const realPath = Deno.realPathSync(candidate);
    if (!scope.followSymlinks && !isInside(scope.root, realPath)) return null;
    return { realPath, info: Deno.statSync(realPath) };
  } catch (error) {
    // Missing, permission denied, ENOTDIR, symlink loops and races all mean the same to a client;
    // a failing system call (ENOMEM, EIO) says nothing about the path.
    if (isGone(error)) return null;
    throw new FilesUnavailable(error);
  }
}

/**
 * Whether a real path is the root or below it. The separator check keeps "/srv/site2" out of
 * "/srv/site"; it is the platform's, since real paths on Windows use backslashes.
 *
 * @param root the root, a real path
 * @param path a real path
 * @param separator the path separator
 * @returns true when `path` lies inside `root`
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isInside } from "./locate.ts";
 * assert.equal(isInside("C:\\site", "C:\\site\\a.txt", "\\"), true);
 * assert.equal(isInside("/srv/site", "/srv/site2/a.txt", "/"), false);
 * ```
 */
export function isInside(root: string, path: string, separator: string = sep): boolean {
  if (path === root) return true;
  const prefix = root.endsWith(separator) ? root : root + separator;
  return path.startsWith(prefix);
}

function asFile(scope: LocateScope, found: { realPath: string; info: Deno.FileInfo }): Located {
  const siblings: Sibling[] = [];
  for (const { coding, extension } of PRECOMPRESSED) {
    const sibling = inspect(scope, found.realPath + extension);
    if (sibling !== null && sibling.info.isFile) {
      siblings.push({ coding, ...identityOf(sibling.realPath, sibling.info) });
    }
  }
  const root = scope.followSymlinks ? null : scope.root;
  return { kind: "file", file: identityOf(found.realPath, found.info), siblings, root };
}
