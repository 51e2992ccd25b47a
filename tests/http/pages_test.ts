import assert from "node:assert/strict";
import { errorPage, escapeHtml } from "../../lib/http/pages.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("escapeHtml() replaces the five HTML-significant characters", () => {
  assert.equal(
    escapeHtml(`<a href="x" title='y'>&</a>`),
    "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
  );
});

Deno.test("escapeHtml() leaves plain and non-ASCII text alone", () => {
  assert.equal(escapeHtml("café /a/b"), "café /a/b");
});

Deno.test("errorPage() titles the page with status and reason phrase", () => {
  const page = decode(errorPage(404));
  assert.ok(page.startsWith("<!DOCTYPE html>\n"));
  assert.match(page, /<title>404 Not Found<\/title>/);
  assert.match(page, /<h1>404 Not Found<\/h1>/);
  assert.match(page, /<meta charset="utf-8">/);
  assert.ok(!page.includes("<p>"));
});

Deno.test("errorPage() escapes the detail", () => {
  const page = decode(errorPage(400, "<script>alert(1)</script>"));
  assert.match(page, /<p>&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/p>/);
  assert.ok(!page.includes("<script>"));
});

Deno.test("errorPage() names reasons for 301, 405 and 500", () => {
  assert.match(decode(errorPage(301)), /<title>301 Moved Permanently<\/title>/);
  assert.match(decode(errorPage(405)), /<title>405 Method Not Allowed<\/title>/);
  assert.match(decode(errorPage(500)), /<title>500 Internal Server Error<\/title>/);
});

Deno.test("errorPage() falls back to a generic reason for an unknown status", () => {
  assert.match(decode(errorPage(599)), /<title>599 Unknown Status<\/title>/);
});
