import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ServerProcess } from "../../bench/server_process.ts";
import { hasWrk, runWrk, wrkArgs } from "../../bench/wrk.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

Deno.test("wrkArgs() passes one thread, connections, duration, timeout and --latency", () => {
  assert.deepEqual(wrkArgs({ url: "http://127.0.0.1:1/a", connections: 50, durationS: 10 }), [
    "-t1",
    "-c50",
    "-d10s",
    "--timeout",
    "10s",
    "--latency",
    "http://127.0.0.1:1/a",
  ]);
  assert.deepEqual(wrkArgs({ url: "u", connections: 1, durationS: 30 }).slice(0, 5), [
    "-t1",
    "-c1",
    "-d30s",
    "--timeout",
    "30s",
  ]);
});

Deno.test({
  name: "runWrk() measures a server when wrk is installed",
  ignore: !(await hasWrk()),
  async fn() {
    const server = await ServerProcess.start(
      { name: "baseline_memory", script: "bench/baseline_memory.ts" },
      { root: REPO_ROOT, cwd: REPO_ROOT },
    );
    try {
      const result = await runWrk({ url: `${server.url}/deno.json`, connections: 4, durationS: 1 });
      assert.equal(result.tool, "wrk");
      assert.ok(result.requests > 100);
      assert.equal(result.errors, 0);
      assert.ok(result.p50Ms > 0 && result.p50Ms <= result.p99Ms);
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "runWrk() rejects when wrk cannot connect",
  ignore: !(await hasWrk()),
  async fn() {
    await assert.rejects(
      runWrk({ url: "http://127.0.0.1:1/", connections: 2, durationS: 1 }),
      /Cannot run wrk/,
    );
  },
});
