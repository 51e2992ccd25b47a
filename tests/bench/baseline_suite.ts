/**
 * @module baseline_suite
 * One behaviour suite run by both baseline servers, which must answer the
 * same requests the same way.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { ServerProcess, type ServerSpec } from "../../bench/server_process.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

async function withServer(spec: ServerSpec, body: (url: string, root: string) => Promise<void>) {
  const root = await Deno.makeTempDir({ prefix: "heiretsu-baseline-" });
  try {
    await Deno.writeTextFile(join(root, "hello.txt"), "hello, world\n");
    await Deno.writeFile(join(root, "data.bin"), crypto.getRandomValues(new Uint8Array(50_000)));
    await Deno.mkdir(join(root, "sub"));
    await Deno.writeTextFile(join(root, "sub", "inner.txt"), "inner");
    const server = await ServerProcess.start(spec, { root, cwd: REPO_ROOT });
    try {
      await body(server.url, root);
    } finally {
      const status = await server.stop();
      assert.equal(status.code, 0, `${spec.name} exits 0 on SIGTERM`);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/**
 * Registers the shared baseline tests for one server.
 *
 * @param spec The baseline's name and script.
 * @example Run the suite for the memory baseline (not run by `deno test --doc`: it registers
 * Deno.test cases, which cannot be nested inside the doc test)
 * ```ts ignore
 * baselineSuite({ name: "baseline_memory", script: "bench/baseline_memory.ts" });
 * ```
 */
export function baselineSuite(spec: ServerSpec): void {
  Deno.test(`${spec.name} serves top-level files with type and length`, async () => {
    await withServer(spec, async (url, root) => {
      const text = await fetch(`${url}/hello.txt`);
      assert.equal(text.status, 200);
      assert.equal(text.headers.get("content-type"), "text/plain; charset=utf-8");
      assert.equal(text.headers.get("content-length"), "13");
      assert.equal(await text.text(), "hello, world\n");
      const data = await fetch(`${url}/data.bin`);
      assert.equal(data.headers.get("content-type"), "application/octet-stream");
      assert.equal(data.headers.get("content-length"), "50000");
      assert.deepEqual(
        new Uint8Array(await data.arrayBuffer()),
        await Deno.readFile(join(root, "data.bin")),
      );
    });
  });

  Deno.test(`${spec.name} answers 404 for missing, nested and non-GET requests`, async () => {
    await withServer(spec, async (url) => {
      for (
        const path of ["/missing", "/sub/inner.txt", "/sub", "/", "/..%2Fetc%2Fpasswd", "/%E0%A4%A"]
      ) {
        const response = await fetch(`${url}${path}`);
        await response.body?.cancel();
        assert.equal(response.status, 404, path);
      }
      const post = await fetch(`${url}/hello.txt`, { method: "POST", body: "x" });
      await post.body?.cancel();
      assert.equal(post.status, 404);
    });
  });
}
