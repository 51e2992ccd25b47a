import assert from "node:assert/strict";
import { join } from "node:path";
import { loadFiles } from "../../bench/baseline_memory.ts";
import { baselineSuite } from "./baseline_suite.ts";

baselineSuite({ name: "baseline_memory", script: "bench/baseline_memory.ts" });

Deno.test("loadFiles() reads only regular top-level files with their headers", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(root, "a.html"), "<p>a</p>");
    await Deno.mkdir(join(root, "dir"));
    const files = await loadFiles(root);
    assert.deepEqual([...files.keys()], ["a.html"]);
    assert.deepEqual(files.get("a.html")?.headers, {
      "content-type": "text/html; charset=utf-8",
      "content-length": "8",
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
