import assert from "node:assert/strict";
import { isInside, locate } from "../../../lib/handler/static/locate.ts";

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
/** The default scope: symlinks must stay inside the root. */
const inside = { root, followSymlinks: false };
/** `--follow-symlinks`: symlinks may lead anywhere. */
const anywhere = { root, followSymlinks: true };

Deno.test("locate() finds a regular file with its size, times and inode", () => {
  const found = locate(inside, "/hello.txt");
  assert.equal(found.kind, "file");
  if (found.kind !== "file") return;
  assert.equal(found.file.realPath, `${root}/hello.txt`);
  assert.equal(found.file.size, 5);
  const info = Deno.statSync(`${root}/hello.txt`);
  assert.equal(found.file.mtimeMs, info.mtime!.getTime());
  assert.equal(found.file.ctimeMs, info.ctime!.getTime());
  assert.equal(found.file.ino, info.ino);
  assert.equal(found.file.dev, info.dev);
  assert.deepEqual(found.siblings, []);
});

Deno.test("locate() finds a file with a non-ASCII name", () => {
  const found = locate(inside, "/café.txt");
  assert.deepEqual(found.kind === "file" && [found.file.realPath, found.file.size], [
    `${root}/café.txt`,
    7,
  ]);
});

Deno.test("locate() serves index.html for a directory with a trailing slash", () => {
  const found = locate(inside, "/docs/");
  assert.equal(found.kind === "file" && found.file.realPath, `${root}/docs/index.html`);
});

Deno.test("locate() serves the root's own index when there is one", async () => {
  await Deno.writeTextFile(`${root}/index.html`, "home");
  try {
    const found = locate(inside, "/");
    assert.equal(found.kind === "file" && found.file.realPath, `${root}/index.html`);
  } finally {
    await Deno.remove(`${root}/index.html`);
  }
});

Deno.test("locate() asks for a redirect when a directory lacks its trailing slash", () => {
  assert.deepEqual(locate(inside, "/docs"), { kind: "directory-redirect" });
  assert.deepEqual(locate(inside, "/empty"), { kind: "directory-redirect" });
});

Deno.test("locate() reports a directory without index.html as a directory", () => {
  assert.deepEqual(locate(inside, "/empty/"), { kind: "directory", realPath: `${root}/empty` });
  assert.deepEqual(locate(inside, "/"), { kind: "directory", realPath: root });
});

Deno.test("locate() follows a symlink that stays inside the root", () => {
  const file = locate(inside, "/link.txt");
  assert.equal(file.kind === "file" && file.file.realPath, `${root}/hello.txt`);
  const index = locate(inside, "/linkdir/");
  assert.equal(index.kind === "file" && index.file.realPath, `${root}/docs/index.html`);
});

Deno.test("locate() refuses symlinks that lead outside the root", () => {
  assert.deepEqual(locate(inside, "/escape.txt"), { kind: "not-found" });
  // The index.html that escapes is not served; the folder counts as one without an index.
  assert.equal(locate(inside, "/index-escape/").kind, "directory");
});

Deno.test("locate() follows symlinks out of the root when followSymlinks is set", () => {
  const file = locate(anywhere, "/escape.txt");
  assert.equal(file.kind === "file" && file.file.realPath, `${base}/secret.txt`);
  const index = locate(anywhere, "/index-escape/");
  assert.equal(index.kind === "file" && index.file.realPath, `${base}/secret.txt`);
  const sibling = locate(anywhere, "/sibling/hello.txt");
  assert.equal(sibling.kind === "file" && sibling.file.realPath, `${base}/site2/hello.txt`);
});

Deno.test("locate() finds precompressed siblings in the order br, zst, gz", async () => {
  await Deno.writeTextFile(`${root}/app.js`, "let a = 1;");
  for (const extension of [".gz", ".br", ".zst"]) {
    await Deno.writeTextFile(`${root}/app.js${extension}`, extension);
  }
  try {
    const found = locate(inside, "/app.js");
    assert.ok(found.kind === "file");
    assert.deepEqual(
      found.siblings.map((s) => [s.coding, s.realPath, s.size]),
      [["br", `${root}/app.js.br`, 3], ["zstd", `${root}/app.js.zst`, 4], [
        "gzip",
        `${root}/app.js.gz`,
        3,
      ]],
    );
  } finally {
    for (const name of ["app.js", "app.js.gz", "app.js.br", "app.js.zst"]) {
      await Deno.remove(`${root}/${name}`);
    }
  }
});

Deno.test("locate() ignores a precompressed sibling that is a symlink out of the root", async () => {
  await Deno.writeTextFile(`${root}/page.txt`, "page");
  await Deno.symlink("../secret.txt", `${root}/page.txt.gz`);
  try {
    const found = locate(inside, "/page.txt");
    assert.ok(found.kind === "file");
    assert.deepEqual(found.siblings, []);
  } finally {
    await Deno.remove(`${root}/page.txt`);
    await Deno.remove(`${root}/page.txt.gz`);
  }
});

Deno.test("locate() refuses a sibling whose name extends the root's", () => {
  assert.deepEqual(locate(inside, "/sibling/hello.txt"), { kind: "not-found" });
  assert.deepEqual(locate(inside, "/sibling"), { kind: "not-found" });
});

Deno.test("locate() reports not-found for missing, dangling and file-as-directory paths", () => {
  for (const path of ["/nope.txt", "/dangling.txt", "/hello.txt/", "/hello.txt/x", "/docs/nope/"]) {
    assert.deepEqual(locate(inside, path), { kind: "not-found" }, path);
  }
});

Deno.test("locate() reports not-found for a fifo", () => {
  assert.deepEqual(locate(inside, "/pipe"), { kind: "not-found" });
});

Deno.test("locate() accepts the filesystem root as document root", () => {
  const found = locate({ root: "/", followSymlinks: false }, `${root}/hello.txt`);
  assert.equal(found.kind === "file" && found.file.realPath, `${root}/hello.txt`);
});

Deno.test("isInside() compares with the platform's separator, so Windows paths work too", () => {
  assert.equal(isInside("/srv/site", "/srv/site/a.txt", "/"), true);
  assert.equal(isInside("/srv/site", "/srv/site", "/"), true);
  assert.equal(isInside("/srv/site", "/srv/site2/a.txt", "/"), false);
  assert.equal(isInside("C:\\site", "C:\\site\\docs\\a.txt", "\\"), true);
  assert.equal(isInside("C:\\site", "C:\\site2\\a.txt", "\\"), false);
  assert.equal(isInside("C:\\", "C:\\a.txt", "\\"), true);
});

Deno.test({
  name: "locate() reports not-found for a file asked for with a trailing slash under a read list",
  // Workers read under a permission list, and then Deno drops a trailing slash before realpath.
  permissions: { read: [base] },
  fn() {
    for (const path of ["/hello.txt/", "/docs/index.html/", "/link.txt/"]) {
      assert.deepEqual(locate(inside, path), { kind: "not-found" }, path);
    }
    assert.equal(locate(inside, "/hello.txt").kind, "file");
  },
});
