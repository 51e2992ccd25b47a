import assert from "node:assert/strict";
import { DEFAULTS, type StaticSettings } from "../../../lib/config/settings.ts";
import { FileCache, TRUST_MS } from "../../../lib/handler/static/cache.ts";
import {
  serveStatic,
  type StaticRequest,
  type StaticResponse,
} from "../../../lib/handler/static/handler.ts";
import { header, withoutDescriptors } from "./_helpers.ts";
import { ListingCache, MAX_QUEUED_READS } from "../../../lib/handler/static/listing_cache.ts";
import type { FilesUnavailable } from "../../../lib/handler/static/unavailable.ts";

/** Builds <base>/site (the root) next to <base>/site2 and <base>/secret.txt. */
async function makeFixture(): Promise<{ base: string; root: string }> {
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "heiretsu-handler-" }));
  const root = `${base}/site`;
  for (const dir of ["site/docs", "site/empty", "site/with space/café", "site2"]) {
    await Deno.mkdir(`${base}/${dir}`, { recursive: true });
  }
  const files: Record<string, string> = {
    "secret.txt": "secret",
    "site2/hello.txt": "sibling",
    "site/hello.txt": "hello",
    "site/café.txt": "café",
    "site/style.css": "a{}",
    "site/docs/index.html": "<h1>docs</h1>",
  };
  for (const [path, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${base}/${path}`, text);
  }
  await Deno.symlink("hello.txt", `${root}/link.txt`);
  await Deno.symlink("../secret.txt", `${root}/escape.txt`);
  await Deno.symlink("../site2", `${root}/sibling`);
  return { base, root };
}

const { base, root } = await makeFixture();
globalThis.addEventListener("unload", () => Deno.removeSync(base, { recursive: true }));

function serve(method: string, target: string): StaticResponse {
  const request: StaticRequest = { method, target, headers: [["host", "localhost"]] };
  return serveStatic(request, { root });
}

/** A request under given settings, with extra request headers. */
function serveWith(
  settings: Partial<StaticSettings>,
  request: { method?: string; target: string; headers?: Array<[string, string]>; at?: string },
): StaticResponse {
  return serveStatic(
    { method: request.method ?? "GET", target: request.target, headers: request.headers ?? [] },
    { root: request.at ?? root, settings: { ...DEFAULTS, ...settings } },
  );
}

/** Reads a body to text, closing a file body. */
async function bodyText(response: StaticResponse): Promise<string> {
  const { body } = response;
  if (body.kind === "empty") return "";
  if (body.kind === "bytes") return new TextDecoder().decode(body.bytes);
  if (body.kind === "stream") return await new Response(body.stream).text();
  if (body.kind !== "file") throw new Error(`unexpected ${body.kind} body`);
  try {
    const bytes = new Uint8Array(body.length);
    let read = 0;
    while (read < body.length) {
      const n = await body.file.read(bytes.subarray(read));
      if (n === null) break;
      read += n;
    }
    return new TextDecoder().decode(bytes.subarray(0, read));
  } finally {
    body.file.close();
  }
}

/** Checks the invariants every response keeps: lower-case names, a content-length matching GET. */
function assertWellFormed(response: StaticResponse, method: string): void {
  for (const [name] of response.headers) assert.equal(name, name.toLowerCase());
  const length = Number(header(response, "content-length"));
  assert.ok(Number.isInteger(length) && length >= 0);
  const { body } = response;
  if (method === "HEAD") assert.equal(body.kind, "empty");
  if (body.kind === "bytes") assert.equal(body.bytes.length, length);
  if (body.kind === "file") assert.equal(body.length, length);
}

Deno.test("serveStatic() GET returns an open file with type, length and last-modified", async () => {
  const response = serve("GET", "/hello.txt");
  assertWellFormed(response, "GET");
  assert.equal(response.status, 200);
  assert.equal(header(response, "content-type"), "text/plain; charset=utf-8");
  assert.equal(header(response, "content-length"), "5");
  const mtime = (await Deno.stat(`${root}/hello.txt`)).mtime!;
  mtime.setMilliseconds(0);
  assert.equal(header(response, "last-modified"), mtime.toUTCString());
  assert.equal(response.body.kind, "file");
  assert.equal(await bodyText(response), "hello");
});

Deno.test("serveStatic() HEAD sends GET's headers without opening the file", async () => {
  const get = serve("GET", "/style.css");
  await bodyText(get);
  const head = serve("HEAD", "/style.css");
  assertWellFormed(head, "HEAD");
  assert.equal(head.status, 200);
  assert.deepEqual(head.headers, get.headers);
  assert.deepEqual(head.body, { kind: "empty" });
});

Deno.test("serveStatic() serves a percent-encoded unicode file name", async () => {
  const response = serve("GET", "/caf%C3%A9.txt?v=1");
  assert.equal(response.status, 200);
  assert.equal(header(response, "content-length"), String(new TextEncoder().encode("café").length));
  assert.equal(await bodyText(response), "café");
});

Deno.test("serveStatic() serves index.html for a directory with a trailing slash", async () => {
  const response = serve("GET", "/docs/");
  assert.equal(response.status, 200);
  assert.equal(header(response, "content-type"), "text/html; charset=utf-8");
  assert.equal(await bodyText(response), "<h1>docs</h1>");
});

Deno.test("serveStatic() follows a symlink inside the root", async () => {
  const response = serve("GET", "/link.txt");
  assert.equal(response.status, 200);
  assert.equal(await bodyText(response), "hello");
});

Deno.test("serveStatic() redirects a directory without trailing slash with 301", async () => {
  const response = serve("GET", "/docs");
  assertWellFormed(response, "GET");
  assert.equal(response.status, 301);
  assert.equal(header(response, "location"), "/docs/");
  assert.equal(header(response, "content-type"), "text/html; charset=utf-8");
  assert.match(await bodyText(response), /301 Moved Permanently/);
});

Deno.test("serveStatic() keeps the query and re-encodes the path in a redirect", () => {
  const response = serve("GET", "/with%20space/caf%C3%A9?a=1&b=%20");
  assert.equal(response.status, 301);
  assert.equal(header(response, "location"), "/with%20space/caf%C3%A9/?a=1&b=%20");
});

Deno.test("serveStatic() redirects to the normalized path, never to another host", () => {
  const response = serve("HEAD", "//docs/./");
  assert.equal(response.status, 200);
  const redirect = serve("HEAD", "//docs");
  assertWellFormed(redirect, "HEAD");
  assert.equal(header(redirect, "location"), "/docs/");
});

Deno.test("serveStatic() returns a 404 page for a missing file", async () => {
  for (const method of ["GET", "HEAD"]) {
    const response = serve(method, "/nope.txt");
    assertWellFormed(response, method);
    assert.equal(response.status, 404);
    assert.equal(header(response, "content-type"), "text/html; charset=utf-8");
  }
  assert.match(await bodyText(serve("GET", "/nope.txt")), /<title>404 Not Found<\/title>/);
});

Deno.test("serveStatic() returns 404 for a directory without index.html", () => {
  assert.equal((serve("GET", "/empty/")).status, 404);
});

Deno.test("serveStatic() returns 404 for symlinks out of the root and the prefix sibling", () => {
  for (const target of ["/escape.txt", "/sibling/hello.txt", "/sibling"]) {
    assert.equal((serve("GET", target)).status, 404, target);
  }
});

Deno.test("serveStatic() keeps traversal attempts inside the root", async () => {
  for (const target of ["/../secret.txt", "/%2e%2e/secret.txt", "/docs/%2E%2E%2F..%2Fsecret.txt"]) {
    assert.equal((serve("GET", target)).status, 404, target);
  }
  const response = serve("GET", "/docs/../../hello.txt");
  assert.equal(response.status, 200);
  assert.equal(await bodyText(response), "hello");
});

Deno.test("serveStatic() answers a malformed target with a 400 page", async () => {
  for (const target of ["/a%00b", "/a%5cb", "/%zz", "/%FF"]) {
    const response = serve("GET", target);
    assertWellFormed(response, "GET");
    assert.equal(response.status, 400, target);
    assert.match(await bodyText(response), /400 Bad Request/);
  }
});

Deno.test("serveStatic() answers OPTIONS with 204, Allow and no content-length, even for *", () => {
  for (const target of ["*", "/hello.txt", "/nope"]) {
    const response = serve("OPTIONS", target);
    assert.equal(response.status, 204);
    assert.deepEqual(response.headers, [
      ["allow", "GET, HEAD, OPTIONS"],
      ["x-content-type-options", "nosniff"],
    ]);
    assert.deepEqual(response.body, { kind: "empty" });
  }
});

Deno.test("serveStatic() rejects other methods with 405, Allow and a page", async () => {
  for (const method of ["POST", "PUT", "DELETE", "get"]) {
    const response = serve(method, "/hello.txt");
    assertWellFormed(response, method);
    assert.equal(response.status, 405, method);
    assert.equal(header(response, "allow"), "GET, HEAD, OPTIONS");
    assert.match(await bodyText(response), /405 Method Not Allowed/);
  }
});

Deno.test("serveStatic() returns 404 when the file vanishes before it is opened", async () => {
  await Deno.writeTextFile(`${root}/brief.txt`, "gone soon");
  const realOpen = Deno.openSync;
  // Stands in for a file deleted between locate() and open().
  Deno.openSync = (path, options) => {
    Deno.removeSync(`${root}/brief.txt`);
    return realOpen(path, options);
  };
  try {
    const response = serve("GET", "/brief.txt");
    assertWellFormed(response, "GET");
    assert.equal(response.status, 404);
  } finally {
    Deno.openSync = realOpen;
  }
});

Deno.test("serveStatic() sends nosniff with files, pages, redirects and errors", async () => {
  for (
    const [method, target] of [["GET", "/hello.txt"], ["GET", "/nope"], ["GET", "/docs"], [
      "GET",
      "/%zz",
    ], ["PUT", "/"]]
  ) {
    const response = serve(method, target);
    assert.equal(header(response, "x-content-type-options"), "nosniff", `${method} ${target}`);
    await bodyText(response);
  }
});

Deno.test("serveStatic() answers dotfiles 404 by default, 403 with deny, 200 with allow", async () => {
  await Deno.mkdir(`${root}/.git`, { recursive: true });
  await Deno.writeTextFile(`${root}/.git/config`, "[core]");
  await Deno.writeTextFile(`${root}/.env`, "SECRET=1");
  for (const target of ["/.env", "/.git/config", "/.git/", "/%2Eenv"]) {
    assert.equal(serveWith({}, { target }).status, 404, target);
    assert.equal(serveWith({ dotfiles: "deny" }, { target }).status, 403, target);
  }
  const allowed = serveWith({ dotfiles: "allow" }, { target: "/.env" });
  assert.equal(allowed.status, 200);
  assert.equal(await bodyText(allowed), "SECRET=1");
});

Deno.test("serveStatic() follows symlinks out of the root only with followSymlinks", async () => {
  assert.equal(serveWith({}, { target: "/escape.txt" }).status, 404);
  const followed = serveWith({ followSymlinks: true }, { target: "/escape.txt" });
  assert.equal(followed.status, 200);
  assert.equal(await bodyText(followed), "secret");
});

/** A second root with a 404.html and an index.html, for the fallbacks. */
async function makeAppRoot(): Promise<string> {
  const app = `${base}/app`;
  await Deno.mkdir(`${app}/assets`, { recursive: true });
  await Deno.writeTextFile(`${app}/index.html`, "<p>app shell</p>");
  await Deno.writeTextFile(`${app}/404.html`, "<p>custom missing</p>");
  await Deno.writeTextFile(`${app}/assets/app.js`, "boot();");
  return app;
}
const appRoot = await makeAppRoot();
const HTML_ACCEPT: Array<[string, string]> = [[
  "accept",
  "text/html,application/xhtml+xml,*/*;q=0.8",
]];

Deno.test("serveStatic() sends the root's 404.html with status 404 when present", async () => {
  for (const target of ["/missing", "/assets/missing.js", "/.env"]) {
    const response = serveWith({}, { target, at: appRoot });
    assertWellFormed(response, "GET");
    assert.equal(response.status, 404, target);
    assert.equal(header(response, "content-type"), "text/html; charset=utf-8");
    assert.equal(await bodyText(response), "<p>custom missing</p>");
  }
  const head = serveWith({}, { method: "HEAD", target: "/missing", at: appRoot });
  assert.equal(head.status, 404);
  assert.deepEqual(head.body, { kind: "empty" });
  assert.equal(header(head, "content-length"), "21");
});

Deno.test("serveStatic() with spa serves index.html for HTML routes and 404 for assets", async () => {
  const route = serveWith({ spa: true }, {
    target: "/users/42",
    headers: HTML_ACCEPT,
    at: appRoot,
  });
  assert.equal(route.status, 200);
  assert.equal(await bodyText(route), "<p>app shell</p>");
  // Accept that does not rule out HTML: curl's and fetch()'s */*, none at all, text/*.
  for (const accept of [[["accept", "*/*"]], [], [["accept", "text/*"]]] as const) {
    const headers = accept.map(([k, v]) => [k, v] as [string, string]);
    const response = serveWith({ spa: true }, { target: "/users/42", headers, at: appRoot });
    assert.equal(response.status, 200, JSON.stringify(headers));
    assert.equal(await bodyText(response), "<p>app shell</p>");
  }
  const cases: Array<[string, Array<[string, string]>]> = [
    ["/assets/missing.js", HTML_ACCEPT],
    ["/assets/missing.js", [["accept", "*/*"]]],
    ["/users/42", [["accept", "application/json"]]],
    ["/users/42", [["accept", "text/html;q=0"]]],
    ["/users/42", [["accept", "text/html;q=0, */*"]]],
  ];
  for (const [target, headers] of cases) {
    const response = serveWith({ spa: true }, { target, headers, at: appRoot });
    assert.equal(response.status, 404, `${target} ${JSON.stringify(headers)}`);
    await bodyText(response);
  }
  assert.equal(
    serveWith({}, { target: "/users/42", headers: HTML_ACCEPT, at: appRoot }).status,
    404,
  );
});

Deno.test("serveStatic() with spa says Vary: Accept on the index.html and the 404 that Accept chose", async () => {
  const json: Array<[string, string]> = [["accept", "application/json"]];
  const route = serveWith({ spa: true }, {
    target: "/users/42",
    headers: HTML_ACCEPT,
    at: appRoot,
  });
  assert.equal(route.status, 200);
  assert.equal(header(route, "vary"), "Accept");
  await bodyText(route);
  const refused = serveWith({ spa: true }, { target: "/users/42", headers: json, at: appRoot });
  assert.equal(refused.status, 404);
  assert.equal(header(refused, "vary"), "Accept");
  await bodyText(refused);
  // An asset's 404 does not depend on Accept, nor does anything without --spa.
  const asset = serveWith({ spa: true }, { target: "/assets/missing.js", at: appRoot });
  assert.equal(header(asset, "vary"), undefined);
  await bodyText(asset);
  const plain = serveWith({}, { target: "/users/42", headers: json, at: appRoot });
  assert.equal(header(plain, "vary"), undefined);
  await bodyText(plain);
  // Merged with the Accept-Encoding a precompressed index.html varies on: one field, no repeats.
  await Deno.writeTextFile(`${appRoot}/index.html.gz`, "gz");
  try {
    const compressed = serveWith({ spa: true, cors: "https://a.example b" }, {
      target: "/users/42",
      headers: [...HTML_ACCEPT, ["accept-encoding", "gzip"]],
      at: appRoot,
    });
    assert.equal(header(compressed, "vary"), "Accept-Encoding, Origin, Accept");
    await bodyText(compressed);
  } finally {
    await Deno.remove(`${appRoot}/index.html.gz`);
  }
});

Deno.test("serveStatic() lists a folder without index.html only with listDirectories", async () => {
  await Deno.writeTextFile(`${root}/empty/<script>.txt`, "x");
  await Deno.writeTextFile(`${root}/empty/.hidden`, "x");
  try {
    assert.equal(serveWith({}, { target: "/empty/" }).status, 404);
    const html = serveWith({ listDirectories: true }, { target: "/empty/" });
    // Streamed as it is rendered: no length ahead of it.
    assert.equal(html.body.kind, "stream");
    assert.equal(header(html, "content-length"), undefined);
    assert.equal(html.status, 200);
    assert.equal(header(html, "content-type"), "text/html; charset=utf-8");
    assert.equal(header(html, "vary"), "Accept");
    const page = await bodyText(html);
    assert.ok(page.includes("&lt;script&gt;.txt") && !page.includes("<script>"));
    assert.ok(page.includes('href="%3Cscript%3E.txt"'));
    assert.ok(!page.includes(".hidden"));
    const json = serveWith({ listDirectories: true }, {
      target: "/empty/",
      headers: [["accept", "application/json"]],
    });
    assert.equal(header(json, "content-type"), "application/json; charset=utf-8");
    const listed = JSON.parse(await bodyText(json));
    assert.deepEqual(listed.entries.map((e: { name: string }) => e.name), ["<script>.txt"]);
  } finally {
    await Deno.remove(`${root}/empty/<script>.txt`);
    await Deno.remove(`${root}/empty/.hidden`);
  }
});

Deno.test("serveStatic() with cors sends the origin, Vary: Origin and answers preflight", async () => {
  const get = serveWith({ cors: "https://app.example" }, { target: "/hello.txt" });
  assert.equal(header(get, "access-control-allow-origin"), "https://app.example");
  assert.equal(header(get, "vary"), "Origin");
  await bodyText(get);
  const any = serveWith({ cors: "*" }, { target: "/hello.txt" });
  assert.equal(header(any, "access-control-allow-origin"), "*");
  assert.equal(header(any, "vary"), undefined);
  await bodyText(any);
  const preflight = serveWith({ cors: "*" }, {
    method: "OPTIONS",
    target: "/hello.txt",
    headers: [["access-control-request-method", "GET"], [
      "access-control-request-headers",
      "range",
    ]],
  });
  assert.equal(preflight.status, 204);
  assert.equal(header(preflight, "access-control-allow-methods"), "GET, HEAD, OPTIONS");
  assert.equal(header(preflight, "access-control-allow-headers"), "range");
  assert.equal(header(preflight, "access-control-max-age"), "86400");
  assert.equal(header(preflight, "content-length"), undefined);
});

Deno.test("serveStatic() adds --header values to every response, replacing its own", async () => {
  const settings = {
    extraHeaders: [["x-frame-options", "DENY"], ["cache-control", "max-age=9"]],
  } as Partial<StaticSettings>;
  for (const target of ["/hello.txt", "/nope"]) {
    const response = serveWith(settings, { target });
    assert.equal(header(response, "x-frame-options"), "DENY", target);
    await bodyText(response);
  }
  const file = serveWith(settings, { target: "/style.css" });
  assert.equal(header(file, "cache-control"), "max-age=9");
  await bodyText(file);
});

Deno.test("serveStatic() gives HTML no-cache and other files the --cache-control value", async () => {
  const settings = { cacheControl: "public, max-age=3600" };
  const css = serveWith(settings, { target: "/style.css" });
  assert.equal(header(css, "cache-control"), "public, max-age=3600");
  const html = serveWith(settings, { target: "/docs/" });
  assert.equal(header(html, "cache-control"), "no-cache");
  await bodyText(css);
  await bodyText(html);
});

Deno.test("serveStatic() answers a cached file with the same headers as an uncached one", async () => {
  const cache = new FileCache({ maxEntries: 8, maxFileBytes: 1024, maxTotalBytes: 8192 });
  const request: StaticRequest = { method: "GET", target: "/style.css", headers: [] };
  const first = serveStatic(request, { root, cache });
  const second = serveStatic(request, { root, cache });
  const uncached = serve("GET", "/style.css");
  assert.deepEqual(second.headers, first.headers);
  assert.deepEqual(uncached.headers, first.headers);
  assert.deepEqual(second.body, { kind: "bytes", bytes: new TextEncoder().encode("a{}") });
  await bodyText(uncached);
});

Deno.test("serveStatic() with a cache answers a path found empty moments ago without looking, and sees a new file within TRUST_MS", async () => {
  const cache = new FileCache({ maxEntries: 8, maxFileBytes: 1024, maxTotalBytes: 8192 });
  const request = { method: "GET", target: "/appeared.txt", headers: [] };
  const missedAt = Date.now();
  assert.equal(serveStatic(request, { root, cache }).status, 404);
  assert.ok(cache.isMissing("/appeared.txt"));
  assert.ok(cache.isMissing("/404.html"), "the custom 404 page was looked for once");
  Deno.writeTextFileSync(`${root}/appeared.txt`, "new");
  try {
    const trusted = serveStatic(request, { root, cache }).status;
    // Only a machine that stalled for TRUST_MS between the two calls could see the file already.
    if (Date.now() - missedAt < TRUST_MS) assert.equal(trusted, 404, "the miss is trusted");
    await new Promise((resolve) => setTimeout(resolve, TRUST_MS + 20));
    const response = serveStatic(request, { root, cache });
    assert.equal(response.status, 200);
    assert.equal(await bodyText(response), "new");
  } finally {
    await Deno.remove(`${root}/appeared.txt`);
  }
});

Deno.test("serveStatic() with a cache remembers a folder without index.html like a missing file, unless it lists it", () => {
  const cache = new FileCache({ maxEntries: 8, maxFileBytes: 1024, maxTotalBytes: 8192 });
  const request = { method: "GET", target: "/empty/", headers: [] };
  assert.equal(serveStatic(request, { root, cache }).status, 404);
  assert.ok(cache.isMissing("/empty/"));
  const listed = new FileCache({ maxEntries: 8, maxFileBytes: 1024, maxTotalBytes: 8192 });
  const settings = { ...DEFAULTS, listDirectories: true };
  assert.equal(serveStatic(request, { root, cache: listed, settings }).status, 200);
  assert.equal(listed.isMissing("/empty/"), false);
});

Deno.test("serveStatic() with a cache sends a file renamed over within TRUST_MS with its own length and ETag", async () => {
  // Larger than maxFileBytes: the cache keeps the description, and the file is opened per request.
  const cache = new FileCache({ maxEntries: 8, maxFileBytes: 16, maxTotalBytes: 8192 });
  const request = { method: "GET", target: "/deploy.txt", headers: [] };
  await Deno.writeTextFile(`${root}/deploy.txt`, "the first version of the file");
  try {
    const first = serveStatic(request, { root, cache });
    assert.equal(await bodyText(first), "the first version of the file");
    for (const next of ["a much longer second version of the file", "short third"]) {
      await Deno.writeTextFile(`${root}/deploy.tmp`, next);
      await Deno.rename(`${root}/deploy.tmp`, `${root}/deploy.txt`);
      const response = serveStatic(request, { root, cache });
      assertWellFormed(response, "GET");
      assert.equal(await bodyText(response), next);
      assert.notEqual(header(response, "etag"), header(first, "etag"));
      const fresh = serve("GET", "/deploy.txt");
      assert.equal(header(response, "etag"), header(fresh, "etag"));
      await bodyText(fresh);
    }
  } finally {
    await Deno.remove(`${root}/deploy.txt`);
  }
});

Deno.test("serveStatic() with a cache never serves an outside file once a cached file's folder is a symlink out of the root", async () => {
  await Deno.mkdir(`${root}/box`);
  await Deno.mkdir(`${base}/outside`);
  await Deno.writeTextFile(`${root}/box/note.txt`, "inside");
  await Deno.writeTextFile(`${base}/outside/note.txt`, "OUTSIDE");
  try {
    for (const maxFileBytes of [0, 1024]) {
      const cache = new FileCache({ maxEntries: 8, maxFileBytes, maxTotalBytes: 8192 });
      const request = { method: "GET", target: "/box/note.txt", headers: [] };
      assert.equal(await bodyText(serveStatic(request, { root, cache })), "inside");
      await Deno.rename(`${root}/box`, `${root}/box.real`);
      await Deno.symlink(`${base}/outside`, `${root}/box`);
      const swapped = serveStatic(request, { root, cache });
      const text = await bodyText(swapped);
      // Bytes read while the folder was real may still be served from memory; never the outside.
      assert.ok(swapped.status === 404 || text === "inside", `${swapped.status} ${text}`);
      assert.ok(!text.includes("OUTSIDE"));
      await Deno.remove(`${root}/box`);
      await Deno.rename(`${root}/box.real`, `${root}/box`);
    }
  } finally {
    await Deno.remove(`${root}/box`, { recursive: true });
    await Deno.remove(`${base}/outside`, { recursive: true });
  }
});

Deno.test("serveStatic() serves a flipped root symlink's new tree, with a cache after TRUST_MS", async () => {
  const releases = await Deno.realPath(await Deno.makeTempDir({ prefix: "heiretsu-releases-" }));
  try {
    for (const n of [1, 2]) {
      await Deno.mkdir(`${releases}/release-${n}`);
      await Deno.writeTextFile(`${releases}/release-${n}/v.txt`, `release ${n}`);
    }
    await Deno.symlink("release-1", `${releases}/current`);
    const cache = new FileCache({ maxEntries: 8, maxFileBytes: 1024, maxTotalBytes: 8192 });
    const request = { method: "GET", target: "/v.txt", headers: [] };
    const options = { root: `${releases}/current`, cache };
    assert.equal(await bodyText(serveStatic(request, options)), "release 1");
    await Deno.symlink("release-2", `${releases}/current.new`);
    await Deno.rename(`${releases}/current.new`, `${releases}/current`);
    // Without a cache the root is resolved per request; with one, within TRUST_MS.
    assert.equal(await bodyText(serveStatic(request, { root: options.root })), "release 2");
    await new Promise((resolve) => setTimeout(resolve, TRUST_MS + 20));
    assert.equal(await bodyText(serveStatic(request, options)), "release 2");
  } finally {
    await Deno.remove(releases, { recursive: true });
  }
});

Deno.test("serveStatic() with several cors origins echoes the matching Origin, with Vary", async () => {
  const cors = "https://a.example http://localhost:3000";
  const header = (response: StaticResponse, name: string) =>
    response.headers.find(([key]) => key === name)?.[1];
  const from = (origin: string) =>
    serveWith({ cors }, { target: "/hello.txt", headers: [["origin", origin]] });
  const allowed = from("http://localhost:3000");
  assert.equal(header(allowed, "access-control-allow-origin"), "http://localhost:3000");
  assert.match(header(allowed, "vary") ?? "", /Origin/);
  await bodyText(allowed);
  const other = from("https://evil.example");
  assert.equal(header(other, "access-control-allow-origin"), undefined);
  assert.match(header(other, "vary") ?? "", /Origin/);
  await bodyText(other);
  const missing = from("https://a.example");
  assert.equal(header(missing, "access-control-allow-origin"), "https://a.example");
  const notFound = serveWith({ cors }, {
    target: "/nope.txt",
    headers: [["origin", "https://a.example"]],
  });
  assert.equal(header(notFound, "access-control-allow-origin"), "https://a.example");
  await bodyText(missing);
});

Deno.test("serveStatic() answers 503 no-store with Retry-After for an existing file out of descriptors, logging through onUnavailable", async () => {
  const told: FilesUnavailable[] = [];
  const onUnavailable = (error: FilesUnavailable) => told.push(error);
  const request = { method: "GET", target: "/hello.txt", headers: [] };
  const cache = new FileCache({ maxEntries: 8, maxFileBytes: 1024, maxTotalBytes: 8192 });
  for (const options of [{ root, onUnavailable }, { root, cache, onUnavailable }]) {
    const response = withoutDescriptors(() => serveStatic(request, options));
    assert.equal(response.status, 503);
    assert.equal(header(response, "cache-control"), "no-store");
    assert.equal(header(response, "retry-after"), "1");
    await bodyText(response);
  }
  assert.equal(told.length, 2);
  assert.match(told[0].message, /Too many open files/);
  // Nothing of it is remembered: with descriptors back, the file is served.
  const served = serveStatic(request, { root, cache });
  assert.equal(served.status, 200);
  assert.equal(await bodyText(served), "hello");
  // A missing file is still a 404: only "not found" means not found.
  const missing = withoutDescriptors(() => serve("GET", "/nope.txt"));
  assert.equal(missing.status, 404);
});

Deno.test("serveStatic() answers a listing 503 without logging while its worker has MAX_QUEUED_READS folder reads queued", async () => {
  const dirs = Array.from({ length: MAX_QUEUED_READS + 1 }, (_, i) => `/busy${i}/`);
  for (const dir of dirs) await Deno.mkdir(`${root}${dir}`);
  try {
    const listings = new ListingCache(1000);
    const told: unknown[] = [];
    const settings = { ...DEFAULTS, listDirectories: true };
    const options = { root, listings, settings, onUnavailable: (e: unknown) => told.push(e) };
    const responses = dirs.map((target) =>
      serveStatic({ method: "GET", target, headers: [] }, options)
    );
    assert.deepEqual(responses.map((r) => r.status), [...dirs.slice(1).map(() => 200), 503]);
    assert.equal(header(responses.at(-1)!, "retry-after"), "1");
    assert.equal(told.length, 0);
    for (const response of responses) await bodyText(response);
  } finally {
    for (const dir of dirs) await Deno.remove(`${root}${dir}`);
  }
});
