import assert from "node:assert/strict";
import { locate } from "../../lib/static/locate.ts";

/**
 * Builds <base>/site (the root), <base>/site2 (a sibling sharing the root's name as a prefix) and
 * <base>/secret.txt, with symlinks inside the root pointing both in and out.
 */
async function makeFixture(): Promise<{ base: string; root: string }> {
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "heiretsu-locate-" }));
  const root = `${base}/site`;
  for (const dir of ["site/docs", "site/empty", "site/index-escape", "site2"]) {
    await Deno.mkdir(`${base}/${dir}`, { recursive: true });
  }
  const files: Record<string, string> = {
    "secret.txt": "secret",
    "site2/hello.txt": "sibling",
    "site/hello.txt": "hello",
    "site/café.txt": "unicode",
    "site/docs/index.html": "<h1>docs</h1>",
  };
  for (const [path, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${base}/${path}`, text);
  }
  await Deno.symlink("hello.txt", `${root}/link.txt`);
  await Deno.symlink("docs", `${root}/linkdir`);
  await Deno.symlink("../secret.txt", `${root}/escape.txt`);
  await Deno.symlink("../site2", `${root}/sibling`);
  await Deno.symlink("../../secret.txt", `${root}/index-escape/index.html`);
  await Deno.symlink("missing.txt", `${root}/dangling.txt`);
  const mkfifo = await new Deno.Command("mkfifo", { args: [`${root}/pipe`] }).output();
  assert.ok(mkfifo.success, "mkfifo failed");
  return { base, root };
}

const { base, root } = await makeFixture();
globalThis.addEventListener("unload", () => Deno.removeSync(base, { recursive: true }));

Deno.test("locate() finds a regular file with its size and mtime", () => {
  const found = locate(root, "/hello.txt");
  assert.equal(found.kind, "file");
  if (found.kind !== "file") return;
  assert.equal(found.realPath, `${root}/hello.txt`);
  assert.equal(found.size, 5);
  assert.ok(found.mtime instanceof Date);
});

Deno.test("locate() finds a file with a non-ASCII name", () => {
  const found = locate(root, "/café.txt");
  assert.deepEqual(found.kind === "file" && [found.realPath, found.size], [`${root}/café.txt`, 7]);
});

Deno.test("locate() serves index.html for a directory with a trailing slash", () => {
  const found = locate(root, "/docs/");
  assert.equal(found.kind === "file" && found.realPath, `${root}/docs/index.html`);
});

Deno.test("locate() serves the root's own index when there is one", async () => {
  await Deno.writeTextFile(`${root}/index.html`, "home");
  try {
    const found = locate(root, "/");
    assert.equal(found.kind === "file" && found.realPath, `${root}/index.html`);
  } finally {
    await Deno.remove(`${root}/index.html`);
  }
});

Deno.test("locate() asks for a redirect when a directory lacks its trailing slash", () => {
  assert.deepEqual(locate(root, "/docs"), { kind: "directory-redirect" });
  assert.deepEqual(locate(root, "/empty"), { kind: "directory-redirect" });
});

Deno.test("locate() reports not-found for a directory without index.html", () => {
  assert.deepEqual(locate(root, "/empty/"), { kind: "not-found" });
  assert.deepEqual(locate(root, "/"), { kind: "not-found" });
});

Deno.test("locate() follows a symlink that stays inside the root", () => {
  const file = locate(root, "/link.txt");
  assert.equal(file.kind === "file" && file.realPath, `${root}/hello.txt`);
  const index = locate(root, "/linkdir/");
  assert.equal(index.kind === "file" && index.realPath, `${root}/docs/index.html`);
});

Deno.test("locate() refuses symlinks that lead outside the root", () => {
  assert.deepEqual(locate(root, "/escape.txt"), { kind: "not-found" });
  assert.deepEqual(locate(root, "/index-escape/"), { kind: "not-found" });
});

Deno.test("locate() refuses a sibling whose name extends the root's", () => {
  assert.deepEqual(locate(root, "/sibling/hello.txt"), { kind: "not-found" });
  assert.deepEqual(locate(root, "/sibling"), { kind: "not-found" });
});

Deno.test("locate() reports not-found for missing, dangling and file-as-directory paths", () => {
  for (const path of ["/nope.txt", "/dangling.txt", "/hello.txt/", "/hello.txt/x", "/docs/nope/"]) {
    assert.deepEqual(locate(root, path), { kind: "not-found" }, path);
  }
});

Deno.test("locate() reports not-found for a fifo", () => {
  assert.deepEqual(locate(root, "/pipe"), { kind: "not-found" });
});

Deno.test("locate() accepts the filesystem root as document root", () => {
  const found = locate("/", `${root}/hello.txt`);
  assert.equal(found.kind === "file" && found.realPath, `${root}/hello.txt`);
});
