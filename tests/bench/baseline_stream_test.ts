import assert from "node:assert/strict";
import { join } from "node:path";
import { streamFile } from "../../bench/baseline_stream.ts";
import { baselineSuite } from "./baseline_suite.ts";

baselineSuite({ name: "baseline_stream", script: "bench/baseline_stream.ts" });

Deno.test("streamFile() streams a file and answers 404 for a directory", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(root, "a.css"), "p{}");
    await Deno.mkdir(join(root, "dir"));
    const file = await streamFile(root, "a.css");
    assert.equal(file.headers.get("content-length"), "3");
    assert.equal(file.headers.get("content-type"), "text/css; charset=utf-8");
    assert.equal(await file.text(), "p{}");
    assert.equal((await streamFile(root, "dir")).status, 404);
    assert.equal((await streamFile(root, "none")).status, 404);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
