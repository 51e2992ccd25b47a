/**
 * @module
 * The HTML page of a directory listing, in the default site's look (light and dark): breadcrumbs,
 * a table of names with file-type icons, sizes and dates, column headers that sort by link, a
 * filter box that works in the page, and a line for an empty folder; names HTML-escaped
 * (attributes too) and links percent-encoded.
 * Pure: no Deno APIs. It defines the entries it renders; `listing.ts` reads them from disk.
 */
import { escapeHtml, pageHead } from "../http/pages.ts";

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

/** The listing's own look, after the default site's stylesheet. */
const STYLE = `
main { max-width: 60rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; overflow-wrap: anywhere; }
h1 a { color: inherit; text-decoration: none; }
h1 a:hover { color: var(--accent); }
.bar { display: flex; gap: 0.75rem; align-items: center; margin: 0 0 1rem; }
.bar input { flex: 1; min-width: 0; font: inherit; padding: 0.45rem 0.75rem; color: var(--text);
  background: var(--card); border: 1px solid var(--border); border-radius: 8px; }
.bar input:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
.count { color: var(--muted); font-size: 0.9rem; white-space: nowrap; }
table { width: 100%; border-collapse: collapse; background: var(--card);
  border: 1px solid var(--border); border-radius: 14px; overflow: hidden; }
th, td { padding: 0.45rem 0.8rem; text-align: left; }
th { font-size: 0.85rem; color: var(--muted); border-bottom: 1px solid var(--border); }
th a { color: inherit; text-decoration: none; }
tbody tr + tr td { border-top: 1px solid var(--border); }
tbody tr:hover td { background: color-mix(in srgb, var(--accent) 6%, transparent); }
td.n { overflow-wrap: anywhere; }
td.n a { color: var(--text); text-decoration: none; }
td.n a:hover { color: var(--accent); text-decoration: underline; }
td.n svg { width: 1.15em; height: 1.15em; vertical-align: -0.2em; margin-right: 0.5em;
  color: var(--muted); flex: none; }
tr.dir svg { color: var(--accent); }
td.s, td.d, th.s, th.d { white-space: nowrap; color: var(--muted); font-size: 0.9rem; }
td.s, th.s { text-align: right; }
.empty, .none { color: var(--muted); text-align: center; padding: 1.5rem; }
[hidden] { display: none !important; }
@media (max-width: 480px) {
  th.d, td.d { display: none; }
  th, td { padding: 0.45rem 0.5rem; }
}
`;

/** File-type icons, drawn once as symbols and used by each row: no request leaves the page. */
const ICONS = `<svg width="0" height="0" style="position:absolute" aria-hidden="true">
<symbol id="i-dir" viewBox="0 0 24 24"><path fill="currentColor" d="M3 6.5A2.5 2.5 0 0 1 5.5 4h4l2 2.5h7A2.5 2.5 0 0 1 21 9v8.5a2.5 2.5 0 0 1-2.5 2.5h-13A2.5 2.5 0 0 1 3 17.5z"/></symbol>
<symbol id="i-file" viewBox="0 0 24 24"><path fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" d="M6 3h8l4 4v14H6z M14 3v4h4"/></symbol>
<symbol id="i-text" viewBox="0 0 24 24"><path fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" d="M6 3h8l4 4v14H6z M14 3v4h4 M9 12h6 M9 15.5h6 M9 8.5h2"/></symbol>
<symbol id="i-code" viewBox="0 0 24 24"><path fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" d="M9 7l-5 5 5 5 M15 7l5 5-5 5"/></symbol>
<symbol id="i-image" viewBox="0 0 24 24"><path fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" d="M4 5h16v14H4z M4 16l5-5 4 4 2-2 5 5"/><circle cx="15.5" cy="9" r="1.5" fill="currentColor"/></symbol>
<symbol id="i-media" viewBox="0 0 24 24"><path fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" d="M4 5h16v14H4z"/><path fill="currentColor" d="M10 9v6l5-3z"/></symbol>
<symbol id="i-archive" viewBox="0 0 24 24"><path fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" d="M4 4h16v4H4z M5 8h14v12H5z M10 12h4"/></symbol>
</svg>
`;

