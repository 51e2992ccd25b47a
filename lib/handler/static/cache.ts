/**
 * A per-worker cache of hot static files: what a URL path leads to, with each file's type,
 * validators, precompressed siblings, the bytes of small ones, and (filled on first use) the
 * headers of its 200 response.
 *
 * A hit costs no system call and no header work, instead of realpath, stat, open, read and
 * close. An entry is trusted for {@linkcode TRUST_MS}; after that the next hit revalidates it
 * with one `stat` per stored form against size, mtime and ctime (a `stat` per hit took 28% of a
 * worker's time), so a changed file is served stale for at most that long. Where the path leads
 * (symlinks, siblings that appeared) is resolved again once an entry is older than
 * {@linkcode RESOLVE_AGAIN_MS}.
 *
 * What is cached is always one version of a file: its bytes are read from the handle whose
 * fstat gave the validators, and a file opened later must still be that inode with those times
 * (see `identity.ts`), else the caller forgets the entry and looks the path up again. The cache
 * also tracks where the root leads (a `current → release-N` symlink), looking again at most
 * every {@linkcode TRUST_MS}, and forgets everything when that changes.
 *
 * @module
 */
import { httpDate } from "../../http/date.ts";
import { strongEtag, type Validators } from "./conditional.ts";
import type { Coding } from "./encoding.ts";
import { type FileIdentity, openLocated, sameFile } from "./identity.ts";
import type { Located } from "./locate.ts";
import { contentType, isCompressible } from "./mime.ts";

/** An entry checked this recently is served without looking at the disk. */
export const TRUST_MS = 100;
/** Entries older than this resolve their path again, so a swapped symlink is noticed. */
export const RESOLVE_AGAIN_MS = 1000;

/**
 * One stored form of a file (the file itself or a precompressed sibling): which inode it is,
 * and its validators.
 */
export interface StoredForm extends Validators, FileIdentity {
  /** The content coding of a precompressed sibling; null for the file itself. */
  coding: Coding | null;
  /** The Last-Modified value; null when the file system gave no mtime. */
  lastModified: string | null;
  /** The whole form, when it is no larger than the cache's per-file limit; else null. */
  bytes: Uint8Array | null;
  /** The headers of its 200 response under one header policy, kept by the response builder. */
  okHeaders: { policy: object; headers: ReadonlyArray<readonly [string, string]> } | null;
}

/** A file as the handler serves it. */
export interface StaticFile {
  contentType: string;
  /** Whether `--compress` may compress it (by type; the size threshold is checked apart). */
  compressible: boolean;
  identity: StoredForm;
  /** Precompressed siblings, in the server's order of preference. */
  encoded: StoredForm[];
}

interface Entry {
  file: StaticFile;
  bytes: number;
  resolvedAt: number;
  checkedAt: number;
}

/** Limits of a {@linkcode FileCache}. */
export interface FileCacheLimits {
  /** Most paths remembered. */
  maxEntries: number;
  /** Largest file whose bytes are kept. */
  maxFileBytes: number;
  /** Most file bytes kept in all. */
  maxTotalBytes: number;
}

/**
 * The cache; it owns the bytes it keeps. Oldest-used entries go first when it is full. It also
 * remembers URL paths that led to nothing, on their own list, so the routes of an app behind the
 * files (and 404s) cost no system call either, and a flood of made-up paths cannot push hot
 * files out.
 */
export class FileCache {
  #entries = new Map<string, Entry>();
  /** URL paths that led to nothing, with when that was seen, oldest first. */
  #missing = new Map<string, number>();
  #limits: FileCacheLimits;
  #totalBytes = 0;
  /** The root as given, its real path, and when that was looked up. */
  #root: { given: string; real: string; checkedAt: number } | null = null;

  /**
   * Creates an empty cache.
   *
   * @param limits how much it may keep
   */
  constructor(limits: FileCacheLimits) {
    this.#limits = limits;
  }

