/**
 * @module
 * Integration tests of issue 8 (security review) over real sockets: the served tree changes
 * while it is served, by deploy tools (a file replaced by rename, a file truncated mid-download,
 * the root's `current → release-N` symlink flipped) or by someone with write access to it (a
 * folder swapped for a symlink leading out of the root), and a file asked for as a folder.
 * Every load loop is bounded in time and in count.
 */
import assert from "node:assert/strict";
import { connect, exchange, type RawResponse, readResponses, writeAll } from "../_helpers/http.ts";
import { TestServer } from "../_helpers/server.ts";
import { makeSite, writeRandomFile } from "../_helpers/site.ts";

const encoder = new TextEncoder();
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** One GET over a fresh connection, closed after the response. */
async function get(
  server: TestServer,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const fields = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  const [response] = await exchange(
    server.port,
    `GET ${path} HTTP/1.1\r\nHost: t\r\n${fields}Connection: close\r\n\r\n`,
    { responses: 1 },
  );
  return response;
}

/** `length` bytes of `fill` after a label, so two versions are told apart by their first bytes. */
function version(label: string, length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length).fill(0x2e);
  bytes.set(encoder.encode(label).subarray(0, length));
  return bytes;
}

/** Writes a file next to `path` and renames it over `path`, as rsync and deploy tools do. */
async function replaceByRename(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.tmp-${crypto.randomUUID()}`;
  await Deno.writeFile(temp, bytes);
  await Deno.rename(temp, path);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("a file replaced by rename is sent whole, under its own validators", async (t) => {
  const cases = [
    // Larger than a cached file's bytes: the cache keeps its description only.
    { name: "default cache, 100 KiB file", args: [], size: 100 * 1024 },
    { name: "--file-cache 0, small file", args: ["--file-cache", "0"], size: 3000 },
  ];
  for (const { name, args, size } of cases) {
    await t.step(name, async () => {
      const site = await makeSite();
      const path = `${site.root}/swap.bin`;
      let current = version("v0", size);
      await Deno.writeFile(path, current);
      // One worker, so the request after the rename meets the cache the first one filled.
      const server = await TestServer.start([site.root, "--quiet", "--workers", "1", ...args]);
      try {
        // Larger, smaller, larger again: a longer file gave old framing with new bytes, a
        // shorter one a closed connection without a response.
        for (const [round, factor] of [[1, 2], [2, 0.25], [3, 3]]) {
          const before = await get(server, "/swap.bin");
          assert.deepEqual(before.body, current);
          const next = version(`v${round}`, Math.floor(size * factor));
          await replaceByRename(path, next);
          const after = await get(server, "/swap.bin");
          assert.equal(after.status, 200);
          assert.equal(Number(after.headers.get("content-length")), after.body.byteLength);
          const isNew = after.body.byteLength === next.byteLength &&
            text(after.body) === text(next);
          const isOld = after.body.byteLength === current.byteLength &&
            text(after.body) === text(current);
          assert.ok(isNew || isOld, `round ${round}: neither version was sent`);
          // The validators must be those of the version sent.
          if (isNew) assert.notEqual(after.headers.get("etag"), before.headers.get("etag"));
          if (isOld) assert.equal(after.headers.get("etag"), before.headers.get("etag"));
          await sleep(150);
          const settled = await get(server, "/swap.bin");
          assert.deepEqual(settled.body, next);
          if (isNew) assert.equal(settled.headers.get("etag"), after.headers.get("etag"));
          current = next;
        }
      } finally {
        await server.stop();
        await site.remove();
      }
    });
  }
});

/** What a client got from a response cut short: head, body bytes and whether the server closed. */
interface Cut {
  status: number;
  announced: number;
  body: Uint8Array;
  closed: boolean;
}

/** Sends `request`, truncates `path` once `afterBytes` body bytes arrived, reads to the end. */
async function readWhileTruncating(
  server: TestServer,
  options: { request: string; path: string; afterBytes: number; truncateTo: number },
): Promise<Cut> {
  const conn = await connect(server.port);
  try {
    await writeAll(conn, encoder.encode(options.request));
    const received: Uint8Array[] = [];
    let total = 0;
    let headEnd = -1;
    let truncated = false;
    const chunk = new Uint8Array(64 * 1024);
    const deadline = Date.now() + 10_000;
    let closed = false;
    while (Date.now() < deadline) {
      const n = await conn.read(chunk).catch(() => null);
      if (n === null) {
        closed = true;
        break;
      }
      received.push(chunk.slice(0, n));
      total += n;
      if (headEnd === -1) headEnd = findHeadEnd(received);
      if (!truncated && headEnd !== -1 && total - headEnd >= options.afterBytes) {
        await Deno.truncate(options.path, options.truncateTo);
        truncated = true;
      }
    }
    const all = new Uint8Array(total);
    let at = 0;
    for (const piece of received) {
      all.set(piece, at);
      at += piece.byteLength;
    }
    const head = new TextDecoder("latin1").decode(all.subarray(0, headEnd));
    return {
      status: Number(head.split(" ")[1]),
      announced: Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1]),
      body: all.subarray(headEnd),
      closed,
    };
  } finally {
    conn.close();
  }
}

function findHeadEnd(pieces: Uint8Array[]): number {
  const joined = new TextDecoder("latin1").decode(pieces[0].subarray(0, 16 * 1024));
  const end = joined.indexOf("\r\n\r\n");
  return end === -1 ? -1 : end + 4;
}

Deno.test("a file truncated while it is sent ends the connection short of its length", async (t) => {
  const site = await makeSite();
  const server = await TestServer.start([site.root, "--quiet"]);
  // Far more than the window and the loopback socket buffers hold, so it cannot all be sent
  // before the client, reading its first bytes, truncates it.
  const size = 16 * 1024 * 1024;
  try {
    for (
      const { name, range, start } of [
        { name: "200", range: "", start: 0 },
        { name: "206", range: "Range: bytes=1000-16000000\r\n", start: 1000 },
      ]
    ) {
      await t.step(name, async () => {
        const path = `${site.root}/shrinking-${name}.bin`;
        await writeRandomFile(path, size);
        const original = await Deno.readFile(path);
        const cut = await readWhileTruncating(server, {
          request: `GET /${path.slice(site.root.length + 1)} HTTP/1.1\r\nHost: t\r\n${range}\r\n`,
          path,
          afterBytes: 1,
          truncateTo: 1024 * 1024,
        });
        assert.equal(cut.status, Number(name));
        assert.ok(cut.closed, "the server must close the connection");
        assert.ok(cut.body.byteLength < cut.announced, `${cut.body.byteLength} bytes sent whole`);
        // What was sent is a prefix of the one version of the file, never padding.
        const expected = original.subarray(start, start + cut.body.byteLength);
        assert.ok(expected.every((byte, i) => byte === cut.body[i]), "bytes differ from the file");
      });
    }
  } finally {
    await server.stop();
    await site.remove();
  }
});

Deno.test("a file asked for with a trailing slash is not found", async () => {
  const site = await makeSite();
  const server = await TestServer.start([site.root, "--quiet"]);
  try {
    for (const path of ["/hello.txt/", "/hello.txt/.", "/hello.txt%2F", "/docs/index.html/"]) {
      assert.equal((await get(server, path)).status, 404, path);
    }
    assert.equal(text((await get(server, "/hello.txt")).body), "hello, world\n");
    assert.equal((await get(server, "/docs/")).status, 200);
    assert.equal((await get(server, "/docs")).status, 301);
  } finally {
    await server.stop();
    await site.remove();
  }
});

/** How long the swap loop runs, and most swaps it makes. */
const SWAP_MS = 3000;
const MAX_SWAPS = 200_000;
/** Clients asking for the file while the folder is swapped, and most requests each. */
const SWAP_CLIENTS = 4;
const MAX_REQUESTS_PER_CLIENT = 50_000;

/**
 * Swaps `folder` for a symlink to `outside` and back, as fast as renames go, in its own process
 * until `SWAP_MS` passed; returns how many swaps it made.
 */
async function swapLoop(folder: string, outside: string): Promise<number> {
  const script = `
    const [folder, outside, ms, max] = Deno.args;
    Deno.symlinkSync(outside, folder + ".link");
    const deadline = Date.now() + Number(ms);
    let swaps = 0;
    while (Date.now() < deadline && swaps < Number(max)) {
      Deno.renameSync(folder, folder + ".dir");
      Deno.renameSync(folder + ".link", folder);
      Deno.renameSync(folder, folder + ".link");
      Deno.renameSync(folder + ".dir", folder);
      swaps++;
    }
    Deno.removeSync(folder + ".link");
    console.log(swaps);
  `;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script, folder, outside, String(SWAP_MS), String(MAX_SWAPS)],
    stderr: "inherit",
  }).output();
  assert.equal(output.code, 0);
  return Number(text(output.stdout).trim());
}

/** Asks for `path` on a keep-alive connection until `stop` says so; counts what came back. */
async function askRepeatedly(
  server: TestServer,
  options: { path: string; stop: () => boolean },
): Promise<{ inside: number; outside: number; other: number }> {
  const counts = { inside: 0, outside: 0, other: 0 };
  let conn = await connect(server.port);
  const request = encoder.encode(`GET ${options.path} HTTP/1.1\r\nHost: t\r\n\r\n`);
  try {
    for (let i = 0; i < MAX_REQUESTS_PER_CLIENT && !options.stop(); i++) {
      await writeAll(conn, request);
      const [response] = await readResponses(conn, { responses: 1, timeoutMs: 5000 });
      if (response === undefined) {
        conn.close();
        conn = await connect(server.port);
        continue;
      }
      const body = text(response.body);
      if (body.includes("OUTSIDE")) counts.outside++;
      else if (response.status === 200 && body.startsWith("inside")) counts.inside++;
      else counts.other++;
    }
  } finally {
    conn.close();
  }
  return counts;
}

Deno.test("a folder swapped for a symlink out of the root never serves the outside file", async (t) => {
  const cases = [
    { name: "--file-cache 0, small file", args: ["--file-cache", "0"], size: 200 },
    // Too large for its bytes to be cached: each request opens it by path.
    { name: "default cache, 100 KiB file", args: [], size: 100 * 1024 },
    { name: "default cache, small file", args: [], size: 200 },
  ];
  for (const { name, args, size } of cases) {
    await t.step(name, async () => {
      const site = await makeSite();
      const outside = await Deno.makeTempDir({ prefix: "heiretsu-outside-" });
      // The same size inside and out: the cache's size check must not be what stops it.
      await Deno.mkdir(`${site.root}/box`);
      await Deno.writeFile(`${site.root}/box/note.txt`, version("inside the root", size));
      await Deno.writeFile(`${outside}/note.txt`, version("OUTSIDE the root", size));
      const server = await TestServer.start([site.root, "--quiet", "--workers", "2", ...args]);
      try {
        let done = false;
        const swapped = swapLoop(`${site.root}/box`, outside).finally(() => (done = true));
        const clients = Array.from(
          { length: SWAP_CLIENTS },
          () => askRepeatedly(server, { path: "/box/note.txt", stop: () => done }),
        );
        const swaps = await swapped;
        const results = await Promise.all(clients);
        const sum = (key: "inside" | "outside" | "other") =>
          results.reduce((total, counts) => total + counts[key], 0);
        assert.ok(swaps > 100, `only ${swaps} swaps`);
        assert.ok(sum("inside") > 0, "the inside file was never served");
        assert.equal(sum("outside"), 0, `outside file served ${sum("outside")} times`);
      } finally {
        await server.stop();
        await site.remove();
        await Deno.remove(outside, { recursive: true });
      }
    });
  }
});

Deno.test("a root that is a symlink follows its flips within moments", async () => {
  const parent = Deno.realPathSync(await Deno.makeTempDir({ prefix: "heiretsu-releases-" }));
  const release = async (n: number) => {
    await Deno.mkdir(`${parent}/release-${n}`);
    await Deno.writeTextFile(`${parent}/release-${n}/v.txt`, `release ${n}\n`);
    await Deno.writeTextFile(`${parent}/release-${n}/only-${n}.txt`, `only in ${n}\n`);
  };
  /** `ln -sfn release-N current`, done atomically: a new link renamed over the old. */
  const flip = async (n: number) => {
    await Deno.symlink(`release-${n}`, `${parent}/current.new`);
    await Deno.rename(`${parent}/current.new`, `${parent}/current`);
  };
  await release(1);
  await Deno.symlink("release-1", `${parent}/current`);
  const server = await TestServer.start([`${parent}/current`, "--quiet", "--workers", "2"]);
  try {
    for (let i = 0; i < 20; i++) {
      assert.equal(text((await get(server, "/v.txt")).body), "release 1\n");
    }
    // Made after the server started: the workers may read it all the same.
    await release(2);
    await flip(2);
    const flippedAt = performance.now();
    let seenAfterMs = Infinity;
    while (performance.now() - flippedAt < 3000) {
      if (text((await get(server, "/v.txt")).body) === "release 2\n") {
        seenAfterMs = performance.now() - flippedAt;
        break;
      }
      await sleep(5);
    }
    assert.ok(seenAfterMs < 1000, `release 2 not served within 1 s of the flip`);
    // Every worker has looked again by now: nothing cached from release 1 may come back.
    await sleep(250);
    for (let i = 0; i < 20; i++) {
      assert.equal(text((await get(server, "/v.txt")).body), "release 2\n");
      assert.equal((await get(server, "/only-1.txt")).status, 404);
      assert.equal(text((await get(server, "/only-2.txt")).body), "only in 2\n");
    }
  } finally {
    await server.stop();
    await Deno.remove(parent, { recursive: true });
  }
});
