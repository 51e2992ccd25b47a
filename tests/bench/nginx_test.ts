import assert from "node:assert/strict";
import { join } from "node:path";
import { findNginx, nginxConfig, startNginx } from "../../bench/nginx.ts";
import { readCpuSnapshot } from "../../bench/cpu_sampler.ts";

const nginx = await findNginx();

Deno.test("nginxConfig() runs in the foreground on loopback with paths in the temporary folder", () => {
  const config = nginxConfig({
    root: "/tmp/fixtures",
    port: 8081,
    workers: 2,
    dir: "/tmp/nginx-x",
    asRoot: false,
  });
  const lines = config.split("\n").map((line) => line.trim());
  for (
    const line of [
      "daemon off;",
      "master_process on;",
      "worker_processes 2;",
      "pid /tmp/nginx-x/nginx.pid;",
      "error_log /tmp/nginx-x/error.log warn;",
      "access_log off;",
      "sendfile on;",
      "keepalive_requests 100000;",
      "client_body_temp_path /tmp/nginx-x/client_body;",
      "proxy_temp_path /tmp/nginx-x/proxy;",
      "listen 127.0.0.1:8081;",
      "root /tmp/fixtures;",
    ]
  ) {
    assert.ok(lines.includes(line), `missing "${line}"`);
  }
  assert.ok(!lines.includes("user root;"));
  assert.equal(config.split("{").length, config.split("}").length);
});

Deno.test("nginxConfig() keeps root's workers as root and refuses paths it would have to escape", () => {
  const options = { root: "/tmp/f", port: 1, workers: 1, dir: "/tmp/n", asRoot: true };
  assert.ok(nginxConfig(options).split("\n").includes("user root;"));
  assert.throws(
    () => nginxConfig({ ...options, root: "/tmp/a b" }),
    /Cannot write path "\/tmp\/a b"/,
  );
  assert.throws(() => nginxConfig({ ...options, dir: "/tmp/x;y" }), RangeError);
});

Deno.test({
  name: "startNginx() serves the root from worker processes and stop() cleans up",
  ignore: nginx === undefined || Deno.build.os !== "linux",
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "heiretsu-nginx-test-" });
    try {
      await Deno.writeTextFile(join(root, "hello.txt"), "hello\n");
      const server = await startNginx({ nginx: nginx!, root, workers: 2 });
      let stopped = false;
      try {
        assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        const response = await fetch(`${server.url}/hello.txt`);
        assert.equal(await response.text(), "hello\n");
        const snapshot = await readCpuSnapshot(server.pid);
        assert.equal(snapshot.processes.length, 3, "a master and two workers");
        await server.stop();
        stopped = true;
        await assert.rejects(fetch(`${server.url}/hello.txt`));
      } finally {
        if (!stopped) await server.stop();
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "startNginx() says why nginx did not start and leaves no folder behind",
  ignore: nginx === undefined,
  async fn() {
    // A private temporary folder, so that other runs' folders do not count.
    const tmp = await Deno.makeTempDir({ prefix: "heiretsu-nginx-test-" });
    const saved = Deno.env.get("TMPDIR");
    Deno.env.set("TMPDIR", tmp);
    try {
      await assert.rejects(
        startNginx({ nginx: nginx!, root: "/tmp/no such dir", workers: 1 }),
        /Cannot write path/,
      );
      await assert.rejects(
        startNginx({ nginx: nginx!, root: "/tmp", workers: -1 }),
        /Cannot start nginx: .*worker_processes/,
      );
      assert.deepEqual(await Array.fromAsync(Deno.readDir(tmp)), []);
    } finally {
      if (saved === undefined) Deno.env.delete("TMPDIR");
      else Deno.env.set("TMPDIR", saved);
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