  /**
   * The real path of the root, looked up again once the last look is older than
   * {@linkcode TRUST_MS}. When it changed (a `current → release-N` symlink flipped), everything
   * cached is forgotten, so nothing of the old tree is served once the flip is seen.
   *
   * @param given the root as configured, possibly a symlink
   * @param now the current time in ms
   * @returns the root's real path, or the last one seen while the root cannot be resolved
   */
  realRoot(given: string, now: number = Date.now()): string {
    const seen = this.#root;
    if (seen?.given === given && now - seen.checkedAt <= TRUST_MS) return seen.real;
    let real: string;
    try {
      real = Deno.realPathSync(given);
    } catch {
      // A flip by a tool that unlinks before it links: keep the last tree, look again next time.
      return seen?.real ?? given;
    }
    if (seen !== null && (seen.given !== given || seen.real !== real)) this.#clear();
    this.#root = { given, real, checkedAt: now };
    return real;
  }

  /**
   * The cached file for a URL path, if it is cached and unchanged on disk.
   *
   * @param urlPath the decoded, normalized URL path
   * @param now the current time in ms
   * @returns the file, or null when the caller must locate it
   */
  get(urlPath: string, now: number = Date.now()): StaticFile | null {
    const entry = this.#entries.get(urlPath);
    if (entry === undefined) return null;
    if (now - entry.checkedAt > TRUST_MS) {
      if (now - entry.resolvedAt > RESOLVE_AGAIN_MS || !unchanged(entry.file)) {
        this.#drop(urlPath, entry);
        return null;
      }
      entry.checkedAt = now;
    }
    // Re-insert so iteration order is least recently used first.
    this.#entries.delete(urlPath);
    this.#entries.set(urlPath, entry);
    return entry.file;
  }

  /**
   * Whether a URL path was found to lead to nothing within the last {@linkcode TRUST_MS}.
   *
   * @param urlPath the decoded, normalized URL path
   * @param now the current time in ms
   * @returns true when the caller may answer as if it looked and found nothing
   */
  isMissing(urlPath: string, now: number = Date.now()): boolean {
    const seenAt = this.#missing.get(urlPath);
    if (seenAt === undefined) return false;
    if (now - seenAt <= TRUST_MS) return true;
    this.#missing.delete(urlPath);
    return false;
  }

  /**
   * Remembers that a URL path leads to nothing; at most `maxEntries` such paths, oldest out.
   *
   * @param urlPath the URL path that `locate()` found nothing at
   * @param now the current time in ms
   */
  rememberMissing(urlPath: string, now: number = Date.now()): void {
    this.#missing.delete(urlPath);
    this.#missing.set(urlPath, now);
    if (this.#missing.size > this.#limits.maxEntries) {
      this.#missing.delete(this.#missing.keys().next().value!);
    }
  }

  /**
   * Forgets a URL path's file, which was found to be no longer the one described.
   *
   * @param urlPath the URL path it was cached for
   */
  forget(urlPath: string): void {
    const entry = this.#entries.get(urlPath);
    if (entry !== undefined) this.#drop(urlPath, entry);
  }

  /**
   * Remembers a located file (reading small forms whole) and returns what was cached.
   *
   * @param urlPath the URL path it was located for
   * @param found the file `locate()` found
   * @returns the cached file, or null when it changed since it was located or while read
   */
  put(urlPath: string, found: Extract<Located, { kind: "file" }>): StaticFile | null {
    this.#missing.delete(urlPath);
    const file = describeFile(found, this.#limits.maxFileBytes);
    if (file === null) return null;
    const old = this.#entries.get(urlPath);
    if (old) this.#drop(urlPath, old);
    const now = Date.now();
    const bytes = [file.identity, ...file.encoded]
      .reduce((sum, form) => sum + (form.bytes?.byteLength ?? 0), 0);
    this.#entries.set(urlPath, { file, bytes, resolvedAt: now, checkedAt: now });
    this.#totalBytes += bytes;
    this.#evict();
    return file;
  }

  #clear(): void {
    this.#entries.clear();
    this.#missing.clear();
    this.#totalBytes = 0;
  }

