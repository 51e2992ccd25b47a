/**
 * @module
 * Tests for lib/handler/static/file_response.ts: validators and conditionals, ranges, precompressed
 * siblings and on-the-fly compression, for cached (bytes) and uncached (open file) files.
 */
import assert from "node:assert/strict";
import zlib from "node:zlib";
import { DEFAULTS, type StaticSettings } from "../../../lib/config/settings.ts";
import { compressionsRunning } from "../../../lib/handler/static/encoding.ts";
import { httpDate } from "../../../lib/http/date.ts";
import type { PlannedResponse } from "../../../lib/handler/handler.ts";
import { describeFile, type StaticFile } from "../../../lib/handler/static/cache.ts";
import { readFields } from "../../../lib/handler/static/fields.ts";
import { respondWithFile, respondWithPage } from "../../../lib/handler/static/file_response.ts";
import { locate } from "../../../lib/handler/static/locate.ts";
import { headerPolicy } from "../../../lib/handler/static/respond.ts";
import { header } from "./_helpers.ts";

const root = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "heiretsu-file-response-" }));
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
const DIGITS = "0123456789".repeat(10);
const CSS = "body { color: red; }\n".repeat(200);
Deno.writeTextFileSync(`${root}/digits.txt`, DIGITS);
Deno.writeTextFileSync(`${root}/style.css`, CSS);
Deno.writeTextFileSync(`${root}/app.js`, "console.log('app');\n".repeat(100));
Deno.writeFileSync(
  `${root}/app.js.br`,
  zlib.brotliCompressSync(Deno.readFileSync(`${root}/app.js`)),
);
Deno.writeFileSync(`${root}/app.js.gz`, zlib.gzipSync(Deno.readFileSync(`${root}/app.js`)));
Deno.writeFileSync(`${root}/photo.png`, new Uint8Array(4096));

/** The file, cached (bytes in memory) or not (opened per request). */
function file(name: string, cached = true): StaticFile {
  const found = locate({ root, followSymlinks: false }, `/${name}`);
  assert.ok(found.kind === "file", name);
  return describeFile(found, cached ? 1 << 20 : 0)!;
}

function respond(
  target: StaticFile,
  request: {
    method?: string;
    headers?: Array<[string, string]>;
    settings?: Partial<StaticSettings>;
  },
): PlannedResponse {
  const policy = headerPolicy(request.settings ? { ...DEFAULTS, ...request.settings } : DEFAULTS);
  const fields = readFields(request.headers ?? []);
  const response = respondWithFile({ method: request.method ?? "GET", fields, policy }, target);
  assert.ok(response !== null, "the file changed on disk");
  return response;
}

/** The body's bytes, whatever its shape; files are read and closed. */
async function body(response: PlannedResponse): Promise<Uint8Array> {
  const { body } = response;
  switch (body.kind) {
    case "empty":
      return new Uint8Array();
    case "bytes":
      return body.bytes;
    case "file": {
      const bytes = readRange(body);
      closeQuietly(body.file);
      return bytes;
    }
    case "parts": {
      const pieces = body.parts.map((p) => p instanceof Uint8Array ? p : readRange(p));
      body.parts.forEach((p) => p instanceof Uint8Array || closeQuietly(p.file));
      return new Uint8Array(pieces.flatMap((p) => [...p]));
    }
    case "stream":
      return new Uint8Array(await new Response(body.stream).arrayBuffer());
  }
}

function readRange(range: { file: Deno.FsFile; offset: number; length: number }): Uint8Array {
  const out = new Uint8Array(range.length);
  range.file.seekSync(range.offset, Deno.SeekMode.Start);
  let read = 0;
  while (read < range.length) read += range.file.readSync(out.subarray(read)) ?? range.length;
  return out;
}

function closeQuietly(file: Deno.FsFile): void {
  try {
    file.close();
  } catch { /* already closed */ }
}

const text = async (response: PlannedResponse) => new TextDecoder().decode(await body(response));

