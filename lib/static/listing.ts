/**
 * @module
 * Directory listings for `--list`: reads a folder without index.html, hides what could not be
 * served (dotfiles unless allowed, symlinks leaving the root, special files), sorts it as the
 * query asks (directories first), and renders HTML or, when Accept prefers it, JSON.
 */
import type { DotfilePolicy } from "../config/settings.ts";
import { isListed } from "./dotfiles.ts";
import { type ListingEntry, type ListingOrder, renderListingHtml } from "./listing_html.ts";
import { inspect, type LocateScope } from "./locate.ts";
import { preferredMedia } from "./qvalues.ts";

/** What a listing needs to know about the request and the server. */
export interface ListingRequest {
  /** The decoded URL path of the folder, ending in "/". */
  urlPath: string;
  /** The raw query: `sort=name|size|date` and `order=asc|desc`. */
  query: string;
  /** The Accept field, if any. */
  accept?: string;
  dotfiles: DotfilePolicy;
  scope: LocateScope;
}

/** A rendered listing. */
export interface Listing {
  contentType: string;
  bytes: Uint8Array;
}

const JSON_TYPE = "application/json";
const HTML_TYPE = "text/html";
const encoder = new TextEncoder();

/**
 * Lists a folder as HTML, or as JSON when Accept prefers application/json.
 *
 * @param dirRealPath the folder's real path
 * @param request the URL path, query, Accept and the policies that hide entries
 * @returns the listing, or null when the folder cannot be read
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderListing } from "./listing.ts";
 * const root = Deno.realPathSync(Deno.makeTempDirSync());
 * Deno.writeTextFileSync(`${root}/a.txt`, "a");
 * Deno.writeTextFileSync(`${root}/.env`, "secret");
 * const listing = renderListing(root, {
 *   urlPath: "/",
 *   query: "sort=size&order=desc",
 *   accept: "application/json",
 *   dotfiles: "ignore",
 *   scope: { root, followSymlinks: false },
 * });
 * assert.equal(listing?.contentType, "application/json; charset=utf-8");
 * const { entries } = JSON.parse(new TextDecoder().decode(listing?.bytes));
 * assert.deepEqual(entries.map((entry: { name: string }) => entry.name), ["a.txt"]);
 * Deno.removeSync(root, { recursive: true });
 * ```
 */
export function renderListing(dirRealPath: string, request: ListingRequest): Listing | null {
  const entries = readEntries(dirRealPath, request);
  if (entries === null) return null;
  const order = readOrder(request.query);
  sortEntries(entries, order);
  if (preferredMedia(request.accept, [HTML_TYPE, JSON_TYPE]) === JSON_TYPE) {
    const json = entries.map((entry) => ({
      name: entry.name,
      type: entry.kind,
      size: entry.size,
      modified: entry.modifiedMs === null ? null : new Date(entry.modifiedMs).toISOString(),
    }));
    const text = JSON.stringify({ path: request.urlPath, entries: json });
    return { contentType: `${JSON_TYPE}; charset=utf-8`, bytes: encoder.encode(text + "\n") };
  }
  const html = renderListingHtml({ urlPath: request.urlPath, entries, order });
  return { contentType: `${HTML_TYPE}; charset=utf-8`, bytes: encoder.encode(html) };
}

/** The folder's servable entries, or null when it cannot be read. */
function readEntries(dirRealPath: string, request: ListingRequest): ListingEntry[] | null {
  const entries: ListingEntry[] = [];
  try {
    for (const dirent of Deno.readDirSync(dirRealPath)) {
      if (!isListed(dirent.name, request.dotfiles)) continue;
      const entry = describe(`${dirRealPath}/${dirent.name}`, dirent, request.scope);
      if (entry !== null) entries.push(entry);
    }
  } catch {
    return null;
  }
  return entries;
}

/** An entry as listed, or null when a request for it would not find a file or folder. */
function describe(path: string, dirent: Deno.DirEntry, scope: LocateScope): ListingEntry | null {
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

/** Names compared as people read them: numbers by value, case and accents aside. */
const NATURAL = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

/**
 * Sorts entries in place: directories first, then by the column and then the name, the
 * direction applying to both.
 *
 * @param entries the entries
 * @param order the column and direction
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sortEntries } from "./listing.ts";
 * const entries = [
 *   { name: "small", kind: "file" as const, size: 1, modifiedMs: 0 },
 *   { name: "big", kind: "file" as const, size: 9, modifiedMs: 0 },
 *   { name: "sub", kind: "directory" as const, size: null, modifiedMs: 0 },
 * ];
 * sortEntries(entries, { sort: "size", order: "desc" });
 * assert.deepEqual(entries.map((entry) => entry.name), ["sub", "big", "small"]);
 * ```
 */
export function sortEntries(entries: ListingEntry[], order: ListingOrder): void {
  const direction = order.order === "asc" ? 1 : -1;
  // Natural order (file-2 before file-10, case aside), then code points so equal-looking
  // names still sort the same way every time.
  const byName = (a: ListingEntry, b: ListingEntry) =>
    NATURAL.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const key = (entry: ListingEntry) =>
    order.sort === "size" ? (entry.size ?? 0) : (entry.modifiedMs ?? 0);
  entries.sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === "directory" ? -1 : 1;
    const primary = order.sort === "name" ? byName(a, b) : key(a) - key(b);
    return direction * (primary !== 0 ? primary : byName(a, b));
  });
}
