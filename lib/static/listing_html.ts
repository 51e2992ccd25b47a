/**
 * @module
 * The HTML page of a directory listing: breadcrumbs, a table of names, sizes and dates with
 * column headers that sort by link (no script), names HTML-escaped and links percent-encoded.
 * Pure: no Deno APIs. It defines the entries it renders; `listing.ts` reads them from disk.
 */
import { escapeHtml } from "../http/pages.ts";

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

const STYLE =
  `body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
h1{font-size:1.3rem;font-weight:600;word-break:break-all}h1 a{color:inherit}
table{border-collapse:collapse;width:100%}th,td{padding:.3rem .6rem;text-align:left}
th{border-bottom:2px solid #ddd}th a{color:inherit;text-decoration:none}
tr:nth-child(even) td{background:#f6f6f6}td.n{word-break:break-all}td.s,td.d,th.s,th.d{white-space:nowrap}
td.s,th.s{text-align:right}a{color:#0645ad}`;

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

const COLUMNS: ReadonlyArray<{ sort: ListingOrder["sort"]; label: string; cell: string }> = [
  { sort: "name", label: "Name", cell: "n" },
  { sort: "size", label: "Size", cell: "s" },
  { sort: "date", label: "Modified", cell: "d" },
];

/**
 * Renders the listing page of a folder.
 *
 * @param listing the folder's URL path (ending in "/"), its sorted entries and their order
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
export function renderListingHtml(
  listing: { urlPath: string; entries: ListingEntry[]; order: ListingOrder },
): string {
  const { urlPath, entries, order } = listing;
  const title = escapeHtml(`Index of ${urlPath}`);
  const parent = urlPath === "/"
    ? ""
    : `<tr><td class="n"><a href="../">../</a></td><td class="s"></td><td class="d"></td></tr>\n`;
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>${title}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n` +
    `<h1>Index of ${breadcrumbs(urlPath)}</h1>\n<table>\n<thead><tr>${
      headerCells(order)
    }</tr></thead>\n` +
    `<tbody>\n${parent}${entries.map(row).join("")}</tbody>\n</table>\n</body>\n</html>\n`;
}

/** "/a/b/" as links to "/", "/a/" and "/a/b/". */
function breadcrumbs(urlPath: string): string {
  const segments = urlPath.split("/").filter((segment) => segment !== "");
  let href = "/";
  const links = ['<a href="/">/</a>'];
  for (const segment of segments) {
    href += `${encodeURIComponent(segment)}/`;
    links.push(`<a href="${escapeHtml(href)}">${escapeHtml(segment)}</a>/`);
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

function row(entry: ListingEntry): string {
  const slash = entry.kind === "directory" ? "/" : "";
  const href = escapeHtml(encodeURIComponent(entry.name) + slash);
  const size = entry.size === null ? "—" : formatSize(entry.size);
  const sizeTitle = entry.size === null ? "" : ` title="${entry.size} bytes"`;
  const date = entry.modifiedMs === null ? "" : formatDate(entry.modifiedMs);
  return `<tr><td class="n"><a href="${href}">${escapeHtml(entry.name)}${slash}</a></td>` +
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
