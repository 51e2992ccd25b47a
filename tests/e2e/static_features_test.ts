/**
 * @module
 * Integration tests of issue 4 over real sockets: the server runs as a subprocess and is asked
 * with a raw HTTP client (exact bytes, no transparent decompression) and with curl, which must
 * get what it expects from `-r`, `-z` and `--compressed`.
 */
import assert from "node:assert/strict";
import zlib from "node:zlib";
import { connect, exchange, type RawResponse, writeAll } from "../_helpers/http.ts";
import { TestServer } from "../_helpers/server.ts";
import { makeSite, type TestSite } from "../_helpers/site.ts";

const DIGITS = "0123456789".repeat(100);
const SCRIPT = "export const greeting = 'hello';\n".repeat(200);
const CSS = "main { margin: 0 auto; padding: 1rem; }\n".repeat(100);

/** The shared test site plus what issue 4 needs: siblings, dotfiles, symlinks, 404 page. */
async function makeFeatureSite(): Promise<TestSite & { outside: string }> {
  const site = await makeSite();
  const { root } = site;
  const outside = await Deno.makeTempDir({ prefix: "heiretsu-outside-" });
  const secret = `${root.slice(0, root.lastIndexOf("/"))}/${SECRET}`;
  await Deno.writeTextFile(`${outside}/target.txt`, "outside the root");
  // A file next to the root, which "%2e%2e%2f" would reach if decoding let it climb.
  await Deno.writeTextFile(secret, "must never be served");
  await Deno.writeTextFile(`${root}/digits.txt`, DIGITS);
  await Deno.writeTextFile(`${root}/app.js`, SCRIPT);
  await Deno.writeFile(`${root}/app.js.br`, zlib.brotliCompressSync(SCRIPT));
  await Deno.writeFile(`${root}/app.js.gz`, zlib.gzipSync(SCRIPT));
  await Deno.writeTextFile(`${root}/style.css`, CSS);
  await Deno.writeTextFile(`${root}/.env`, "TOKEN=1");
  await Deno.writeTextFile(`${root}/404.html`, "<p>custom not found</p>");
  await Deno.symlink(`${outside}/target.txt`, `${root}/outside.txt`);
  await Deno.writeTextFile(`${root}/empty/<script>alert(1).txt`, "x");
  await Deno.writeTextFile(`${root}/empty/.hidden`, "x");
  return {
    root,
    outside,
    remove: async () => {
      await site.remove();
      await Deno.remove(outside, { recursive: true });
      await Deno.remove(secret);
    },
  };
}

/** One request over a fresh connection, closed after the response. */
async function request(
  server: TestServer,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const method = options.method ?? "GET";
  const fields = Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  const [response] = await exchange(
    server.port,
    `${method} ${path} HTTP/1.1\r\nHost: t\r\n${fields}Connection: close\r\n\r\n`,
    { responses: 1, headRequests: method === "HEAD" ? [0] : [] },
  );
  return response;
}

/** Random base64 text of `length` characters: a compressible type that hardly compresses. */
function randomText(length: number): string {
  const bytes = new Uint8Array(length * 3 / 4);
  for (let i = 0; i < bytes.length; i += 65536) {
    crypto.getRandomValues(bytes.subarray(i, i + 65536));
  }
  return btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
}

/** A file next to each test site's root, named so that no other test's file is confused with it. */
const SECRET = `secret-${crypto.randomUUID()}.txt`;

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Runs curl against the server; returns its exit code, output bytes and the response head. */
async function curl(server: TestServer, args: string[]) {
  const headFile = await Deno.makeTempFile();
  try {
    const output = await new Deno.Command("curl", {
      args: [
        "--silent",
        "--show-error",
        "--dump-header",
        headFile,
        ...args.map((a) => a.startsWith("/") ? server.url + a : a),
      ],
    }).output();
    const head = await Deno.readTextFile(headFile);
    return { code: output.code, body: output.stdout, stderr: text(output.stderr), head };
  } finally {
    await Deno.remove(headFile);
  }
}

