/**
 * @module
 * Tests for lib/handler/static/listing_response.ts: a folder listing as HTML or JSON, one page at a
 * time, streamed, and null for a folder that cannot be read.
 */
import assert from "node:assert/strict";
import { DEFAULTS } from "../../../lib/config/settings.ts";
import { ListingCache } from "../../../lib/handler/static/listing_cache.ts";
import { listingResponse, pagingOf } from "../../../lib/handler/static/listing_response.ts";
import { headerPolicy } from "../../../lib/handler/static/respond.ts";
import type { PlannedResponse } from "../../../lib/handler/handler.ts";
import { header, withoutDescriptors } from "./_helpers.ts";
import { FilesUnavailable } from "../../../lib/handler/static/unavailable.ts";

const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "heiretsu-lresp-" }));
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
await Deno.mkdir(`${root}/dir/sub`, { recursive: true });
for (let i = 0; i < 25; i++) await Deno.writeTextFile(`${root}/dir/f${i}.txt`, "x".repeat(i));

function list(
  request: { query?: string; accept?: string; method?: string; path?: string },
  cache = new ListingCache(1000),
): PlannedResponse | null {
  return listingResponse(`${root}${request.path ?? "/dir"}`, {
    request: {
      method: request.method ?? "GET",
      urlPath: "/dir/",
      query: request.query ?? "",
      accept: request.accept,
      dotfiles: "ignore",
      scope: { root, followSymlinks: false },
    },
    context: { cache, policy: headerPolicy(DEFAULTS), pageEntries: 10, maxEntries: 1000 },
  });
}

async function text(response: PlannedResponse | null): Promise<string> {
  assert.ok(response !== null && response.body.kind === "stream");
  return await new Response(response.body.stream).text();
}

Deno.test("listingResponse() answers JSON pages with the paging and ISO dates", async () => {
  const response = list({ accept: "application/json", query: "page=3" });
  assert.equal(header(response!, "content-type"), "application/json; charset=utf-8");
  assert.equal(header(response!, "vary"), "Accept");
  assert.equal(header(response!, "content-length"), undefined);
  const json = JSON.parse(await text(response));
  assert.deepEqual([json.path, json.page, json.pages, json.total, json.truncated], [
    "/dir/",
    3,
    3,
    26,
    false,
  ]);
  assert.deepEqual(json.entries.map((e: { name: string }) => e.name), [
    "f19.txt",
    "f20.txt",
    "f21.txt",
    "f22.txt",
    "f23.txt",
    "f24.txt",
  ]);
  assert.match(json.entries[0].modified, /^\d{4}-\d\d-\d\dT/);
  const first = JSON.parse(await text(list({ accept: "application/json" })));
  assert.deepEqual([first.entries[0].name, first.entries[0].type, first.entries[0].size], [
    "sub",
    "directory",
    null,
  ]);
});

Deno.test("listingResponse() answers HTML unless JSON is preferred, HEAD without a body", async () => {
  for (const accept of [undefined, "*/*", "text/html", "application/json;q=0.5, text/html"]) {
    const response = list({ accept });
    assert.equal(header(response!, "content-type"), "text/html; charset=utf-8", accept);
    assert.match(await text(response), /Entries 1–10 of 26 \(page 1 of 3\)/);
  }
  assert.equal(list({ method: "HEAD" })?.body.kind, "empty");
});

Deno.test("listingResponse() sends a page again from memory, the same bytes", async () => {
  const cache = new ListingCache(1000);
  const first = await text(list({ query: "sort=size&order=desc&page=2" }, cache));
  const again = await text(list({ query: "sort=size&order=desc&page=2" }, cache));
  assert.equal(again, first);
  assert.match(first, /f14\.txt/);
});

Deno.test("listingResponse() is null for a folder that cannot be read, 503's error out of descriptors", () => {
  assert.equal(list({ path: "/nope" }), null);
  withoutDescriptors(() => assert.throws(() => list({}), FilesUnavailable));
});

Deno.test("pagingOf() clamps the page asked for to the pages there are", () => {
  const options = { pageEntries: 10, maxEntries: 100 };
  assert.equal(pagingOf(26, { ...options, query: "page=99" }).page, 3);
  assert.equal(pagingOf(26, { ...options, query: "page=0" }).page, 1);
  assert.equal(pagingOf(26, { ...options, query: "page=-2" }).page, 1);
  assert.equal(pagingOf(0, { ...options, query: "" }).pages, 1);
});
