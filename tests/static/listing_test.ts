import assert from "node:assert/strict";
import { readOrder, renderListing, sortEntries } from "../../lib/static/listing.ts";
import type { ListingEntry } from "../../lib/static/listing_html.ts";

async function makeFolder(): Promise<{ base: string; root: string }> {
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "heiretsu-listing-" }));
  const root = `${base}/site`;
  await Deno.mkdir(`${root}/dir/sub`, { recursive: true });
  await Deno.writeTextFile(`${base}/outside.txt`, "out");
  await Deno.writeTextFile(`${root}/dir/b.txt`, "bb");
  await Deno.writeTextFile(`${root}/dir/a.txt`, "aaaa");
  await Deno.writeTextFile(`${root}/dir/.secret`, "s");
  await Deno.symlink("a.txt", `${root}/dir/link.txt`);
  await Deno.symlink("../../outside.txt", `${root}/dir/escape.txt`);
  await Deno.symlink("missing", `${root}/dir/dangling`);
  return { base, root };
}

const { base, root } = await makeFolder();
globalThis.addEventListener("unload", () => Deno.removeSync(base, { recursive: true }));

function list(options: { accept?: string; query?: string; follow?: boolean; dotfiles?: "allow" }) {
  const listing = renderListing(`${root}/dir`, {
    urlPath: "/dir/",
    query: options.query ?? "",
    accept: options.accept,
    dotfiles: options.dotfiles ?? "ignore",
    scope: { root, followSymlinks: options.follow ?? false },
  });
  assert.ok(listing !== null);
  return listing;
}

function names(options: Parameters<typeof list>[0]): string[] {
  const listing = list({ ...options, accept: "application/json" });
  return JSON.parse(new TextDecoder().decode(listing.bytes)).entries.map((e: ListingEntry) =>
    e.name
  );
}

Deno.test("renderListing() lists directories first, hiding dotfiles and escaping symlinks", () => {
  assert.deepEqual(names({}), ["sub", "a.txt", "b.txt", "link.txt"]);
  assert.deepEqual(names({ follow: true }), ["sub", "a.txt", "b.txt", "escape.txt", "link.txt"]);
  assert.deepEqual(names({ dotfiles: "allow" }), ["sub", ".secret", "a.txt", "b.txt", "link.txt"]);
});

Deno.test("renderListing() sorts by the query's column and order", () => {
  assert.deepEqual(names({ query: "sort=size&order=desc" }), ["sub", "link.txt", "a.txt", "b.txt"]);
  assert.deepEqual(names({ query: "sort=name&order=desc" }), ["sub", "link.txt", "b.txt", "a.txt"]);
});

Deno.test("renderListing() answers JSON with path, types, sizes and ISO dates", () => {
  const listing = list({ accept: "application/json" });
  assert.equal(listing.contentType, "application/json; charset=utf-8");
  const json = JSON.parse(new TextDecoder().decode(listing.bytes));
  assert.equal(json.path, "/dir/");
  assert.deepEqual(json.entries[0].type, "directory");
  assert.equal(json.entries[0].size, null);
  assert.deepEqual([json.entries[1].name, json.entries[1].type, json.entries[1].size], [
    "a.txt",
    "file",
    4,
  ]);
  assert.match(json.entries[1].modified, /^\d{4}-\d\d-\d\dT/);
});

Deno.test("renderListing() answers HTML unless JSON is preferred", () => {
  for (const accept of [undefined, "*/*", "text/html", "application/json;q=0.5, text/html"]) {
    assert.equal(list({ accept }).contentType, "text/html; charset=utf-8", accept);
  }
});

Deno.test("renderListing() returns null for a folder it cannot read", () => {
  const listing = renderListing(`${root}/nope`, {
    urlPath: "/nope/",
    query: "",
    dotfiles: "ignore",
    scope: { root, followSymlinks: false },
  });
  assert.equal(listing, null);
});

Deno.test("readOrder() falls back to name ascending for unknown values", () => {
  assert.deepEqual(readOrder(""), { sort: "name", order: "asc" });
  assert.deepEqual(readOrder("sort=evil&order=sideways"), { sort: "name", order: "asc" });
  assert.deepEqual(readOrder("sort=date&order=desc"), { sort: "date", order: "desc" });
});

Deno.test("sortEntries() breaks ties by name", () => {
  const entries: ListingEntry[] = [
    { name: "b", kind: "file", size: 1, modifiedMs: 5 },
    { name: "a", kind: "file", size: 1, modifiedMs: 5 },
  ];
  sortEntries(entries, { sort: "date", order: "asc" });
  assert.deepEqual(entries.map((e) => e.name), ["a", "b"]);
});

Deno.test("sortEntries() sorts names naturally: file-2 before file-10, case aside", () => {
  const names = ["file-10.txt", "File-3.txt", "file-2.txt", "file-1.txt", "a.txt"];
  const entries = names.map((name) => ({ name, kind: "file" as const, size: 1, modifiedMs: 0 }));
  sortEntries(entries, { sort: "name", order: "asc" });
  assert.deepEqual(entries.map((entry) => entry.name), [
    "a.txt",
    "file-1.txt",
    "file-2.txt",
    "File-3.txt",
    "file-10.txt",
  ]);
});
