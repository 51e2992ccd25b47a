/**
 * @module
 * A worker's listings, so that a folder asked for again is not read again: each is kept while
 * the folder's modification time (and inode) stay the same and for at most
 * {@linkcode LISTING_MAX_AGE_MS} (a file written in place changes its size, not the folder).
 * The cache holds at most `maxEntries` entries in all, dropping the least recently used
 * folders; one folder is read at a time per worker (requests for the same folder share the
 * read), so reads in progress hold at most one folder's entries besides the cache.
 */
import type { DotfilePolicy } from "../../config/settings.ts";
import type { ListingOrder } from "./listing_html.ts";
import { type FolderEntries, type RankedEntry, readFolder, sortEntries } from "./listing.ts";
import type { LocateScope } from "./locate.ts";

/** A listing kept at most this long, even while its folder's time stays the same. */
export const LISTING_MAX_AGE_MS = 60_000;

/**
 * Folder reads a worker holds queued or running at once; past it, a listing that needs another
 * is refused (503) rather than queued, so requests for many large folders (whose clients may
 * have left) cannot line up minutes of reading.
 */
export const MAX_QUEUED_READS = 4;

/**
 * Bytes of rendered listing pages each worker keeps, so a page asked for again is sent, not
 * rendered again (a page of 1,000 rows is about 300 KB and 10 ms to render). A page larger than
 * a quarter of it is rendered per request and not kept.
 */
export const RENDERED_PAGES_BYTES = 8 * 1024 * 1024;

/** The largest rendered page kept: a quarter of {@linkcode RENDERED_PAGES_BYTES}. */
export const MAX_KEPT_PAGE_BYTES = RENDERED_PAGES_BYTES / 4;

/** A folder as listed, with the orders asked for so far. */
export interface FolderListing extends FolderEntries {
  /** Tells this read of the folder from others, in the keys of rendered pages. */
  serial: number;
  /**
   * The entries in an order, sorted once and kept.
   *
   * @param order the column and direction
   * @returns the entries in that order
   */
  sorted(order: ListingOrder): Promise<readonly RankedEntry[]>;
}

/** What identifies a folder's state: a change to either means other entries. */
interface Stamp {
  mtimeMs: number | null;
  ino: number | null;
  readAt: number;
}

interface Kept {
  stamp: Stamp;
  listing: Promise<FolderListing>;
  /** Entries held once read; 0 while reading. */
  size: number;
}

/** The settings a listing depends on besides its folder. */
export interface ListingScope {
  dotfiles: DotfilePolicy;
  scope: LocateScope;
}

/** A worker's listings of folders, bounded in entries. */
export class ListingCache {
  #maxEntries: number;
  #kept = new Map<string, Kept>();
  #held = 0;
  /** The read in progress (or the last one): reads run one after another. */
  #reading: Promise<unknown> = Promise.resolve();
  /** Reads queued or running. */
  #queued = 0;
  #serial = 0;
  /** Rendered pages by listing serial and page key, least recently used first. */
  #pages = new Map<string, Uint8Array[]>();
  #pageBytes = 0;

  /**
   * @param maxEntries most entries read from one folder and held in all
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ListingCache } from "./listing_cache.ts";
   * const root = Deno.realPathSync(Deno.makeTempDirSync());
   * Deno.writeTextFileSync(`${root}/a.txt`, "a");
   * const cache = new ListingCache(1000);
   * const scope = { dotfiles: "ignore" as const, scope: { root, followSymlinks: false } };
   * const listing = await cache.get(root, scope);
   * assert.equal(listing.entries[0].name, "a.txt");
   * assert.equal(await cache.get(root, scope), listing);
   * Deno.removeSync(root, { recursive: true });
   * ```
   */
  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /**
   * Whether the folder's listing is kept and still current: it can be sent without a read.
   *
   * @param dirRealPath the folder's real path
   * @param scope what hides entries
   * @returns true when {@linkcode ListingCache.get} answers from memory
   */
  has(dirRealPath: string, scope: ListingScope): boolean {
    const kept = this.#kept.get(keyOf(dirRealPath, scope));
    return kept !== undefined && isCurrent(kept.stamp, stampOf(dirRealPath));
  }

  /**
   * Whether the folder's listing would need a read that cannot be queued now: it is neither
   * kept nor being read, and {@linkcode MAX_QUEUED_READS} reads are queued already.
   *
   * @param dirRealPath the folder's real path
   * @param scope what hides entries
   * @returns true when the listing should be refused for now
   */
  busy(dirRealPath: string, scope: ListingScope): boolean {
    return this.#queued >= MAX_QUEUED_READS && !this.has(dirRealPath, scope);
  }