  #drop(urlPath: string, entry: Entry): void {
    this.#entries.delete(urlPath);
    this.#totalBytes -= entry.bytes;
  }

  #evict(): void {
    for (const [urlPath, entry] of this.#entries) {
      const full = this.#entries.size > this.#limits.maxEntries ||
        this.#totalBytes > this.#limits.maxTotalBytes;
      if (!full) return;
      this.#drop(urlPath, entry);
    }
  }
}

/**
 * Describes a located file for serving: type, validators and siblings, reading the bytes of
 * every form up to `maxBytes`. Each form is opened and its handle checked to be the file
 * located, at its real path under the root through real folders only (`openLocated()`); bytes
 * are read from that handle.
 *
 * @param found the file `locate()` found
 * @param maxBytes largest form whose bytes are read; 0 reads none
 * @returns the file, or null when the file is no longer the one located (replaced, reached
 *   through a swapped symlink, changed while being read); a sibling that is is left out
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeFile } from "./cache.ts";
 * import { locate } from "./locate.ts";
 * const root = Deno.realPathSync(Deno.makeTempDirSync());
 * Deno.writeTextFileSync(`${root}/a.txt`, "hello");
 * const found = locate({ root, followSymlinks: false }, "/a.txt");
 * assert.equal(found.kind, "file");
 * const file = found.kind === "file" ? describeFile(found, 0) : null;
 * assert.match(file!.identity.etag ?? "", /^"[^"]+"$/);
 * Deno.removeSync(root, { recursive: true });
 * ```
 */
export function describeFile(
  found: Extract<Located, { kind: "file" }>,
  maxBytes: number,
): StaticFile | null {
  const { root } = found;
  const identity = storedForm(found.file, { coding: null, maxBytes, root });
  if (identity === null) return null;
  const encoded: StoredForm[] = [];
  for (const sibling of found.siblings) {
    const form = storedForm(sibling, { coding: sibling.coding, maxBytes, root });
    if (form !== null) encoded.push(form);
  }
  const type = contentType(found.file.realPath);
  return { contentType: type, compressible: isCompressible(type), identity, encoded };
}

function storedForm(
  located: FileIdentity,
  options: { coding: Coding | null; maxBytes: number; root: string | null },
): StoredForm | null {
  const file = openLocated(located, options);
  if (file === null) return null;
  try {
    let bytes: Uint8Array | null = null;
    if (located.size <= options.maxBytes) {
      bytes = readWhole(file, located);
      if (bytes === null) return null;
    }
    return formOf(located, { coding: options.coding, bytes });
  } finally {
    file.close();
  }
}

/** Reads a whole file from its handle, or returns null when it changed while being read. */
function readWhole(file: Deno.FsFile, known: FileIdentity): Uint8Array | null {
  const bytes = new Uint8Array(known.size);
  let got = 0;
  while (got < bytes.byteLength) {
    const n = file.readSync(bytes.subarray(got));
    if (n === null) return null;
    got += n;
  }
  // Written in place during the read, the bytes may mix two versions: the times tell.
  return sameFile(file.statSync(), known) ? bytes : null;
}

function formOf(
  identity: FileIdentity,
  options: { coding: Coding | null; bytes: Uint8Array | null },
): StoredForm {
  const { size, mtimeMs } = identity;
  const modifiedMs = mtimeMs === null ? null : Math.floor(mtimeMs / 1000) * 1000;
  return {
    ...identity,
    coding: options.coding,
    etag: mtimeMs === null ? null : strongEtag({ size, mtimeMs }, options.coding ?? undefined),
    modifiedMs,
    lastModified: modifiedMs === null ? null : httpDate(modifiedMs),
    bytes: options.bytes,
    okHeaders: null,
  };
}

/** Whether every stored form of the file is still the one cached. */
function unchanged(file: StaticFile): boolean {
  if (!formUnchanged(file.identity)) return false;
  for (const form of file.encoded) if (!formUnchanged(form)) return false;
  return true;
}

function formUnchanged(form: StoredForm): boolean {
  try {
    return sameFile(Deno.statSync(form.realPath), form);
  } catch {
    return false;
  }
}
