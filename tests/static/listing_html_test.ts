import assert from "node:assert/strict";
import { formatSize, renderListingHtml } from "../../lib/static/listing_html.ts";

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
