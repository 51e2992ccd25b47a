import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { ServerProcess } from "../../bench/server_process.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

Deno.test("socket_floor answers pipelined requests for small files, 404 otherwise", async () => {
  const root = await Deno.makeTempDir({ prefix: "heiretsu-floor-" });
  try {
    await Deno.writeTextFile(join(root, "hello.txt"), "hello, world\n");
    await Deno.writeFile(join(root, "big.bin"), new Uint8Array(100_000));
    const server = await ServerProcess.start(
      { name: "socket_floor", script: "bench/socket_floor.ts" },
      { root, cwd: REPO_ROOT },
    );
    try {
      const { port } = new URL(server.url);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
      const ask = (target: string) => `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`;
      // Two requests in one write, the second split from a third across writes.
      await conn.write(new TextEncoder().encode(ask("/hello.txt") + ask("/big.bin") + "GET /he"));
      await conn.write(new TextEncoder().encode("llo.txt HTTP/1.1\r\n\r\n"));
      const expected = "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n" +
        "content-length: 13\r\n\r\nhello, world\n";
      const notFound = "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";
      const want = expected + notFound + expected;
      let got = "";
      const buffer = new Uint8Array(4096);
      while (got.length < want.length) {
        const n = await conn.read(buffer);
        if (n === null) break;
        got += new TextDecoder().decode(buffer.subarray(0, n));
      }
      conn.close();
      assert.equal(got, want);
    } finally {
      const status = await server.stop();
      assert.equal(status.code, 0, "socket_floor exits 0 on SIGTERM");
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
