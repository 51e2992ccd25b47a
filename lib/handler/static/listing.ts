/**
 * @module
 * Reads a folder for `--list`: its entries, hiding what could not be served (dotfiles unless
 * allowed, symlinks leaving the root, special files), at most a bounded number of them, and
 * sorts them as the query asks (directories first). Built in slices of a few milliseconds
 * (see `slices.ts`), so a folder of 100,000 names does not hold the worker while it is read.
 */
import type { DotfilePolicy } from "../../config/settings.ts";
import { isListed } from "./dotfiles.ts";
import type { ListingEntry, ListingOrder } from "./listing_html.ts";
import { inspect, type LocateScope } from "./locate.ts";
import { Slicer, sortSliced } from "./slices.ts";

/** An entry with its place in name order, kept so other orders break ties without a collator. */
export interface RankedEntry extends ListingEntry {
  /** Position in name order (directories first), from 0. */
  rank: number;
}

/** A folder as read: its entries in name order, and whether the read stopped at the bound. */
export interface FolderEntries {
  /** Entries in name order, directories first. */
  entries: RankedEntry[];
  /** True when the folder has more names than were read. */
  truncated: boolean;
}

/** What reading a folder needs. */
export interface ReadOptions {
  dotfiles: DotfilePolicy;
  scope: LocateScope;
  /** Most names read from the folder; past it the listing says it is cut short. */
  maxEntries: number;
  /** Says when to yield; one per build. */
  slicer?: Slicer;
}

/** Stats made between two looks at the clock. */
const STATS_PER_CHECK = 32;

/**
 * Reads a folder's servable entries, in name order, in slices.
 *
 * @param dirRealPath the folder's real path
 * @param options what to hide, the root, and the bound on names read
 * @returns the entries and whether the bound cut them short
 * @throws what reading the folder throws (NotFound, PermissionDenied, EMFILE)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFolder } from "./listing.ts";
 * const root = Deno.realPathSync(Deno.makeTempDirSync());
 * Deno.writeTextFileSync(`${root}/b.txt`, "b");
 * Deno.writeTextFileSync(`${root}/a.txt`, "a");
 * Deno.writeTextFileSync(`${root}/.env`, "secret");
 * const scope = { root, followSymlinks: false };
 * const read = await readFolder(root, { dotfiles: "ignore", scope, maxEntries: 10 });
 * assert.deepEqual(read.entries.map((entry) => entry.name), ["a.txt", "b.txt"]);
 * Deno.removeSync(root, { recursive: true });
 * ```
 */
export async function readFolder(
  dirRealPath: string,
  options: ReadOptions,
): Promise<FolderEntries> {
  const slicer = options.slicer ?? new Slicer();
  const entries: RankedEntry[] = [];
  let read = 0;
  let truncated = false;
  for await (const dirent of Deno.readDir(dirRealPath)) {
    if (read === options.maxEntries) {
      truncated = true;
      break;
    }
    read++;
    if (!isListed(dirent.name, options.dotfiles)) continue;
    const entry = describe(`${dirRealPath}/${dirent.name}`, dirent, options.scope);
    if (entry !== null) entries.push(entry);
    // Deno's iterator hands out names already read without turning the event loop.
    if (read % STATS_PER_CHECK === 0 && slicer.due()) await slicer.yield();
  }
  const sorted = await sortSliced(entries, { compare: byKindAndName, slicer });
  // In place: the entries are this read's own, and a copy of each would be as many again.
  for (let rank = 0; rank < sorted.length; rank++) sorted[rank].rank = rank;
  return { entries: sorted, truncated };
}

/** An entry as listed, or null when a request for it would not find a file or folder. */
function describe(path: string, dirent: Deno.DirEntry, scope: LocateScope): RankedEntry | null {
  let info: Deno.FileInfo;
  if (dirent.isSymlink) {
    const target = inspect(scope, path);
    if (target === null) return null;
    info = target.info;
  } else {
    // lstat, not stat: an entry swapped for a symlink since it was listed must not show what the
    // link points to (a file outside the root); it is then neither a file nor a folder.
    try {
      info = Deno.lstatSync(path);
    } catch {
      return null;
    }
  }
  if (!info.isFile && !info.isDirectory) return null;
  return {
    name: dirent.name,
    kind: info.isDirectory ? "directory" : "file",
    size: info.isDirectory ? null : info.size,
    modifiedMs: info.mtime?.getTime() ?? null,
    rank: 0,
  };
}

/**
 * The order a listing query asks for; unknown values fall back to name, ascending.
 *
 * @param query the raw query string, without "?"
 * @returns the column and direction
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readOrder } from "./listing.ts";
 * assert.deepEqual(readOrder("sort=size&order=desc"), { sort: "size", order: "desc" });
 * assert.deepEqual(readOrder("sort=colour"), { sort: "name", order: "asc" });
 * ```
 */
export function readOrder(query: string): ListingOrder {
  const params = new URLSearchParams(query);
  const sort = params.get("sort");
  return {
    sort: sort === "size" || sort === "date" ? sort : "name",
    order: params.get("order") === "desc" ? "desc" : "asc",
  };
}

/** Names compared as people read them: numbers by value, case and accents aside. One for all. */
const NATURAL = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

/** Directories first, then natural name order, then code points (so equal-looking names keep one order). */
function byKindAndName(a: ListingEntry, b: ListingEntry): number {
  if (a.kind !== b.kind) return a.kind === "directory" ? -1 : 1;
  return NATURAL.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * Entries in the order asked for: directories first, then by the column and then the name, the
 * direction applying to both. Names are compared once, when the folder is read (`rank`); every
 * other order compares numbers.
 *
 * @param entries entries in name order, as {@linkcode readFolder} returns them
 * @param order the column and direction
 * @param slicer says when to yield
 * @returns a sorted copy
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sortEntries } from "./listing.ts";
 * const entries = [
 *   { name: "sub", kind: "directory" as const, size: null, modifiedMs: 0, rank: 0 },
 *   { name: "big", kind: "file" as const, size: 9, modifiedMs: 0, rank: 1 },
 *   { name: "small", kind: "file" as const, size: 1, modifiedMs: 0, rank: 2 },
 * ];
 * const sorted = await sortEntries(entries, { sort: "size", order: "asc" });
 * assert.deepEqual(sorted.map((entry) => entry.name), ["sub", "small", "big"]);
 * ```
 */
export function sortEntries(
  entries: readonly RankedEntry[],
  order: ListingOrder,
  slicer: Slicer = new Slicer(),
): Promise<RankedEntry[]> {
  const direction = order.order === "asc" ? 1 : -1;
  const key = (entry: RankedEntry) =>
    order.sort === "name" ? 0 : order.sort === "size" ? (entry.size ?? 0) : (entry.modifiedMs ?? 0);
  const compare = (a: RankedEntry, b: RankedEntry) => {
    if (a.kind !== b.kind) return a.kind === "directory" ? -1 : 1;
    return direction * (key(a) - key(b) || a.rank - b.rank);
  };
  return sortSliced(entries, { compare, slicer });
}
