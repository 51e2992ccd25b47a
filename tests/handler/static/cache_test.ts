/**
 * @module
 * Tests for lib/handler/static/cache.ts: hits carry bytes and headers, any change on disk or age turns
 * a hit into a miss, and the least recently used entry goes first when the cache is full.
 */
import assert from "node:assert/strict";
import {
  describeFile,
  FileCache,
  RESOLVE_AGAIN_MS,
  type StaticFile,
  TRUST_MS,
} from "../../../lib/handler/static/cache.ts";
import { strongEtag } from "../../../lib/handler/static/conditional.ts";
import { locate, type Located } from "../../../lib/handler/static/locate.ts";
import { httpDate } from "../../../lib/http/date.ts";
import { FilesUnavailable } from "../../../lib/handler/static/unavailable.ts";

const text = (s: string) => new TextEncoder().encode(s);

const ROOMY = { maxEntries: 100, maxFileBytes: 1024, maxTotalBytes: 64 * 1024 };

/** Runs `body` with a fresh temporary root (already a real path), removed afterwards. */
async function withRoot(body: (root: string) => void | Promise<void>): Promise<void> {
  const root = Deno.realPathSync(await Deno.makeTempDir({ prefix: "heiretsu-cache-" }));
  try {
    await body(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Writes a file under root and returns what `locate()` makes of it. */
function place(root: string, name: string, content: string): Extract<Located, { kind: "file" }> {
  Deno.writeTextFileSync(`${root}/${name}`, content);
  const found = locate({ root, followSymlinks: false }, `/${name}`);
  assert.equal(found.kind, "file");
  return found as Extract<Located, { kind: "file" }>;
}

/** Caches a file and checks that put() accepted it. */
function putFile(cache: FileCache, root: string, name: string, content: string): StaticFile {
  const entry = cache.put(`/${name}`, place(root, name, content));
  assert.ok(entry !== null, name);
  return entry;
}

Deno.test("FileCache.get() returns a small put() file with its bytes, type and validators", async () => {
  await withRoot((root) => {
    const cache = new FileCache(ROOMY);
    const put = putFile(cache, root, "a.txt", "hello");
    const hit = cache.get("/a.txt");
    assert.ok(hit !== null);
    assert.equal(hit, put);
    assert.equal(hit.contentType, "text/plain; charset=utf-8");
    assert.equal(hit.compressible, true);
    assert.deepEqual(hit.encoded, []);
    const { identity } = hit;
    assert.equal(identity.realPath, `${root}/a.txt`);
    assert.equal(identity.size, 5);
    assert.equal(identity.coding, null);
    assert.deepEqual(identity.bytes, text("hello"));
    const mtimeMs = Deno.statSync(`${root}/a.txt`).mtime!.getTime();
    assert.equal(identity.etag, strongEtag({ size: 5, mtimeMs }));
    assert.equal(identity.modifiedMs, Math.floor(mtimeMs / 1000) * 1000);
    assert.equal(identity.lastModified, httpDate(mtimeMs));
  });
});

Deno.test("FileCache.put() keeps precompressed siblings with their own bytes and ETags", async () => {
  await withRoot((root) => {
    const cache = new FileCache(ROOMY);
    Deno.writeTextFileSync(`${root}/app.js.gz`, "gzipped");
    Deno.writeTextFileSync(`${root}/app.js.br`, "brotli");
    const file = putFile(cache, root, "app.js", "let a = 1;");
    assert.deepEqual(file.encoded.map((form) => [form.coding, form.size]), [["br", 6], [
      "gzip",
      7,
    ]]);
    const [br, gzip] = file.encoded;
    assert.deepEqual(br.bytes, text("brotli"));
    assert.match(br.etag!, /^"[0-9a-f]+-6-br"$/);
    assert.match(gzip.etag!, /^"[0-9a-f]+-7-gzip"$/);
    assert.notEqual(br.etag, file.identity.etag);
  });
});

Deno.test("FileCache.get() returns null once a precompressed sibling changes", async () => {
  await withRoot((root) => {
    const cache = new FileCache(ROOMY);
    Deno.writeTextFileSync(`${root}/app.js.gz`, "gzipped");
    putFile(cache, root, "app.js", "let a = 1;");
    Deno.writeTextFileSync(`${root}/app.js.gz`, "gzipped again");
    assert.ok(cache.get("/app.js") !== null);
    assert.equal(cache.get("/app.js", Date.now() + TRUST_MS + 1), null);
  });
});

Deno.test("FileCache counts the bytes of precompressed siblings towards maxTotalBytes", async () => {
  await withRoot((root) => {
    const cache = new FileCache({ ...ROOMY, maxTotalBytes: 25 });
    Deno.writeTextFileSync(`${root}/a.txt.gz`, "z".repeat(10));
    putFile(cache, root, "a.txt", "a".repeat(10));
    putFile(cache, root, "b.txt", "b".repeat(10));
    assert.equal(cache.get("/a.txt"), null);
    assert.ok(cache.get("/b.txt") !== null);
  });
});

Deno.test("describeFile() with maxBytes 0 reads nothing and keeps what locate() saw", async () => {
  await withRoot((root) => {
    const found = place(root, "logo.png", "not really a png");
    const file = describeFile(found, 0);
    assert.ok(file !== null);
    assert.equal(file.identity.bytes, null);
    assert.equal(file.identity.size, 16);
    assert.equal(file.contentType, "image/png");
    assert.equal(file.compressible, false);
  });
});

Deno.test("FileCache.get() returns null for a path never put", () => {
  assert.equal(new FileCache(ROOMY).get("/nothing.txt"), null);
});

Deno.test("FileCache.put() keeps a file above maxFileBytes without its bytes", async () => {
  await withRoot((root) => {
    const cache = new FileCache({ ...ROOMY, maxFileBytes: 4 });
    putFile(cache, root, "big.html", "12345");
    const hit = cache.get("/big.html");
    assert.ok(hit !== null);
    assert.equal(hit.identity.bytes, null);
    assert.equal(hit.identity.size, 5);
    assert.equal(hit.contentType, "text/html; charset=utf-8");
  });
});

Deno.test("FileCache.put() returns null when the file changed size since it was located", async () => {
  await withRoot((root) => {
    const cache = new FileCache(ROOMY);
    const found = place(root, "a.txt", "short");
    Deno.writeTextFileSync(`${root}/a.txt`, "much longer now");
    assert.equal(cache.put("/a.txt", found), null);
    assert.equal(cache.get("/a.txt"), null);
  });
});

Deno.test("FileCache.get() returns null once the file is rewritten with other content", async () => {
  await withRoot((root) => {
    const cache = new FileCache(ROOMY);
    putFile(cache, root, "a.txt", "hello");
    Deno.writeTextFileSync(`${root}/a.txt`, "hello, world");
    // Within TRUST_MS the entry is served unchecked; past it, the next hit looks at the disk.
    assert.ok(cache.get("/a.txt") !== null);
    assert.equal(cache.get("/a.txt", Date.now() + TRUST_MS + 1), null);
  });
});

Deno.test("FileCache.get() returns null when the size is the same but the mtime is later", async () => {
  await withRoot((root) => {
    const cache = new FileCache(ROOMY);
    putFile(cache, root, "a.txt", "hello");
    const { atime, mtime } = Deno.statSync(`${root}/a.txt`);
    Deno.utimeSync(`${root}/a.txt`, atime!, new Date(mtime!.getTime() + 60_000));
    // Within TRUST_MS the entry is served unchecked; past it, the next hit looks at the disk.
    assert.ok(cache.get("/a.txt") !== null);
    assert.equal(cache.get("/a.txt", Date.now() + TRUST_MS + 1), null);
  });
});

Deno.test("FileCache.get() returns null once the file is deleted", async () => {
  await withRoot((root) => {
    const cache = new FileCache(ROOMY);
    putFile(cache, root, "a.txt", "hello");
    Deno.removeSync(`${root}/a.txt`);
    // Within TRUST_MS the entry is served unchecked; past it, the next hit looks at the disk.
    assert.ok(cache.get("/a.txt") !== null);
    assert.equal(cache.get("/a.txt", Date.now() + TRUST_MS + 1), null);
  });
});

Deno.test("FileCache.get() returns null for an entry older than RESOLVE_AGAIN_MS", async () => {
  await withRoot((root) => {
    const cache = new FileCache(ROOMY);
    const before = Date.now();
    putFile(cache, root, "a.txt", "hello");
    assert.ok(cache.get("/a.txt", before + TRUST_MS + 1) !== null);
    assert.equal(cache.get("/a.txt", Date.now() + RESOLVE_AGAIN_MS + 1), null);
    // A miss drops the entry, so even a fresh clock misses now.
    assert.equal(cache.get("/a.txt"), null);
  });
});

Deno.test("FileCache.put() evicts the least recently used entry beyond maxEntries", async () => {
  await withRoot((root) => {
    const cache = new FileCache({ ...ROOMY, maxEntries: 2 });
    putFile(cache, root, "a.txt", "a");
    putFile(cache, root, "b.txt", "b");
    assert.ok(cache.get("/a.txt") !== null); // a is now more recent than b
    putFile(cache, root, "c.txt", "c");
    assert.equal(cache.get("/b.txt"), null);
    assert.ok(cache.get("/a.txt") !== null);
    assert.ok(cache.get("/c.txt") !== null);
  });
});

Deno.test("FileCache.put() evicts the least recently used entry beyond maxTotalBytes", async () => {
  await withRoot((root) => {
    const cache = new FileCache({ ...ROOMY, maxTotalBytes: 25 });
    putFile(cache, root, "a.txt", "a".repeat(10));
    putFile(cache, root, "b.txt", "b".repeat(10));
    assert.ok(cache.get("/a.txt") !== null);
    putFile(cache, root, "c.txt", "c".repeat(10));
    assert.equal(cache.get("/b.txt"), null);
    assert.ok(cache.get("/a.txt") !== null);
    assert.ok(cache.get("/c.txt") !== null);
  });
});

Deno.test("FileCache.put() of a path again replaces its entry and its byte count", async () => {
  await withRoot((root) => {
    const cache = new FileCache({ ...ROOMY, maxTotalBytes: 25 });
    putFile(cache, root, "a.txt", "a".repeat(10));
    putFile(cache, root, "a.txt", "A".repeat(10));
    putFile(cache, root, "b.txt", "b".repeat(10));
    // 20 bytes kept: the first a.txt no longer counts, so nothing is evicted.
    assert.deepEqual(cache.get("/a.txt")?.identity.bytes, text("A".repeat(10)));
    assert.ok(cache.get("/b.txt") !== null);
  });
});

Deno.test("FileCache entries without bytes count towards maxEntries but not maxTotalBytes", async () => {
  await withRoot((root) => {
    const cache = new FileCache({ maxEntries: 2, maxFileBytes: 4, maxTotalBytes: 8 });
    putFile(cache, root, "a.txt", "a".repeat(100));
    putFile(cache, root, "b.txt", "b".repeat(100));
    assert.ok(cache.get("/a.txt") !== null);
    assert.ok(cache.get("/b.txt") !== null);
    putFile(cache, root, "c.txt", "c".repeat(100));
    assert.equal(cache.get("/a.txt"), null);
  });
});

Deno.test("FileCache.isMissing() trusts a remembered miss for TRUST_MS, then asks again", () => {
  const cache = new FileCache(ROOMY);
  assert.equal(cache.isMissing("/route", 1000), false);
  cache.rememberMissing("/route", 1000);
  assert.equal(cache.isMissing("/route", 1000 + TRUST_MS), true);
  assert.equal(cache.isMissing("/route", 1001 + TRUST_MS), false);
  assert.equal(cache.isMissing("/route", 1000), false, "an expired miss is forgotten");
});

Deno.test("FileCache keeps at most maxEntries misses, oldest out, apart from its files", async () => {
  await withRoot((root) => {
    const cache = new FileCache({ ...ROOMY, maxEntries: 2 });
    cache.put("/a.txt", place(root, "a.txt", "a"));
    for (const path of ["/x", "/y", "/z"]) cache.rememberMissing(path, 1000);
    assert.equal(cache.isMissing("/x", 1000), false);
    assert.equal(cache.isMissing("/y", 1000), true);
    assert.equal(cache.isMissing("/z", 1000), true);
    assert.ok(cache.get("/a.txt"), "misses do not push files out");
  });
});

Deno.test("FileCache.put() of a path forgets that it was missing", async () => {
  await withRoot((root) => {
    const cache = new FileCache(ROOMY);
    const now = Date.now();
    cache.rememberMissing("/late.txt", now);
    cache.put("/late.txt", place(root, "late.txt", "here"));
    assert.equal(cache.isMissing("/late.txt", now), false);
  });
});

Deno.test("FileCache.put() returns null when the file was renamed over since it was located", async () => {
  await withRoot((root) => {
    const cache = new FileCache(ROOMY);
    const found = place(root, "a.txt", "old version");
    // Same size: only the inode tells the new file from the one located.
    Deno.writeTextFileSync(`${root}/a.tmp`, "new version");
    Deno.renameSync(`${root}/a.tmp`, `${root}/a.txt`);
    assert.equal(cache.put("/a.txt", found), null);
  });
});

Deno.test("describeFile() reads nothing through a folder swapped for a symlink out of the root", async () => {
  await withRoot((base) => {
    const root = `${base}/site`;
    Deno.mkdirSync(`${root}/box`, { recursive: true });
    Deno.mkdirSync(`${base}/outside`);
    Deno.writeTextFileSync(`${base}/outside/note.txt`, "OUTSIDE");
    const found = place(root, "box/note.txt", "inside!");
    Deno.renameSync(`${root}/box`, `${root}/box.real`);
    Deno.symlinkSync(`${base}/outside`, `${root}/box`);
    assert.equal(describeFile(found, 1024), null);
    assert.equal(describeFile(found, 0), null);
  });
});

Deno.test("FileCache.forget() drops a path's entry and its bytes", async () => {
  await withRoot((root) => {
    const cache = new FileCache({ ...ROOMY, maxTotalBytes: 10 });
    putFile(cache, root, "a.txt", "hello");
    cache.forget("/a.txt");
    assert.equal(cache.get("/a.txt"), null);
    // Its 5 bytes no longer count: two more 5-byte files fit.
    putFile(cache, root, "b.txt", "world");
    putFile(cache, root, "c.txt", "again");
    assert.ok(cache.get("/b.txt") !== null);
    assert.ok(cache.get("/c.txt") !== null);
  });
});

Deno.test("FileCache.realRoot() follows a flipped root symlink after TRUST_MS and forgets the old tree", async () => {
  await withRoot((base) => {
    for (const n of [1, 2]) {
      Deno.mkdirSync(`${base}/release-${n}`);
      Deno.writeTextFileSync(`${base}/release-${n}/v.txt`, `v${n}`);
    }
    Deno.symlinkSync("release-1", `${base}/current`);
    const cache = new FileCache(ROOMY);
    const start = Date.now();
    assert.equal(cache.realRoot(`${base}/current`, start), `${base}/release-1`);
    cache.put("/v.txt", place(`${base}/release-1`, "v.txt", "v1"));
    cache.rememberMissing("/gone.txt", start);
    Deno.symlinkSync("release-2", `${base}/current.new`);
    Deno.renameSync(`${base}/current.new`, `${base}/current`);
    assert.equal(cache.realRoot(`${base}/current`, start + TRUST_MS), `${base}/release-1`);
    assert.ok(cache.get("/v.txt", start + TRUST_MS) !== null, "trusted until TRUST_MS");
    const later = start + TRUST_MS + 1;
    assert.equal(cache.realRoot(`${base}/current`, later), `${base}/release-2`);
    assert.equal(cache.get("/v.txt", later), null);
    assert.equal(cache.isMissing("/gone.txt", later), false);
  });
});

Deno.test("FileCache.realRoot() keeps the last tree while the root cannot be resolved", async () => {
  await withRoot((base) => {
    Deno.mkdirSync(`${base}/release-1`);
    Deno.symlinkSync("release-1", `${base}/current`);
    const cache = new FileCache(ROOMY);
    assert.equal(cache.realRoot(`${base}/current`, 0), `${base}/release-1`);
    Deno.removeSync(`${base}/current`);
    assert.equal(cache.realRoot(`${base}/current`, TRUST_MS + 1), `${base}/release-1`);
  });
});

/** The file system calls a lookup and a describe make by path, each of which a swap may precede. */
const PATH_CALLS = ["realPathSync", "statSync", "lstatSync", "openSync"] as const;
type PathCall = typeof PATH_CALLS[number];
type BoxState = "folder" | "symlink";

/**
 * Runs `body` with site/box/note.txt and outside/note.txt (same size) under `base`, while every
 * path call first puts site/box in the state `choose` picks for it: the real folder, or a
 * symlink to outside. This is the swap loop of an attacker who may write in the tree, with each
 * swap landing exactly between two of the server's system calls.
 */
function withScheduledSwaps<T>(
  base: string,
  options: { choose: (call: PathCall) => BoxState; body: (root: string) => T },
): T {
  const root = `${base}/site`;
  const box = `${root}/box`;
  Deno.mkdirSync(box, { recursive: true });
  Deno.mkdirSync(`${base}/outside`);
  Deno.writeTextFileSync(`${box}/note.txt`, "inside  text");
  Deno.writeTextFileSync(`${base}/outside/note.txt`, "OUTSIDE text");
  Deno.symlinkSync(`${base}/outside`, `${box}.link`);
  let state: BoxState = "folder";
  const put = (next: BoxState) => {
    if (next === state) return;
    const [away, back] = next === "symlink" ? [".real", ".link"] : [".link", ".real"];
    Deno.renameSync(box, box + away);
    Deno.renameSync(box + back, box);
    state = next;
  };
  const saved = PATH_CALLS.map((name) => [name, Deno[name]] as const);
  for (const [name, call] of saved) {
    const wrapped = (...args: unknown[]) => {
      put(options.choose(name));
      return (call as (...args: unknown[]) => unknown)(...args);
    };
    Object.assign(Deno, { [name]: wrapped });
  }
  try {
    return options.body(root);
  } finally {
    for (const [name, call] of saved) Object.assign(Deno, { [name]: call });
    put("folder");
  }
}

/** What locate() then describeFile() make of /box/note.txt: its bytes, null, or "503". */
function describeNote(root: string): string | null {
  try {
    const found = locate({ root, followSymlinks: false }, "/box/note.txt");
    if (found.kind !== "file") return null;
    const bytes = describeFile(found, 1024)?.identity.bytes;
    return bytes ? new TextDecoder().decode(bytes) : null;
  } catch (error) {
    if (error instanceof FilesUnavailable) return "503";
    throw error;
  }
}

Deno.test("describeFile() never reads the outside file when box is a folder at each realpath and lstat, a symlink at each stat and open", async () => {
  // The schedule that fooled realpath + stat checks (seen once in a loaded e2e run): locate's
  // realpath sees the folder and its stat the symlink, the open goes through the symlink, the
  // check's realpath sees the folder again and its stat the symlink again.
  await withRoot((base) => {
    const choose = (call: PathCall): BoxState =>
      call === "statSync" || call === "openSync" ? "symlink" : "folder";
    const got = withScheduledSwaps(base, { choose, body: describeNote });
    assert.notEqual(got, "OUTSIDE text");
  });
});

Deno.test("describeFile() never reads the outside file, whichever path calls a swap precedes", async () => {
  await withRoot((base) => {
    // A seeded generator (mulberry32): the same 150 schedules each run.
    let seed = 0x5eed;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const seen = new Map<string | null, number>();
    for (let round = 0; round < 150; round++) {
      const choose = (): BoxState => (random() < 0.5 ? "folder" : "symlink");
      const got = withScheduledSwaps(`${base}/${round}`, { choose, body: describeNote });
      seen.set(got, (seen.get(got) ?? 0) + 1);
    }
    assert.equal(seen.get("OUTSIDE text") ?? 0, 0, `outside file read: ${[...seen]}`);
    // Without swaps, the same lookup reads the file in the root.
    const still = withScheduledSwaps(`${base}/still`, {
      choose: () => "folder",
      body: describeNote,
    });
    assert.equal(still, "inside  text");
  });
});
