import assert from "node:assert/strict";
import { formatSize, renderListingHtml } from "../../lib/static/listing_html.ts";

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
