import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadFiles } from "../../bench/baseline_memory.ts";
import { makeCertificate } from "../../bench/io_threads.ts";
import { ServerProcess } from "../../bench/server_process.ts";
import { baselineSuite } from "./baseline_suite.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

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

Deno.test("baseline_memory serves HTTPS with --cert and --key", async () => {
  const root = await Deno.makeTempDir({ prefix: "heiretsu-baseline-tls-" });
  try {
    const certificate = await makeCertificate(root);
    assert.ok(certificate, "openssl made no certificate");
    await Deno.writeTextFile(join(root, "hello.txt"), "hello over TLS\n");
    const { certFile, keyFile } = certificate;
    const server = await ServerProcess.start(
      { name: "baseline_memory", script: "bench/baseline_memory.ts" },
      { root, cwd: REPO_ROOT, extraArgs: ["--cert", certFile, "--key", keyFile] },
    );
    try {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      using client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(certFile)] });
      const response = await fetch(`${server.url}/hello.txt`, { client });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "hello over TLS\n");
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
