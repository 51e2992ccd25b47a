/**
 * @module
 * The response to a folder listing (`--list`): HTML, or JSON when Accept prefers it, one page
 * of `--list-page` entries at a time, streamed as it is rendered (a piece per read of the
 * response, so a client that does not read holds one piece, not the page). The folder comes
 * from the worker's {@linkcode ListingCache}; the head is planned at once, the body waits for
 * the folder to be read.
 */
import type { DotfilePolicy } from "../../config/settings.ts";
import type { PlannedResponse } from "../handler.ts";
import { type ListingCache, MAX_KEPT_PAGE_BYTES } from "./listing_cache.ts";
import type { RankedEntry } from "./listing.ts";
import { readOrder } from "./listing.ts";
import { type ListingPaging, listingPieces } from "./listing_html.ts";
import type { LocateScope } from "./locate.ts";
import { preferredMedia } from "../../http/qvalues.ts";
import { EMPTY, finishHeaders, type HeaderPolicy } from "./respond.ts";
import { FilesUnavailable, isGone, ListingsBusy } from "./unavailable.ts";

/** What a listing needs to know about the request and the server. */
export interface ListingRequest {
  method: string;
  /** The decoded URL path of the folder, ending in "/". */
  urlPath: string;
  /** The raw query: `sort=name|size|date`, `order=asc|desc` and `page=N`. */
  query: string;
  /** The Accept field, if any. */
  accept?: string;
  dotfiles: DotfilePolicy;
  scope: LocateScope;
}

/** Where a listing comes from and how its response is finished. */
export interface ListingContext {
  cache: ListingCache;
  policy: HeaderPolicy;
  /** Entries per page (`--list-page`). */
  pageEntries: number;
  /** Most names read from a folder (`--list-max`), for the line that says so. */
  maxEntries: number;
}

const JSON_TYPE = "application/json";
const HTML_TYPE = "text/html";
/** Entries per piece of a JSON listing. */
const JSON_ENTRIES_PER_PIECE = 100;
const encoder = new TextEncoder();

/**
 * Plans the listing of a folder: 200 with a streamed body, or null when the folder cannot be
 * read (missing, unreadable: the caller answers 404).
 *
 * @param dirRealPath the folder's real path
 * @param parts the request, and the cache, policy and bounds
 * @returns the response, or null
 * @throws {FilesUnavailable} when the folder cannot be opened now (out of descriptors), or
 *   {@linkcode ListingsBusy} when the worker has as many folder reads queued as it may
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listingResponse } from "./listing_response.ts";
 * import { ListingCache } from "./listing_cache.ts";
 * import { headerPolicy } from "./respond.ts";
 * import { DEFAULTS } from "../../config/settings.ts";
 * const root = Deno.realPathSync(Deno.makeTempDirSync());
 * Deno.writeTextFileSync(`${root}/a.txt`, "a");
 * const response = listingResponse(root, {
 *   request: { method: "GET", urlPath: "/", query: "", accept: "application/json",
 *     dotfiles: "ignore", scope: { root, followSymlinks: false } },
 *   context: { cache: new ListingCache(100), policy: headerPolicy(DEFAULTS), pageEntries: 10,
 *     maxEntries: 100 },
 * });
 * assert.equal(response?.body.kind, "stream");
 * if (response?.body.kind === "stream") {
 *   const { entries } = JSON.parse(await new Response(response.body.stream).text());
 *   assert.equal(entries[0].name, "a.txt");
 * }
 * Deno.removeSync(root, { recursive: true });
 * ```
 */
export function listingResponse(
  dirRealPath: string,
  parts: { request: ListingRequest; context: ListingContext },
): PlannedResponse | null {
  const { request, context } = parts;
  const scope = { dotfiles: request.dotfiles, scope: request.scope };
  if (!context.cache.has(dirRealPath, scope) && !canRead(dirRealPath)) return null;
  const json = preferredMedia(request.accept, [HTML_TYPE, JSON_TYPE]) === JSON_TYPE;
  const headers = finishHeaders([
    ["content-type", `${json ? JSON_TYPE : HTML_TYPE}; charset=utf-8`],
    ["cache-control", "no-cache"],
  ], { policy: context.policy, vary: ["Accept"] });
  if (request.method === "HEAD") return { status: 200, headers, body: EMPTY };
  if (context.cache.busy(dirRealPath, scope)) throw new ListingsBusy();
  // Asked for now, so the bound on queued reads holds; awaited when the body is first read.
  const listing = context.cache.get(dirRealPath, scope);
  listing.catch(() => {}); // A client gone before its first read leaves no unhandled rejection.
  const page = async (): Promise<Page> => {
    const folder = await listing;
    const order = readOrder(request.query);
    const all = await folder.sorted(order);
    const paging = pagingOf(all.length, { query: request.query, ...context });
    paging.truncated = folder.truncated;
    const key = `${json ? "json" : "html"} ${order.sort} ${order.order} ${paging.page}`;
    const kept = context.cache.page(folder, key);
    if (kept !== undefined) return { pieces: kept.values() };
    const entries = all.slice(paging.first, paging.first + context.pageEntries);
    const text = json
      ? jsonPieces({ urlPath: request.urlPath, entries, paging })
      : listingPieces({ urlPath: request.urlPath, entries, order, paging });
    return rendering(text, (pieces) => context.cache.keepPage(folder, { page: key, pieces }));
  };
  return { status: 200, headers, body: { kind: "stream", stream: pieceStream(page) } };
}

