/**
 * @module
 * The HTML page of a directory listing, in the default site's look (light and dark): breadcrumbs,
 * a table of names with file-type icons, sizes and dates, column headers that sort by link, a
 * filter box that works in the page, and a line for an empty folder; names HTML-escaped
 * (attributes too) and links percent-encoded.
 * Pure: no Deno APIs. It defines the entries it renders; `listing.ts` reads them from disk.
 */
import { escapeHtml, pageHead } from "../../http/pages.ts";
import { FILTER_SCRIPT, icon, iconOf, ICONS, STYLE } from "./listing_look.ts";

/** One listed entry. */
export interface ListingEntry {
  name: string;
  kind: "directory" | "file";
  /** Size in bytes; null for directories. */
  size: number | null;
  /** Modification time in ms since the epoch; null when unknown. */
  modifiedMs: number | null;
}

/** The column a listing is sorted by, and in which direction. */
export interface ListingOrder {
  sort: "name" | "size" | "date";
  order: "asc" | "desc";
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

const COLUMNS: ReadonlyArray<{ sort: ListingOrder["sort"]; label: string; cell: string }> = [
  { sort: "name", label: "Name", cell: "n" },
  { sort: "size", label: "Size", cell: "s" },
  { sort: "date", label: "Modified", cell: "d" },
];

/** Where a page sits in the whole listing; absent: one page holding every entry. */
export interface ListingPaging {
  /** This page's number, from 1. */
  page: number;
  /** How many pages there are (at least 1). */
  pages: number;
  /** Entries in the whole listing. */
  total: number;
  /** The index, in the whole listing, of this page's first entry. */
  first: number;
  /** True when the folder has more names than were read (`--list-max`). */
  truncated: boolean;
  /** The bound on names read, for the line that says the listing is cut short. */
  maxEntries: number;
}

/** What one listing page shows. */
export interface ListingPageSpec {
  /** The folder's URL path, ending in "/". */
  urlPath: string;
  /** This page's entries, in order. */
  entries: readonly ListingEntry[];
  order: ListingOrder;
  paging?: ListingPaging;
}

/** Rows rendered per piece: a piece is what one read of the response stream takes. */
const ROWS_PER_PIECE = 100;

/**
 * Renders the listing page of a folder.
 *
 * @param listing the folder's URL path, the page's entries, their order and the paging
 * @returns the HTML document
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderListingHtml } from "./listing_html.ts";
 * const html = renderListingHtml({
 *   urlPath: "/docs/",
 *   entries: [{ name: "<b>.txt", kind: "file", size: 3, modifiedMs: 0 }],
 *   order: { sort: "name", order: "asc" },
 * });
 * assert.ok(html.includes("&lt;b&gt;.txt"));
 * assert.ok(!html.includes("<b>"));
 * ```
 */
export function renderListingHtml(listing: ListingPageSpec): string {
  return [...listingPieces(listing)].join("");
}

/**
 * The listing page in pieces, each rendered when asked for: the head, rows a hundred at a time,
 * the end. A response stream takes one piece per read, so a page is held in memory no more
 * than a piece at a time.
 *
 * @param listing as for {@linkcode renderListingHtml}
 * @returns the pieces, in order
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listingPieces } from "./listing_html.ts";
 * const entries = Array.from({ length: 250 }, (_, i) => ({
 *   name: `f${i}`, kind: "file" as const, size: 1, modifiedMs: 0,
 * }));
 * const pieces = [...listingPieces({ urlPath: "/", entries, order: { sort: "name", order: "asc" } })];
 * assert.equal(pieces.length, 5); // head, 3 pieces of rows, end
 * ```
 */
export function* listingPieces(listing: ListingPageSpec): Generator<string> {
  const { urlPath, entries, order } = listing;
  const paging = listing.paging ?? onePage(entries.length);
  const keep = sortQuery(order);
  const parent = urlPath === "/" ? "" : `<tr class="dir up"><td class="n">${icon("dir")}` +
    `<a href="${
      escapeHtml(`../${keep}`)
    }">../</a></td><td class="s"></td><td class="d"></td></tr>\n`;
  const empty = paging.total === 0;
  yield pageHead(escapeHtml(`Index of ${urlPath}`), STYLE) + `<body>\n${ICONS}<main>\n` +
    `<h1>Index of ${breadcrumbs(urlPath, keep)}</h1>\n${empty ? "" : filterBar(entries, paging)}` +
    pagesLine(order, { paging, shown: entries.length }) +
    `<table>\n<thead><tr>${headerCells(order)}</tr></thead>\n<tbody>\n${parent}`;
  for (let at = 0; at < entries.length; at += ROWS_PER_PIECE) {
    let rows = "";
    for (const entry of entries.slice(at, at + ROWS_PER_PIECE)) rows += row(entry, keep);
    yield rows;
  }
  const none = empty
    ? `<tr><td class="empty" colspan="3">This folder is empty.</td></tr>\n`
    : `<tr id="none" hidden><td class="none" colspan="3">No names match the filter.</td></tr>\n`;
  yield `${none}</tbody>\n</table>\n</main>\n<footer>heiretsu</footer>\n` +
    `${empty ? "" : FILTER_SCRIPT}</body>\n</html>\n`;
}

function onePage(total: number): ListingPaging {
  return { page: 1, pages: 1, total, first: 0, truncated: false, maxEntries: Infinity };
}

/** The filter box and the count; with several pages, it filters the page shown. */
function filterBar(entries: readonly ListingEntry[], paging: ListingPaging): string {
  const total = `${count(paging.total)} ${paging.total === 1 ? "entry" : "entries"}`;
  const all = paging.pages === 1 ? total : `${count(entries.length)} of ${total}`;
  const what = paging.pages === 1 ? "Filter names" : "Filter names on this page";
  return `<div class="bar"><input id="filter" type="search" placeholder="${what}" ` +
    `aria-label="${what}" autocomplete="off">` +
    `<span class="count" id="count" data-all="${all}">${all}</span></div>\n`;
}

/**
 * The line that says which part of the listing this page is, with links to the others, and
 * that the listing stops at `--list-max` when the folder has more names.
 */
function pagesLine(order: ListingOrder, at: { paging: ListingPaging; shown: number }): string {
  const { paging } = at;
  const { page, pages, total, first } = paging;
  let line = "";
  if (pages > 1) {
    const link = (to: number, label: string, rel = "") =>
      `<a${rel} href="${escapeHtml(pageQuery(order, to))}">${label}</a>`;
    line += `Entries ${count(first + 1)}–${count(first + at.shown)} of ${count(total)} (page ${
      count(page)
    } of ${count(pages)}).`;
    if (page > 1) line += link(1, "First") + link(page - 1, "← Previous", ' rel="prev"');
    if (page < pages) line += link(page + 1, "Next →", ' rel="next"') + link(pages, "Last");
  }
  if (paging.truncated) {
    line += `${line === "" ? "" : " "}This folder has more than ${
      count(paging.maxEntries)
    } names: only the first ${count(paging.maxEntries)} read are listed (--list-max).`;
  }
  return line === "" ? "" : `<p class="pages">${line}</p>\n`;
}

/** 100000 as "100,000". */
function count(n: number): string {
  return n.toLocaleString("en");
}

/**
 * The query that keeps a listing's order in the links to other folders: "" for name ascending
 * (the default), else `?sort=…&order=…`.
 *
 * @param order the listing's order
 * @returns the query, with "?", or ""
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sortQuery } from "./listing_html.ts";
 * assert.equal(sortQuery({ sort: "size", order: "desc" }), "?sort=size&order=desc");
 * assert.equal(sortQuery({ sort: "name", order: "asc" }), "");
 * ```
 */
export function sortQuery(order: ListingOrder): string {
  return order.sort === "name" && order.order === "asc"
    ? ""
    : `?sort=${order.sort}&order=${order.order}`;
}

function pageQuery(order: ListingOrder, page: number): string {
  return `?sort=${order.sort}&order=${order.order}&page=${page}`;
}

/** "/a/b/" as links to "/", "/a/" and "/a/b/", each keeping the order (`keep`). */
function breadcrumbs(urlPath: string, keep: string): string {
  const segments = urlPath.split("/").filter((segment) => segment !== "");
  let href = "/";
  const links = [`<a href="${escapeHtml(`/${keep}`)}">/</a>`];
  for (const segment of segments) {
    href += `${encodeURIComponent(segment)}/`;
    links.push(`<a href="${escapeHtml(href + keep)}">${escapeHtml(segment)}</a>/`);
  }
  return links.join("");
}

/** Column headers linking to the listing sorted by them; the current column toggles order. */
function headerCells(current: ListingOrder): string {
  return COLUMNS.map(({ sort, label, cell }) => {
    const active = sort === current.sort;
    const next = active && current.order === "asc" ? "desc" : "asc";
    const mark = active ? (current.order === "asc" ? " ▲" : " ▼") : "";
    const sorted = active ? ` aria-sort="${current.order}ending"` : "";
    return `<th class="${cell}"${sorted}><a href="?sort=${sort}&amp;order=${next}">${label}${mark}</a></th>`;
  }).join("");
}

/** One entry's row; a folder's link keeps the order (`keep`), a file's needs none. */
function row(entry: ListingEntry, keep: string): string {
  const slash = entry.kind === "directory" ? "/" : "";
  const query = entry.kind === "directory" ? keep : "";
  const href = escapeHtml(encodeURIComponent(entry.name) + slash + query);
  const size = entry.size === null ? "—" : formatSize(entry.size);
  const sizeTitle = entry.size === null ? "" : ` title="${entry.size} bytes"`;
  const date = entry.modifiedMs === null ? "" : formatDate(entry.modifiedMs);
  const kind = entry.kind === "directory" ? "dir" : "file";
  const name = escapeHtml(entry.name);
  return `<tr class="${kind}" data-name="${name}"><td class="n">${icon(iconOf(entry))}` +
    `<a href="${href}">${name}${slash}</a></td>` +
    `<td class="s"${sizeTitle}>${size}</td><td class="d">${date}</td></tr>\n`;
}

/**
 * A byte count for people: "512 B", "1.5 KiB", "20 MiB".
 *
 * @param bytes the size
 * @returns the size with a binary unit, one decimal below 10
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSize } from "./listing_html.ts";
 * assert.equal(formatSize(1536), "1.5 KiB");
 * assert.equal(formatSize(512), "512 B");
 * ```
 */
export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** "2024-05-01 13:45 UTC" inside a machine-readable time element. */
function formatDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`;
}