Deno.test("respondWithFile() sends 200 with validators, Accept-Ranges and Cache-Control", async () => {
  for (const cached of [true, false]) {
    const response = respond(file("digits.txt", cached), {});
    assert.equal(response.status, 200);
    assert.equal(response.body.kind, cached ? "bytes" : "file");
    assert.equal(header(response, "content-length"), "100");
    assert.match(header(response, "etag")!, /^"[0-9a-f]+-64"$/);
    assert.equal(
      header(response, "last-modified"),
      httpDate(Deno.statSync(`${root}/digits.txt`).mtime!.getTime()),
    );
    assert.equal(header(response, "accept-ranges"), "bytes");
    assert.equal(header(response, "cache-control"), "no-cache");
    assert.equal(header(response, "vary"), undefined);
    assert.equal(await text(response), DIGITS);
  }
});

Deno.test("respondWithFile() reuses the 200 headers it built for a stored form", () => {
  const target = file("digits.txt");
  assert.equal(respond(target, {}).headers, respond(target, {}).headers);
});

Deno.test("respondWithFile() answers HEAD with GET's headers and no body", () => {
  const target = file("digits.txt", false);
  const head = respond(target, { method: "HEAD" });
  assert.deepEqual(head.headers, respond(target, { method: "GET" }).headers);
  assert.deepEqual(head.body, { kind: "empty" });
});

Deno.test("respondWithFile() answers a weak If-None-Match of the current tag with 304", async () => {
  const target = file("digits.txt");
  const etag = header(respond(target, {}), "etag")!;
  for (const method of ["GET", "HEAD"]) {
    const response = respond(target, { method, headers: [["if-none-match", `"x", W/${etag}`]] });
    assert.equal(response.status, 304, method);
    assert.deepEqual(response.body, { kind: "empty" });
    assert.equal(header(response, "etag"), etag);
    assert.ok(header(response, "last-modified"));
    assert.equal(header(response, "cache-control"), "no-cache");
    assert.equal(header(response, "content-length"), undefined);
  }
  assert.equal(respond(target, { headers: [["if-none-match", '"other"']] }).status, 200);
  assert.equal(await text(respond(target, { headers: [["if-none-match", '"other"']] })), DIGITS);
});

Deno.test("respondWithFile() answers If-Modified-Since at or after Last-Modified with 304", () => {
  const target = file("digits.txt");
  const modified = target.identity.modifiedMs!;
  assert.equal(
    respond(target, { headers: [["if-modified-since", httpDate(modified)]] }).status,
    304,
  );
  assert.equal(
    respond(target, { headers: [["if-modified-since", httpDate(modified - 1000)]] }).status,
    200,
  );
});

Deno.test("respondWithFile() answers failed If-Match and If-Unmodified-Since with 412", () => {
  const target = file("digits.txt");
  const stale = httpDate(target.identity.modifiedMs! - 1000);
  for (const headers of [[["if-match", '"nope"']], [["if-unmodified-since", stale]]] as const) {
    const response = respond(target, { headers: headers.map(([n, v]) => [n, v]) });
    assert.equal(response.status, 412);
  }
  assert.equal(respond(target, { headers: [["if-match", target.identity.etag!]] }).status, 200);
});

Deno.test("respondWithFile() answers a single range with 206 and Content-Range", async () => {
  for (const cached of [true, false]) {
    for (
      const [range, expected, contentRange] of [
        ["bytes=0-9", DIGITS.slice(0, 10), "bytes 0-9/100"],
        ["bytes=95-", DIGITS.slice(95), "bytes 95-99/100"],
        ["bytes=-3", DIGITS.slice(97), "bytes 97-99/100"],
        ["bytes=90-1000", DIGITS.slice(90), "bytes 90-99/100"],
      ]
    ) {
      const response = respond(file("digits.txt", cached), { headers: [["range", range]] });
      assert.equal(response.status, 206, range);
      assert.equal(header(response, "content-range"), contentRange);
      assert.equal(header(response, "content-length"), String(expected.length));
      assert.equal(await text(response), expected);
    }
  }
});

Deno.test("respondWithFile() answers two ranges with a byte-exact multipart body", async () => {
  for (const cached of [true, false]) {
    const response = respond(file("digits.txt", cached), {
      headers: [["range", "bytes=0-4,90-99"]],
    });
    assert.equal(response.status, 206);
    const type = header(response, "content-type")!;
    const boundary = /^multipart\/byteranges; boundary=(\w+)$/.exec(type)![1];
    const payload = await text(response);
    assert.equal(header(response, "content-length"), String(payload.length));
    assert.equal(
      payload,
      `--${boundary}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-range: bytes 0-4/100\r\n\r\n01234` +
        `\r\n--${boundary}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-range: bytes 90-99/100\r\n\r\n0123456789` +
        `\r\n--${boundary}--\r\n`,
    );
  }
});

