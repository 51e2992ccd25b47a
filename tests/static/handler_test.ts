import assert from "node:assert/strict";
import { serveStatic, type StaticRequest, type StaticResponse } from "../../lib/static/handler.ts";

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

function header(response: StaticResponse, name: string): string | undefined {
  const matches = response.headers.filter(([key]) => key === name);
  assert.ok(matches.length <= 1, `header "${name}" appears ${matches.length} times`);
  return matches[0]?.[1];
}

/** Reads a body to text, closing a file body. */
async function bodyText(response: StaticResponse): Promise<string> {
  const { body } = response;
  if (body.kind === "empty") return "";
  if (body.kind === "bytes") return new TextDecoder().decode(body.bytes);
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
    assert.deepEqual(response.headers, [["allow", "GET, HEAD, OPTIONS"]]);
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
