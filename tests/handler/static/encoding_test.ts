import assert from "node:assert/strict";
import zlib from "node:zlib";
import {
  bytesStream,
  chooseCoding,
  compressStream,
  fileStream,
  LIVE_CODINGS,
} from "../../../lib/handler/static/encoding.ts";

const ALL = ["br", "zstd", "gzip"] as const;

Deno.test("chooseCoding() takes the highest weight, ties to the server's order", () => {
  assert.equal(chooseCoding("gzip, deflate, br, zstd", ALL), "br");
  assert.equal(chooseCoding("gzip, br;q=0.9", ALL), "gzip");
  assert.equal(chooseCoding("zstd, gzip;q=0.5", ALL), "zstd");
  assert.equal(chooseCoding("x-gzip", ALL), "gzip");
  assert.equal(chooseCoding("*", ["gzip"]), "gzip");
  assert.equal(chooseCoding("br;q=0, *;q=0.5", ["br", "gzip"]), "gzip");
});

Deno.test("chooseCoding() sends identity without the field, for unknown or refused codings", () => {
  assert.equal(chooseCoding(undefined, ALL), null);
  assert.equal(chooseCoding("", ALL), null);
  assert.equal(chooseCoding("deflate", ALL), null);
  assert.equal(chooseCoding("gzip;q=0", ["gzip"]), null);
  assert.equal(chooseCoding("gzip", []), null);
});

Deno.test("chooseCoding() lets identity win only when weighed above every coding", () => {
  assert.equal(chooseCoding("gzip;q=0.5", ["gzip"]), "gzip");
  assert.equal(chooseCoding("gzip;q=0.5, identity", ["gzip"]), null);
  assert.equal(chooseCoding("gzip;q=0.5, *;q=0.8", ["gzip"]), null);
  assert.equal(chooseCoding("gzip, identity;q=0", ["gzip"]), "gzip");
});

/** Bytes that compress poorly and differ from offset to offset. */
function pattern(length: number): Uint8Array {
  return new Uint8Array(length).map((_, i) => (i * 7919 + (i >> 8) * 31) % 251);
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("fileStream() yields the whole file and closes it at the end", async () => {
  const path = await Deno.makeTempFile();
  const content = pattern(200_000);
  await Deno.writeFile(path, content);
  try {
    const file = Deno.openSync(path);
    assert.deepEqual(await collect(fileStream(file, content.byteLength)), content);
    assert.throws(() => file.close(), Deno.errors.BadResource);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("fileStream() closes the file when the reader cancels", async () => {
  const path = await Deno.makeTempFile();
  await Deno.writeFile(path, new Uint8Array(200_000));
  try {
    const file = Deno.openSync(path);
    const reader = fileStream(file, 200_000).getReader();
    await reader.read();
    await reader.cancel();
    assert.throws(() => file.close(), Deno.errors.BadResource);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("bytesStream() yields a copy of the bytes", async () => {
  const bytes = new TextEncoder().encode("cached");
  const out = await collect(bytesStream(bytes));
  assert.deepEqual(out, bytes);
  assert.notEqual(out.buffer, bytes.buffer);
});

Deno.test("compressStream() output decompresses to the input for br and gzip", async () => {
  const text = new TextEncoder().encode("body { color: red; }\n".repeat(5000));
  for (const coding of LIVE_CODINGS) {
    const compressed = await collect(
      compressStream(bytesStream(text), { coding, sizeHint: text.length }),
    );
    assert.ok(compressed.byteLength < text.byteLength / 10, coding);
    const plain = coding === "br"
      ? zlib.brotliDecompressSync(compressed)
      : zlib.gunzipSync(compressed);
    assert.deepEqual(new Uint8Array(plain), text, coding);
  }
});

Deno.test("compressStream() cancelled by its reader closes the source file at once", async () => {
  const path = await Deno.makeTempFile();
  await Deno.writeFile(path, pattern(1_000_000));
  try {
    for (const coding of LIVE_CODINGS) {
      const file = Deno.openSync(path);
      const reader = compressStream(fileStream(file, 1_000_000), { coding, sizeHint: 1_000_000 })
        .getReader();
      await reader.read();
      await reader.cancel();
      assert.throws(() => file.close(), Deno.errors.BadResource, coding);
    }
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("fileStream() errors when the file ends before its size, and closes it", async () => {
  const path = await Deno.makeTempFile();
  await Deno.writeFile(path, pattern(200_000));
  try {
    const file = Deno.openSync(path);
    await assert.rejects(collect(fileStream(file, 300_000)), /File ended 100000 bytes short/);
    assert.throws(() => file.close(), Deno.errors.BadResource);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("fileStream() reads only its size of a file that grew", async () => {
  const path = await Deno.makeTempFile();
  const content = pattern(200_000);
  await Deno.writeFile(path, content);
  try {
    const out = await collect(fileStream(Deno.openSync(path), 150_000));
    // Length first: a failing deepEqual of large arrays takes minutes to describe.
    assert.equal(out.byteLength, 150_000);
    assert.deepEqual(out, content.slice(0, 150_000));
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("fileStream() reads nothing before its reader asks", async () => {
  const path = await Deno.makeTempFile();
  await Deno.writeFile(path, pattern(200_000));
  try {
    using file = Deno.openSync(path);
    fileStream(file, 200_000);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(file.seekSync(0, Deno.SeekMode.Current), 0);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("compressStream() errors, never ends cleanly, when its file is cut short", async () => {
  const path = await Deno.makeTempFile();
  try {
    for (const coding of LIVE_CODINGS) {
      await Deno.writeFile(path, pattern(1_000_000));
      const file = Deno.openSync(path);
      const reader = compressStream(fileStream(file, 1_000_000), { coding, sizeHint: 1_000_000 })
        .getReader();
      assert.equal((await reader.read()).done, false);
      await Deno.truncate(path, 100_000);
      const drain = async () => {
        for (let i = 0; i < 1000 && !(await reader.read()).done; i++);
      };
      await assert.rejects(drain(), /File ended/, coding);
      assert.throws(() => file.close(), Deno.errors.BadResource, coding);
    }
  } finally {
    await Deno.remove(path);
  }
});

/** An endless byte stream that counts how many chunks were pulled from it. */
function countingSource(): { stream: ReadableStream<Uint8Array>; pulls: () => number } {
  let pulls = 0;
  const chunk = pattern(64 * 1024);
  const stream = new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: chunk.byteLength,
    pull(controller) {
      pulls++;
      const view = controller.byobRequest!.view!;
      const n = Math.min(view.byteLength, chunk.byteLength);
      new Uint8Array(view.buffer, view.byteOffset, n).set(chunk.subarray(0, n));
      controller.byobRequest!.respond(n);
    },
  });
  return { stream, pulls: () => pulls };
}

Deno.test("compressStream() pulls one source chunk per read and none ahead", async () => {
  for (const coding of LIVE_CODINGS) {
    const source = countingSource();
    const reader = compressStream(source.stream, { coding, sizeHint: 1 << 30 }).getReader();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(source.pulls(), 0, `${coding}: before the first read`);
    for (let i = 1; i <= 3; i++) {
      assert.equal((await reader.read()).done, false);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(source.pulls() <= i, `${coding}: ${source.pulls()} pulls after ${i} reads`);
    }
    await reader.cancel();
  }
});
