import assert from "node:assert/strict";
import {
  formatSize,
  listingPieces,
  renderListingHtml,
} from "../../../lib/handler/static/listing_html.ts";

const NAME_ORDER = { sort: "name", order: "asc" } as const;

const ENTRIES = [
  { name: "sub dir", kind: "directory" as const, size: null, modifiedMs: 0 },
  { name: '<script>alert("x")</script>.txt', kind: "file" as const, size: 2048, modifiedMs: 0 },
];

Deno.test("renderListingHtml() escapes names and percent-encodes their links", () => {
  const html = renderListingHtml({
    urlPath: "/a/",
    entries: ENTRIES,
    order: { sort: "name", order: "asc" },
  });
  assert.ok(!html.includes("<script>"));
  assert.ok(html.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;.txt"));
  assert.ok(html.includes('href="%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E.txt"'));
  assert.ok(html.includes('href="sub%20dir/">sub dir/</a>'));
});

Deno.test("renderListingHtml() links breadcrumbs to every ancestor and a parent row", () => {
  const html = renderListingHtml({
    urlPath: "/a b/c/",
    entries: [],
    order: { sort: "name", order: "asc" },
  });
  assert.ok(html.includes('<a href="/">/</a><a href="/a%20b/">a b</a>/<a href="/a%20b/c/">c</a>/'));
  assert.ok(html.includes('<a href="../">../</a>'));
  const top = renderListingHtml({
    urlPath: "/",
    entries: [],
    order: { sort: "name", order: "asc" },
  });
  assert.ok(!top.includes('href="../"'));
});

Deno.test("renderListingHtml() column links toggle the current column's order", () => {
  const html = renderListingHtml({
    urlPath: "/",
    entries: ENTRIES,
    order: { sort: "size", order: "asc" },
  });
  assert.ok(html.includes('href="?sort=size&amp;order=desc">Size ▲</a>'));
  assert.ok(html.includes('href="?sort=name&amp;order=asc">Name</a>'));
  assert.ok(html.includes('title="2048 bytes">2.0 KiB<'));
  assert.ok(html.includes('<time datetime="1970-01-01T00:00:00.000Z">1970-01-01 00:00 UTC</time>'));
});

Deno.test("formatSize() uses binary units with one decimal below ten", () => {
  assert.equal(formatSize(0), "0 B");
  assert.equal(formatSize(1023), "1023 B");
  assert.equal(formatSize(1536), "1.5 KiB");
  assert.equal(formatSize(20 * 1024 * 1024), "20 MiB");
  assert.equal(formatSize(3 * 1024 ** 5), "3072 TiB");
});

Deno.test("renderListingHtml() says an empty folder is empty, with no filter box", () => {
  const html = renderListingHtml({ urlPath: "/e/", entries: [], order: NAME_ORDER });
  assert.ok(html.includes("This folder is empty."));
  assert.ok(!html.includes('id="filter"'));
});

Deno.test("renderListingHtml() gives rows icons by type, a filter box, and escapes data-name", () => {
  const entries = [
    { name: "sub", kind: "directory" as const, size: null, modifiedMs: 0 },
    { name: 'a"b<c>.png', kind: "file" as const, size: 1, modifiedMs: 0 },
    { name: "notes.md", kind: "file" as const, size: 1, modifiedMs: 0 },
    { name: "blob", kind: "file" as const, size: 1, modifiedMs: 0 },
  ];
  const html = renderListingHtml({ urlPath: "/", entries, order: NAME_ORDER });
  assert.ok(
    html.includes(
      '<tr class="dir" data-name="sub"><td class="n"><svg aria-hidden="true"><use href="#i-dir">',
    ),
  );
  assert.ok(
    html.includes(
      'data-name="a&quot;b&lt;c&gt;.png"><td class="n"><svg aria-hidden="true"><use href="#i-image">',
    ),
  );
  assert.ok(html.includes('<use href="#i-text">'));
  assert.ok(html.includes('<use href="#i-file">'));
  assert.ok(html.includes('<input id="filter" type="search"'));
  assert.ok(html.includes('<meta name="color-scheme" content="light dark">'));
  assert.ok(!/\b(src|href)="https?:/.test(html), "no external requests");
});

Deno.test("renderListingHtml() keeps the sort order in folder and breadcrumb links, not file links", () => {
  const html = renderListingHtml({
    urlPath: "/a/b/",
    entries: ENTRIES,
    order: { sort: "size", order: "desc" },
  });
  assert.ok(html.includes('href="sub%20dir/?sort=size&amp;order=desc"'));
  assert.ok(html.includes('href="../?sort=size&amp;order=desc"'));
  assert.ok(
    html.includes(
      '<a href="/?sort=size&amp;order=desc">/</a><a href="/a/?sort=size&amp;order=desc">a</a>/',
    ),
  );
  assert.ok(html.includes('href="%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E.txt"'));
  // The default order needs no query.
  const plain = renderListingHtml({ urlPath: "/a/", entries: ENTRIES, order: NAME_ORDER });
  assert.ok(plain.includes('href="sub%20dir/"') && plain.includes('<a href="/">/</a>'));
});

Deno.test("renderListingHtml() colours breadcrumb links as links and hangs the icon beside long names", () => {
  const html = renderListingHtml({ urlPath: "/a/", entries: ENTRIES, order: NAME_ORDER });
  assert.match(html, /h1 a \{ color: var\(--accent\);/);
  assert.doesNotMatch(html, /h1 a \{ color: inherit/);
  // The icon sits in the cell's left padding, so a wrapped name's lines start beside it.
  assert.match(html, /td\.n \{[^}]*position: relative; padding-left: 2\.45rem;/);
  assert.match(html, /td\.n svg \{[^}]*position: absolute; left: 0\.8rem;/);
});

Deno.test("renderListingHtml() says which page it is, links the others, and says when the folder was cut short", () => {
  const entries = Array.from({ length: 3 }, (_, i) => ({
    name: `f${i}`,
    kind: "file" as const,
    size: 1,
    modifiedMs: 0,
  }));
  const html = renderListingHtml({
    urlPath: "/big/",
    entries,
    order: { sort: "date", order: "asc" },
    paging: { page: 2, pages: 5, total: 14_000, first: 3, truncated: true, maxEntries: 14_000 },
  });
  assert.ok(html.includes("Entries 4–6 of 14,000 (page 2 of 5)."));
  assert.ok(html.includes('<a rel="prev" href="?sort=date&amp;order=asc&amp;page=1">'));
  assert.ok(html.includes('<a rel="next" href="?sort=date&amp;order=asc&amp;page=3">'));
  assert.ok(html.includes('href="?sort=date&amp;order=asc&amp;page=5">Last</a>'));
  assert.ok(html.includes("only the first 14,000 read are listed (--list-max)"));
  assert.ok(html.includes('data-all="3 of 14,000 entries"'));
  assert.ok(html.includes('placeholder="Filter names on this page"'));
  const one = renderListingHtml({ urlPath: "/big/", entries, order: NAME_ORDER });
  assert.ok(!one.includes('class="pages"'));
});

Deno.test("listingPieces() renders rows a hundred at a time, the same page as a whole", () => {
  const entries = Array.from({ length: 250 }, (_, i) => ({
    name: `f${i}`,
    kind: "file" as const,
    size: 1,
    modifiedMs: 0,
  }));
  const spec = { urlPath: "/", entries, order: NAME_ORDER };
  const pieces = [...listingPieces(spec)];
  assert.equal(pieces.length, 5);
  assert.equal((pieces[1].match(/<tr /g) ?? []).length, 100);
  assert.equal(pieces.join(""), renderListingHtml(spec));
});