Deno.test("respondWithFile() answers unsatisfiable ranges with 416 and bytes */length", () => {
  for (const range of ["bytes=-0", "bytes=5-1", "bytes=100-"]) {
    const response = respond(file("digits.txt"), { headers: [["range", range]] });
    assert.equal(response.status, 416, range);
    assert.equal(header(response, "content-range"), "bytes */100");
  }
});

Deno.test("respondWithFile() ignores malformed ranges and ranges on HEAD", () => {
  for (const range of ["bytes=x-1", "items=0-1"]) {
    assert.equal(respond(file("digits.txt"), { headers: [["range", range]] }).status, 200, range);
  }
  const head = respond(file("digits.txt"), { method: "HEAD", headers: [["range", "bytes=0-1"]] });
  assert.equal(head.status, 200);
  assert.equal(header(head, "content-length"), "100");
});

Deno.test("respondWithFile() honours If-Range only with the current strong tag or date", () => {
  const target = file("digits.txt");
  const { etag, modifiedMs } = target.identity;
  const ranged = (ifRange: string) =>
    respond(target, { headers: [["range", "bytes=0-0"], ["if-range", ifRange]] }).status;
  assert.equal(ranged(etag!), 206);
  assert.equal(ranged(httpDate(modifiedMs!)), 206);
  assert.equal(ranged('"stale-1"'), 200);
  assert.equal(ranged(`W/${etag}`), 200);
  assert.equal(ranged(httpDate(modifiedMs! - 1000)), 200);
});