/** A page's bytes one piece at a time: kept ones, or rendered as they are read. */
interface Page {
  pieces: Iterator<Uint8Array>;
}

/**
 * Pieces encoded as they are read; once all are, `keep` gets them (the page cache), unless the
 * page grew past what is kept: then each piece is dropped once sent.
 */
function rendering(text: Iterator<string>, keep: (pieces: Uint8Array[]) => void): Page {
  let done: Uint8Array[] | null = [];
  let doneBytes = 0;
  const pieces: Iterator<Uint8Array> = {
    next() {
      const next = text.next();
      if (next.done) {
        if (done !== null) keep(done);
        return { done: true, value: undefined };
      }
      const bytes = encoder.encode(next.value);
      doneBytes += bytes.byteLength;
      if (doneBytes > MAX_KEPT_PAGE_BYTES) done = null;
      done?.push(bytes);
      return { done: false, value: bytes };
    },
    return() {
      text.return?.();
      return { done: true, value: undefined };
    },
  };
  return { pieces };
}

/** Whether the folder can be opened for reading: gone or unreadable is null's case. */
function canRead(dirRealPath: string): boolean {
  try {
    Deno.openSync(dirRealPath, { read: true }).close();
    return true;
  } catch (error) {
    if (isGone(error)) return false;
    throw new FilesUnavailable(error);
  }
}

/**
 * Which page the query asks for (`page=N`, from 1; past the end, the last), and where it starts.
 *
 * @param total entries in the listing
 * @param options the query, entries per page and the bound on names read
 * @returns the paging
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pagingOf } from "./listing_response.ts";
 * const paging = pagingOf(2500, { query: "page=3", pageEntries: 1000, maxEntries: 1e5 });
 * assert.deepEqual([paging.page, paging.pages, paging.first], [3, 3, 2000]);
 * assert.equal(pagingOf(2500, { query: "page=x", pageEntries: 1000, maxEntries: 1e5 }).page, 1);
 * ```
 */
export function pagingOf(
  total: number,
  options: { query: string; pageEntries: number; maxEntries: number },
): ListingPaging {
  const pages = Math.max(1, Math.ceil(total / options.pageEntries));
  const asked = Number(new URLSearchParams(options.query).get("page"));
  const page = Number.isSafeInteger(asked) && asked >= 1 ? Math.min(asked, pages) : 1;
  const first = (page - 1) * options.pageEntries;
  return { page, pages, total, first, truncated: false, maxEntries: options.maxEntries };
}

/** The JSON listing in pieces: the paging, then the entries a hundred at a time. */
function* jsonPieces(
  listing: { urlPath: string; entries: readonly RankedEntry[]; paging: ListingPaging },
): Generator<string> {
  const { urlPath, entries, paging } = listing;
  const { page, pages, total, truncated } = paging;
  const head = JSON.stringify({ path: urlPath, page, pages, total, truncated });
  yield `${head.slice(0, -1)},"entries":[`;
  for (let at = 0; at < entries.length; at += JSON_ENTRIES_PER_PIECE) {
    const json = entries.slice(at, at + JSON_ENTRIES_PER_PIECE).map((entry) =>
      JSON.stringify({
        name: entry.name,
        type: entry.kind,
        size: entry.size,
        modified: entry.modifiedMs === null ? null : new Date(entry.modifiedMs).toISOString(),
      })
    );
    yield (at === 0 ? "" : ",") + json.join(",");
  }
  yield "]}\n";
}

/**
 * A byte stream that takes one piece per read: nothing is made ahead of what the writer takes
 * (highWaterMark 0), and a cancelled stream stops rendering.
 */
function pieceStream(page: () => Promise<Page>): ReadableStream<Uint8Array> {
  let pieces: Iterator<Uint8Array> | null = null;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      pieces ??= (await page()).pieces;
      const next = pieces.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel() {
      pieces?.return?.();
    },
  }, { highWaterMark: 0 });
}