Deno.test("static features with default flags, over real sockets", async (t) => {
  const site = await makeFeatureSite();
  const server = await TestServer.start([site.root, "--quiet"]);
  try {
    await t.step(
      "a 200 carries Last-Modified, a strong ETag, Accept-Ranges and nosniff",
      async () => {
        const response = await request(server, "/digits.txt");
        assert.equal(response.status, 200);
        assert.match(response.headers.get("etag")!, /^"[0-9a-f]+-[0-9a-f]+"$/);
        assert.ok(response.headers.get("last-modified")?.endsWith(" GMT"));
        assert.equal(response.headers.get("accept-ranges"), "bytes");
        assert.equal(response.headers.get("x-content-type-options"), "nosniff");
        assert.equal(response.headers.get("cache-control"), "no-cache");
      },
    );

    await t.step("a weak ETag in If-None-Match gives 304 with validators and no body", async () => {
      const etag = (await request(server, "/digits.txt")).headers.get("etag")!;
      for (const method of ["GET", "HEAD"]) {
        // Two responses on one connection: a body on the 304 would corrupt the second.
        const responses = await exchange(
          server.port,
          `${method} /digits.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: W/${etag}\r\n\r\n` +
            `GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
          { responses: 2 },
        );
        assert.equal(responses[0].status, 304, method);
        assert.equal(responses[0].headers.get("etag"), etag);
        assert.ok(responses[0].headers.has("last-modified"));
        assert.equal(text(responses[1].body), "hello, world\n");
      }
    });

    await t.step(
      "If-Modified-Since gives 304; failed If-Match and If-Unmodified-Since 412",
      async () => {
        const lastModified = (await request(server, "/digits.txt")).headers.get("last-modified")!;
        const ims = await request(server, "/digits.txt", {
          headers: { "If-Modified-Since": lastModified },
        });
        assert.equal(ims.status, 304);
        const ifMatch = await request(server, "/digits.txt", { headers: { "If-Match": '"nope"' } });
        assert.equal(ifMatch.status, 412);
        const stale = "Sun, 06 Nov 1994 08:49:37 GMT";
        const ius = await request(server, "/digits.txt", {
          headers: { "If-Unmodified-Since": stale },
        });
        assert.equal(ius.status, 412);
      },
    );

    await t.step("single ranges of every form give 206 with Content-Range", async () => {
      for (
        const [range, start, end] of [["0-9", 0, 9], ["990-", 990, 999], ["-5", 995, 999], [
          "995-5000",
          995,
          999,
        ]]
      ) {
        const response = await request(server, "/digits.txt", {
          headers: { Range: `bytes=${range}` },
        });
        assert.equal(response.status, 206, String(range));
        assert.equal(response.headers.get("content-range"), `bytes ${start}-${end}/1000`);
        assert.equal(text(response.body), DIGITS.slice(Number(start), Number(end) + 1));
      }
    });

    await t.step("two ranges give a multipart body whose parts are byte-exact", async () => {
      const response = await request(server, "/digits.txt", {
        headers: { Range: "bytes=2-5,900-909" },
      });
      assert.equal(response.status, 206);
      const boundary = /boundary=(\S+)$/.exec(response.headers.get("content-type")!)![1];
      const parts = text(response.body).split(`--${boundary}`);
      assert.equal(parts.length, 4);
      assert.equal(parts[3], "--\r\n");
      const expected = [["bytes 2-5/1000", DIGITS.slice(2, 6)], [
        "bytes 900-909/1000",
        DIGITS.slice(900, 910),
      ]];
      expected.forEach(([contentRange, data], i) => {
        const [head, payload] = parts[i + 1].split("\r\n\r\n");
        assert.ok(head.includes(`content-range: ${contentRange}`));
        assert.ok(head.includes("content-type: text/plain; charset=utf-8"));
        assert.equal(payload, `${data}\r\n`);
      });
    });

    await t.step("bytes=-0 and bytes=5-1 give 416; a malformed Range gives 200", async () => {
      for (const range of ["bytes=-0", "bytes=5-1"]) {
        const response = await request(server, "/digits.txt", { headers: { Range: range } });
        assert.equal(response.status, 416, range);
        assert.equal(response.headers.get("content-range"), "bytes */1000");
      }
      for (const range of ["bytes=x-y", "lines=0-1"]) {
        const response = await request(server, "/digits.txt", { headers: { Range: range } });
        assert.equal(response.status, 200, range);
        assert.equal(response.body.byteLength, 1000);
      }
    });

    await t.step("many overlapping ranges are merged, never sent more than once", async () => {
      const range = `bytes=${Array(16).fill("0-").join(",")}`;
      const response = await request(server, "/digits.txt", { headers: { Range: range } });
      assert.equal(response.status, 206);
      assert.equal(response.headers.get("content-range"), "bytes 0-999/1000");
      assert.equal(response.body.byteLength, 1000);
      const tooMany = `bytes=${Array.from({ length: 17 }, (_, i) => `${i * 10}-${i * 10}`)}`;
      assert.equal(
        (await request(server, "/digits.txt", { headers: { Range: tooMany } })).status,
        200,
      );
    });

    await t.step("a stale If-Range gives 200 with the full body; the current one 206", async () => {
      const etag = (await request(server, "/digits.txt")).headers.get("etag")!;
      const stale = await request(server, "/digits.txt", {
        headers: { Range: "bytes=0-9", "If-Range": '"0-0"' },
      });
      assert.equal(stale.status, 200);
      assert.equal(text(stale.body), DIGITS);
      const current = await request(server, "/digits.txt", {
        headers: { Range: "bytes=0-9", "If-Range": etag },
      });
      assert.equal(current.status, 206);
    });

    await t.step(
      "a precompressed .br is chosen over .gz with the compressed Content-Length",
      async () => {
        const response = await request(server, "/app.js", {
          headers: { "Accept-Encoding": "gzip, br" },
        });
        assert.equal(response.headers.get("content-encoding"), "br");
        const size = (await Deno.stat(`${site.root}/app.js.br`)).size;
        assert.equal(response.headers.get("content-length"), String(size));
        assert.equal(response.headers.get("vary"), "Accept-Encoding");
        assert.equal(text(zlib.brotliDecompressSync(response.body)), SCRIPT);
        const gzip = await request(server, "/app.js", {
          headers: { "Accept-Encoding": "gzip;q=1, br;q=0.5" },
        });
        assert.equal(gzip.headers.get("content-encoding"), "gzip");
      },
    );

    await t.step("an encoded %2e%2e%2f never escapes the root", async () => {
      for (
        const path of [
          `/%2e%2e%2f${SECRET}`,
          `/docs/%2E%2E%2F%2e%2e%2f${SECRET}`,
          `/..%2f${SECRET}`,
        ]
      ) {
        const response = await request(server, path);
        assert.equal(response.status, 404, path);
        assert.ok(!text(response.body).includes("must never be served"));
      }
    });

    await t.step("a dotfile is 404 by default and a symlink out of the root too", async () => {
      for (const path of ["/.env", "/outside.txt"]) {
        assert.equal((await request(server, path)).status, 404, path);
      }
    });

    await t.step("404.html at the root is the body of 404s", async () => {
      const response = await request(server, "/no/such/file");
      assert.equal(response.status, 404);
      assert.equal(text(response.body), "<p>custom not found</p>");
    });

    await t.step("curl -r 0-9 gets the first ten bytes", async () => {
      const result = await curl(server, ["-r", "0-9", "/digits.txt"]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.head, /^HTTP\/1\.1 206/);
      assert.equal(text(result.body), "0123456789");
    });

    await t.step("curl -z skips an unchanged file and fetches a changed one", async () => {
      const lastModified = (await request(server, "/digits.txt")).headers.get("last-modified")!;
      const fresh = await curl(server, ["-z", lastModified, "/digits.txt"]);
      assert.equal(fresh.code, 0, fresh.stderr);
      assert.match(fresh.head, /^HTTP\/1\.1 304/);
      assert.equal(fresh.body.byteLength, 0);
      const older = await curl(server, ["-z", "Sun, 06 Nov 1994 08:49:37 GMT", "/digits.txt"]);
      assert.match(older.head, /^HTTP\/1\.1 200/);
      assert.equal(text(older.body), DIGITS);
    });

    await t.step("curl --compressed gets the decoded precompressed file", async () => {
      const result = await curl(server, ["--compressed", "/app.js"]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.head, /content-encoding: br/i);
      assert.equal(text(result.body), SCRIPT);
    });
  } finally {
    await server.stop();
    await site.remove();
  }
});

Deno.test("static features with every flag on, over real sockets", async (t) => {
  const site = await makeFeatureSite();
  const server = await TestServer.start([
    site.root,
    "--quiet",
    "--compress",
    "--list",
    "--dotfiles",
    "deny",
    "--follow-symlinks",
    "--spa",
    "--cors",
    "https://app.example",
    "--header",
    "X-Frame-Options: DENY",
    "--header",
    "X-Robots-Tag: noindex",
    "--cache-control",
    "public, max-age=60",
  ]);
  try {
    await t.step(
      "--compress: curl --compressed decodes a stream compressed on the fly",
      async () => {
        for (const encoding of ["br", "gzip"]) {
          const result = await curl(server, [
            "--compressed",
            "-H",
            `Accept-Encoding: ${encoding}`,
            "/style.css",
          ]);
          assert.equal(result.code, 0, result.stderr);
          assert.match(result.head, new RegExp(`content-encoding: ${encoding}`, "i"));
          assert.match(result.head, /transfer-encoding: chunked/i);
          assert.match(result.head, /vary: Accept-Encoding, Origin/i);
          assert.equal(text(result.body), CSS);
        }
      },
    );

    await t.step("--compress: a Range request gets identity bytes", async () => {
      const response = await request(server, "/style.css", {
        headers: { "Accept-Encoding": "br", Range: "bytes=0-3" },
      });
      assert.equal(response.status, 206);
      assert.equal(response.headers.get("content-encoding"), undefined);
      assert.equal(text(response.body), CSS.slice(0, 4));
    });

    await t.step(
      "--list: the listing escapes <script> in a file name and hides dotfiles",
      async () => {
        // Listings are streamed (chunked): fetch() decodes them.
        const response = await fetch(`${server.url}/empty/`);
        assert.equal(response.status, 200);
        const page = await response.text();
        assert.ok(page.includes("&lt;script&gt;alert(1).txt"));
        assert.ok(!page.includes("<script>"));
        assert.ok(!page.includes(".hidden"));
        const json = await fetch(`${server.url}/empty/`, {
          headers: { Accept: "application/json" },
        });
        assert.deepEqual((await json.json()).entries.map((e: { name: string }) => e.name), [
          "<script>alert(1).txt",
        ]);
      },
    );

    await t.step("--dotfiles deny: a dotfile is 403", async () => {
      assert.equal((await request(server, "/.env")).status, 403);
    });

    await t.step("--follow-symlinks: a symlink out of the root is served", async () => {
      const response = await request(server, "/outside.txt");
      assert.equal(response.status, 200);
      assert.equal(text(response.body), "outside the root");
    });

    await t.step(
      "--spa: an HTML route gets index.html, a missing asset 404, Vary: Accept where Accept chose",
      async () => {
        const accept = { Accept: "text/html,application/xhtml+xml,*/*;q=0.8" };
        const route = await request(server, "/settings/profile", { headers: accept });
        assert.equal(route.status, 200);
        assert.match(text(route.body), /home page/);
        assert.match(route.headers.get("vary") ?? "", /\bAccept\b(?!-)/);
        const json = await request(server, "/settings/profile", {
          headers: { Accept: "application/json" },
        });
        assert.equal(json.status, 404);
        assert.match(json.headers.get("vary") ?? "", /\bAccept\b(?!-)/);
        const asset = await request(server, "/assets/missing.js", { headers: accept });
        assert.equal(asset.status, 404);
      },
    );

    await t.step(
      "--cors: the origin and Vary on responses; preflight answered with 204",
      async () => {
        const get = await request(server, "/hello.txt");
        assert.equal(get.headers.get("access-control-allow-origin"), "https://app.example");
        const preflight = await request(server, "/hello.txt", {
          method: "OPTIONS",
          headers: { Origin: "https://app.example", "Access-Control-Request-Method": "GET" },
        });
        assert.equal(preflight.status, 204);
        assert.equal(preflight.headers.get("access-control-allow-methods"), "GET, HEAD, OPTIONS");
        assert.ok(preflight.headers.has("access-control-max-age"));
      },
    );

    await t.step(
      "--header and --cache-control: on every response, HTML always no-cache",
      async () => {
        for (const path of ["/hello.txt", "/", "/nope.txt"]) {
          const response = await request(server, path);
          assert.equal(response.headers.get("x-frame-options"), "DENY", path);
          assert.equal(response.headers.get("x-robots-tag"), "noindex", path);
          assert.equal(response.headers.get("x-content-type-options"), "nosniff", path);
        }
        assert.equal(
          (await request(server, "/hello.txt")).headers.get("cache-control"),
          "public, max-age=60",
        );
        assert.equal((await request(server, "/")).headers.get("cache-control"), "no-cache");
      },
    );
  } finally {
    await server.stop();
    await site.remove();
  }
});

Deno.test("static features: --list alone keeps dotfiles unlisted and 404", async () => {
  const site = await makeFeatureSite();
  const server = await TestServer.start([site.root, "--quiet", "--list"]);
  try {
    const listing = text((await request(server, "/empty/")).body);
    assert.ok(listing.includes("alert(1)"));
    assert.ok(!listing.includes(".hidden"));
    assert.equal((await request(server, "/empty/.hidden")).status, 404);
  } finally {
    await server.stop();
    await site.remove();
  }
});

Deno.test("static features: a stalled compressed download does not hold up its worker", async () => {
  const site = await makeFeatureSite();
  // Random text: compressed it still far exceeds the response window, so the sender must wait.
  await Deno.writeTextFile(`${site.root}/big.css`, randomText(4 * 1024 * 1024));
  const server = await TestServer.start([site.root, "--quiet", "--compress", "--workers", "1"]);
  const stalled = await connect(server.port);
  try {
    const head = "GET /big.css HTTP/1.1\r\nHost: t\r\nAccept-Encoding: br\r\n\r\n";
    await writeAll(stalled, new TextEncoder().encode(head));
    // Read its head, then nothing more: the worker must wait for credit, not spin or block.
    const first = new Uint8Array(1024);
    const n = await stalled.read(first);
    assert.match(new TextDecoder().decode(first.subarray(0, n ?? 0)), /^HTTP\/1\.1 200/);
    for (let i = 0; i < 10; i++) {
      const response = await request(server, "/hello.txt");
      assert.equal(text(response.body), "hello, world\n");
    }
  } finally {
    stalled.close();
    await server.stop();
    await site.remove();
  }
});