Deno.test("respondWithFile() prefers a precompressed .br over .gz, with its own length and tag", async () => {
  const target = file("app.js");
  const br = respond(target, { headers: [["accept-encoding", "gzip, deflate, br"]] });
  assert.equal(header(br, "content-encoding"), "br");
  assert.equal(header(br, "content-length"), String(Deno.statSync(`${root}/app.js.br`).size));
  assert.equal(header(br, "vary"), "Accept-Encoding");
  assert.match(header(br, "etag")!, /-br"$/);
  assert.deepEqual(await body(br), Deno.readFileSync(`${root}/app.js.br`));
  const gzip = respond(target, { headers: [["accept-encoding", "gzip"]] });
  assert.equal(header(gzip, "content-encoding"), "gzip");
  assert.match(header(gzip, "etag")!, /-gzip"$/);
  const identity = respond(target, {});
  assert.equal(header(identity, "content-encoding"), undefined);
  assert.equal(header(identity, "vary"), "Accept-Encoding");
  assert.equal(await text(identity), Deno.readTextFileSync(`${root}/app.js`));
});

Deno.test("respondWithFile() takes ranges of a precompressed sibling's own bytes", async () => {
  const response = respond(file("app.js", false), {
    headers: [["accept-encoding", "br"], ["range", "bytes=0-3"]],
  });
  assert.equal(response.status, 206);
  assert.equal(header(response, "content-encoding"), "br");
  const size = Deno.statSync(`${root}/app.js.br`).size;
  assert.equal(header(response, "content-range"), `bytes 0-3/${size}`);
  assert.deepEqual(await body(response), Deno.readFileSync(`${root}/app.js.br`).subarray(0, 4));
});

const COMPRESS = { compress: true };

Deno.test("respondWithFile() with compress streams brotli or gzip with a weak tag", async () => {
  for (const cached of [true, false]) {
    for (const [accept, coding] of [["gzip, br", "br"], ["gzip", "gzip"]]) {
      const response = respond(file("style.css", cached), {
        headers: [["accept-encoding", accept]],
        settings: COMPRESS,
      });
      assert.equal(response.status, 200);
      assert.equal(response.body.kind, "stream");
      assert.equal(header(response, "content-encoding"), coding);
      assert.equal(header(response, "content-length"), undefined);
      assert.equal(header(response, "accept-ranges"), undefined);
      assert.equal(header(response, "vary"), "Accept-Encoding");
      assert.match(header(response, "etag")!, new RegExp(`^W/"[0-9a-f]+-[0-9a-f]+-${coding}"$`));
      const packed = await body(response);
      const plain = coding === "br" ? zlib.brotliDecompressSync(packed) : zlib.gunzipSync(packed);
      assert.equal(new TextDecoder().decode(plain), CSS);
    }
  }
});

Deno.test("respondWithFile() sends files as stored while maxCompressions compressors run", async () => {
  const settings = { compress: true, maxCompressions: 2 };
  const ask = () => respond(file("style.css"), { headers: [["accept-encoding", "br"]], settings });
  const running = [ask(), ask()];
  assert.deepEqual(running.map((r) => header(r, "content-encoding")), ["br", "br"]);
  const third = ask();
  assert.equal(header(third, "content-encoding"), undefined, "past the cap: stored bytes");
  assert.equal(header(third, "vary"), "Accept-Encoding", "the answer still varies");
  if (third.body.kind === "file") third.body.file.close();
  for (const r of running) if (r.body.kind === "stream") await r.body.stream.cancel();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(header(ask(), "content-encoding"), "br", "a cancelled compressor frees its place");
  assert.equal(compressionsRunning(), 1);
});

Deno.test("respondWithFile() with compress answers the weak tag with 304", () => {
  const target = file("style.css");
  const first = respond(target, { headers: [["accept-encoding", "br"]], settings: COMPRESS });
  if (first.body.kind === "stream") first.body.stream.cancel();
  const again = respond(target, {
    headers: [["accept-encoding", "br"], ["if-none-match", header(first, "etag")!]],
    settings: COMPRESS,
  });
  assert.equal(again.status, 304);
  assert.equal(header(again, "etag"), header(first, "etag"));
});

Deno.test("respondWithFile() with compress leaves small, binary and ranged requests alone", () => {
  const small = respond(file("digits.txt"), {
    headers: [["accept-encoding", "br"]],
    settings: COMPRESS,
  });
  assert.equal(header(small, "content-encoding"), undefined);
  const png = respond(file("photo.png"), {
    headers: [["accept-encoding", "br"]],
    settings: COMPRESS,
  });
  assert.equal(header(png, "content-encoding"), undefined);
  assert.equal(header(png, "vary"), undefined);
  const ranged = respond(file("style.css"), {
    headers: [["accept-encoding", "br"], ["range", "bytes=0-9"]],
    settings: COMPRESS,
  });
  assert.equal(ranged.status, 206);
  assert.equal(header(ranged, "content-encoding"), undefined);
  assert.equal(header(ranged, "vary"), "Accept-Encoding");
});

Deno.test("respondWithPage() sends a file as the body of another status, uncached or not", async () => {
  const policy = headerPolicy(DEFAULTS);
  for (const cached of [true, false]) {
    const page = file("digits.txt", cached);
    const response = respondWithPage({ method: "GET", fields: readFields([]), policy }, {
      file: page,
      status: 404,
    });
    assert.ok(response !== null);
    assert.equal(response.status, 404);
    assert.equal(header(response, "etag"), undefined);
    assert.equal(header(response, "content-length"), "100");
    assert.equal(await text(response), DIGITS);
  }
});

Deno.test("respondWithFile() returns null, opening nothing, once the file is renamed over", () => {
  Deno.writeTextFileSync(`${root}/replaced.txt`, DIGITS);
  const described = file("replaced.txt", false);
  const policy = headerPolicy(DEFAULTS);
  // Same size: the old headers would frame the new bytes exactly, under the old ETag.
  Deno.writeTextFileSync(`${root}/replaced.tmp`, DIGITS.replaceAll("0", "o"));
  Deno.renameSync(`${root}/replaced.tmp`, `${root}/replaced.txt`);
  for (const headers of [[], [["range", "bytes=0-9"]]] as Array<Array<[string, string]>>) {
    const fields = readFields(headers);
    assert.equal(respondWithFile({ method: "GET", fields, policy }, described), null);
  }
  const page = { file: described, status: 404 };
  assert.equal(respondWithPage({ method: "GET", fields: readFields([]), policy }, page), null);
});