  /**
   * The folder's listing: kept, or read (in slices, after any read in progress).
   *
   * @param dirRealPath the folder's real path
   * @param scope what hides entries
   * @returns the listing
   * @throws what reading the folder throws
   */
  get(dirRealPath: string, scope: ListingScope): Promise<FolderListing> {
    const key = keyOf(dirRealPath, scope);
    const stamp = stampOf(dirRealPath);
    const kept = this.#kept.get(key);
    if (kept !== undefined) {
      this.#kept.delete(key);
      this.#held -= kept.size;
      if (isCurrent(kept.stamp, stamp)) return this.#keep(key, kept);
    }
    this.#queued++;
    const read = this.#reading.then(() =>
      readFolder(dirRealPath, { ...scope, maxEntries: this.#maxEntries })
    );
    this.#reading = read.catch(() => {}).finally(() => this.#queued--);
    const serial = ++this.#serial;
    const entry: Kept = {
      stamp,
      listing: read.then((folder) => withOrders(folder, serial)),
      size: 0,
    };
    read.then(
      // An empty folder counts as one: its listing holds memory all the same.
      (folder) => this.#settle(key, { entry, size: Math.max(1, folder.entries.length) }),
      () => this.#kept.get(key) === entry && this.#kept.delete(key),
    );
    return this.#keep(key, entry);
  }

  /**
   * A rendered page kept by {@linkcode ListingCache.keepPage}.
   *
   * @param listing the folder listing it was rendered from
   * @param page what tells the page apart (order, page number, media type)
   * @returns its pieces, or undefined
   */
  page(listing: FolderListing, page: string): readonly Uint8Array[] | undefined {
    const key = `${listing.serial}\0${page}`;
    const pieces = this.#pages.get(key);
    if (pieces === undefined) return undefined;
    this.#pages.delete(key);
    this.#pages.set(key, pieces);
    return pieces;
  }

  /**
   * Keeps a rendered page, dropping the least recently used ones past
   * {@linkcode RENDERED_PAGES_BYTES}; a page over a quarter of it is not kept.
   *
   * @param listing the folder listing it was rendered from
   * @param rendered what tells the page apart, and its pieces
   */
  keepPage(listing: FolderListing, rendered: { page: string; pieces: Uint8Array[] }): void {
    const bytes = rendered.pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
    if (bytes > MAX_KEPT_PAGE_BYTES) return;
    const key = `${listing.serial}\0${rendered.page}`;
    if (this.#pages.has(key)) return;
    this.#pages.set(key, rendered.pieces);
    this.#pageBytes += bytes;
    for (const [oldKey, old] of this.#pages) {
      if (this.#pageBytes <= RENDERED_PAGES_BYTES) break;
      this.#pages.delete(oldKey);
      this.#pageBytes -= old.reduce((sum, piece) => sum + piece.byteLength, 0);
    }
  }

  #keep(key: string, entry: Kept): Promise<FolderListing> {
    this.#kept.set(key, entry);
    this.#held += entry.size;
    return entry.listing;
  }

  /** A read finished: its entries count against the bound; the oldest folders go. */
  #settle(key: string, read: { entry: Kept; size: number }): void {
    if (this.#kept.get(key) !== read.entry) return;
    read.entry.size = read.size;
    this.#held += read.size;
    for (const [oldKey, old] of this.#kept) {
      if (this.#held <= this.#maxEntries || oldKey === key) break;
      this.#kept.delete(oldKey);
      this.#held -= old.size;
    }
  }
}

function keyOf(dirRealPath: string, scope: ListingScope): string {
  return `${scope.dotfiles}\0${scope.scope.followSymlinks}\0${dirRealPath}`;
}

/** The folder's state now; a folder that cannot be stat'ed gets a stamp that matches nothing. */
function stampOf(dirRealPath: string): Stamp {
  const readAt = Date.now();
  try {
    const info = Deno.statSync(dirRealPath);
    return { mtimeMs: info.mtime?.getTime() ?? null, ino: info.ino, readAt };
  } catch {
    return { mtimeMs: NaN, ino: null, readAt };
  }
}

function isCurrent(kept: Stamp, now: Stamp): boolean {
  return kept.mtimeMs === now.mtimeMs && kept.ino === now.ino &&
    now.readAt - kept.readAt < LISTING_MAX_AGE_MS;
}

/** A folder's entries with its orders, each sorted when first asked for. */
function withOrders(folder: FolderEntries, serial: number): FolderListing {
  const orders = new Map<string, Promise<readonly RankedEntry[]>>();
  orders.set("name asc", Promise.resolve(folder.entries));
  return {
    ...folder,
    serial,
    sorted(order) {
      const key = `${order.sort} ${order.order}`;
      let sorted = orders.get(key);
      if (sorted === undefined) {
        sorted = sortEntries(folder.entries, order);
        orders.set(key, sorted);
      }
      return sorted;
    },
  };
}