/** Extensions by icon; anything else is a plain file. */
const ICON_EXTENSIONS: Record<string, readonly string[]> = {
  text: ["txt", "md", "csv", "log", "pdf", "doc", "docx", "rtf", "odt"],
  code: [
    "html",
    "htm",
    "css",
    "js",
    "mjs",
    "ts",
    "tsx",
    "jsx",
    "json",
    "xml",
    "yml",
    "yaml",
    "toml",
    "sh",
    "py",
    "rs",
    "go",
    "c",
    "h",
    "cpp",
    "java",
    "rb",
    "php",
    "wasm",
  ],
  image: ["png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico", "bmp", "tif", "tiff"],
  media: ["mp4", "webm", "mov", "mkv", "avi", "mp3", "ogg", "wav", "flac", "m4a", "aac", "opus"],
  archive: ["zip", "gz", "tgz", "br", "zst", "bz2", "xz", "7z", "rar", "tar", "iso", "dmg"],
};

/** The filter: hides rows whose name does not contain the text; runs in the page. */
const FILTER_SCRIPT = `<script type="module">
(() => {
  const input = document.getElementById("filter");
  const rows = [...document.querySelectorAll("tbody tr[data-name]")];
  const none = document.getElementById("none");
  const count = document.getElementById("count");
  const show = () => {
    const term = input.value.trim().toLowerCase();
    let shown = 0;
    for (const row of rows) {
      const hit = row.dataset.name.toLowerCase().includes(term);
      row.toggleAttribute("hidden", !hit);
      if (hit) shown++;
    }
    if (none) none.toggleAttribute("hidden", shown > 0 || rows.length === 0);
    if (count) count.textContent = term === "" ? count.dataset.all : shown + " of " + rows.length;
  };
  input.addEventListener("input", show);
  show();
})();
</script>
`;

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
    : `<tr class="dir up"><td class="n">${
      icon("dir")
    }<a href="../">../</a></td><td class="s"></td><td class="d"></td></tr>\n`;
  const all = `${entries.length} ${entries.length === 1 ? "entry" : "entries"}`;
  const bar = entries.length === 0 ? "" : `<div class="bar"><input id="filter" type="search" ` +
    `placeholder="Filter names" aria-label="Filter names" autocomplete="off">` +
    `<span class="count" id="count" data-all="${all}">${all}</span></div>\n`;
  const empty = entries.length === 0
    ? `<tr><td class="empty" colspan="3">This folder is empty.</td></tr>\n`
    : `<tr id="none" hidden><td class="none" colspan="3">No names match the filter.</td></tr>\n`;
  return pageHead(title, STYLE) + `<body>\n${ICONS}<main>\n` +
    `<h1>Index of ${breadcrumbs(urlPath)}</h1>\n${bar}<table>\n<thead><tr>${
      headerCells(order)
    }</tr></thead>\n` +
    `<tbody>\n${parent}${entries.map(row).join("")}${empty}</tbody>\n</table>\n</main>\n` +
    `<footer>heiretsu</footer>\n${entries.length === 0 ? "" : FILTER_SCRIPT}</body>\n</html>\n`;
}

/** The icon of each extension, looked up once per row instead of searched. */
const ICON_OF_EXTENSION = new Map(
  Object.entries(ICON_EXTENSIONS).flatMap(([kind, extensions]) =>
    extensions.map((extension) => [extension, kind] as const)
  ),
);

/** An icon from the page's symbols. */
function icon(kind: string): string {
  return `<svg aria-hidden="true"><use href="#i-${kind}"></use></svg>`;
}

/** The icon a file's extension calls for. */
function iconOf(entry: ListingEntry): string {
  if (entry.kind === "directory") return "dir";
  const dot = entry.name.lastIndexOf(".");
  const extension = dot <= 0 ? "" : entry.name.slice(dot + 1).toLowerCase();
  return ICON_OF_EXTENSION.get(extension) ?? "file";
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
