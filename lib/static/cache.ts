/**
 * A per-worker cache of hot static files: where a URL path leads, the response headers, and
 * the bytes of small files.
 *
 * A hit costs no system call and no header work, instead of realpath, stat, open, read and
 * close. An entry is trusted for {@linkcode TRUST_MS}; after that the next hit revalidates it
 * with one `stat` against size, mtime and ctime (a `stat` per hit took 28% of a worker's time),
 * so a changed file is served stale for at most that long. Where the path leads (symlinks) is
 * resolved again once an entry is older than {@linkcode RESOLVE_AGAIN_MS}.
 *
 * @module
 */
import { httpDate } from "../http/date.ts";
import type { Located } from "./locate.ts";
import { contentType } from "./mime.ts";

/** An entry checked this recently is served without looking at the disk. */
export const TRUST_MS = 100;
/** Entries older than this resolve their path again, so a swapped symlink is noticed. */
export const RESOLVE_AGAIN_MS = 1000;

/** A file as the cache knows it. */
export interface CachedFile {
  realPath: string;
  size: number;
  /** content-type, content-length and, when known, last-modified. */
  headers: Array<[string, string]>;
  /** The whole file, for files up to the cache's size limit; null for larger ones. */
  bytes: Uint8Array | null;
}

interface Entry extends CachedFile {
  mtimeMs: number;
  ctimeMs: number;
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

/** The cache; it owns the bytes it keeps. Oldest-used entries go first when it is full. */
export class FileCache {
  #entries = new Map<string, Entry>();
  #limits: FileCacheLimits;
  #totalBytes = 0;

  /**
   * Creates an empty cache.
   *
   * @param limits how much it may keep
   */
  constructor(limits: FileCacheLimits) {
    this.#limits = limits;
  }

  /**
   * The cached file for a URL path, if it is cached and unchanged on disk.
   *
   * @param urlPath the decoded, normalized URL path
   * @param now the current time in ms
   * @returns the file, or null when the caller must locate it
   */
  get(urlPath: string, now: number = Date.now()): CachedFile | null {
    const entry = this.#entries.get(urlPath);
    if (entry === undefined) return null;
    if (now - entry.checkedAt > TRUST_MS) {
      if (now - entry.resolvedAt > RESOLVE_AGAIN_MS || !unchanged(entry)) {
        this.#drop(urlPath, entry);
        return null;
      }
      entry.checkedAt = now;
    }
    // Re-insert so iteration order is least recently used first.
    this.#entries.delete(urlPath);
    this.#entries.set(urlPath, entry);
    return entry;
  }

  /**
   * Remembers a located file (reading it whole when small) and returns what was cached.
   *
   * @param urlPath the URL path it was located for
   * @param found the file `locate()` found
   * @returns the cached file, or null when it changed while being read
   */
  put(urlPath: string, found: Extract<Located, { kind: "file" }>): CachedFile | null {
    let info: Deno.FileInfo;
    let bytes: Uint8Array | null = null;
    try {
      if (found.size <= this.#limits.maxFileBytes) bytes = Deno.readFileSync(found.realPath);
      info = Deno.statSync(found.realPath);
    } catch {
      return null;
    }
    if (info.size !== found.size || (bytes !== null && bytes.byteLength !== info.size)) return null;
    const entry: Entry = {
      realPath: found.realPath,
      size: info.size,
      headers: fileHeaders(found.realPath, info),
      bytes,
      mtimeMs: info.mtime?.getTime() ?? -1,
      ctimeMs: info.ctime?.getTime() ?? -1,
      resolvedAt: Date.now(),
      checkedAt: Date.now(),
    };
    const old = this.#entries.get(urlPath);
    if (old) this.#drop(urlPath, old);
    this.#entries.set(urlPath, entry);
    this.#totalBytes += bytes?.byteLength ?? 0;
    this.#evict();
    return entry;
  }

  #drop(urlPath: string, entry: Entry): void {
    this.#entries.delete(urlPath);
    this.#totalBytes -= entry.bytes?.byteLength ?? 0;
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

/** Whether the file at the entry's real path is still the one cached. */
function unchanged(entry: Entry): boolean {
  try {
    const info = Deno.statSync(entry.realPath);
    return info.isFile && info.size === entry.size &&
      (info.mtime?.getTime() ?? -1) === entry.mtimeMs &&
      (info.ctime?.getTime() ?? -1) === entry.ctimeMs;
  } catch {
    return false;
  }
}

/**
 * The headers every 200 response for a file carries.
 *
 * @param realPath the file's path (for its type)
 * @param info its stat
 * @returns content-type, content-length and last-modified when known
 * @example
 * ```ts
 * import { fileHeaders } from "./cache.ts";
 * const headers = fileHeaders("/srv/site/a.txt", Deno.statSync("."));
 * ```
 */
export function fileHeaders(
  realPath: string,
  info: { size: number; mtime: Date | null },
): Array<[string, string]> {
  const headers: Array<[string, string]> = [
    ["content-type", contentType(realPath)],
    ["content-length", String(info.size)],
  ];
  if (info.mtime !== null) headers.push(["last-modified", httpDate(info.mtime.getTime())]);
  return headers;
}
