/**
 * @module
 * The look of a folder listing: its stylesheet (after the default site's, which is inlined
 * once by `lib/http/pages.ts`), the file-type icons and the filter script. Pure text.
 */
/** The listing's own look, after the default site's stylesheet. */
export const STYLE = `
main { max-width: 60rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; overflow-wrap: anywhere; }
h1 a { color: var(--accent); text-decoration: none; }
h1 a:hover { text-decoration: underline; }
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
td.n { overflow-wrap: anywhere; position: relative; padding-left: 2.45rem; }
td.n a { color: var(--text); text-decoration: none; }
td.n a:hover { color: var(--accent); text-decoration: underline; }
td.n svg { width: 1.15em; height: 1.15em; position: absolute; left: 0.8rem; top: 0.62rem;
  color: var(--muted); }
tr.dir svg { color: var(--accent); }
td.s, td.d, th.s, th.d { white-space: nowrap; color: var(--muted); font-size: 0.9rem; }
td.s, th.s { text-align: right; }
.empty, .none { color: var(--muted); text-align: center; padding: 1.5rem; }
.pages { color: var(--muted); font-size: 0.9rem; margin: 0 0 1rem; }
.pages a { color: var(--accent); margin-left: 0.75rem; }
[hidden] { display: none !important; }
@media (max-width: 480px) {
  th.d, td.d { display: none; }
  th, td { padding: 0.45rem 0.5rem; }
  td.n { padding-left: 2.1rem; }
  td.n svg { left: 0.5rem; }
}
`;

/** File-type icons, drawn once as symbols and used by each row: no request leaves the page. */
export const ICONS = `<svg width="0" height="0" style="position:absolute" aria-hidden="true">
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
export const FILTER_SCRIPT = `<script type="module">
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

/** The icon of each extension, looked up once per row instead of searched. */
const ICON_OF_EXTENSION = new Map(
  Object.entries(ICON_EXTENSIONS).flatMap(([kind, extensions]) =>
    extensions.map((extension) => [extension, kind] as const)
  ),
);

/**
 * An icon from the page's symbols.
 *
 * @param kind the symbol's name: "dir", "file", "text", "code", "image", "media", "archive"
 * @returns the SVG element that uses it
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { icon } from "./listing_look.ts";
 * assert.equal(icon("dir"), '<svg aria-hidden="true"><use href="#i-dir"></use></svg>');
 * ```
 */
export function icon(kind: string): string {
  return `<svg aria-hidden="true"><use href="#i-${kind}"></use></svg>`;
}

/**
 * The icon an entry calls for: a folder's, or by the file's extension.
 *
 * @param entry the entry's name and kind
 * @returns the symbol's name
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { iconOf } from "./listing_look.ts";
 * assert.equal(iconOf({ name: "a.PNG", kind: "file" }), "image");
 * ```
 */
export function iconOf(entry: { name: string; kind: "directory" | "file" }): string {
  if (entry.kind === "directory") return "dir";
  const dot = entry.name.lastIndexOf(".");
  const extension = dot <= 0 ? "" : entry.name.slice(dot + 1).toLowerCase();
  return ICON_OF_EXTENSION.get(extension) ?? "file";
}
