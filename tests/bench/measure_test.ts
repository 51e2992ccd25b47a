import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { attempt, measure, withServer } from "../../bench/measure.ts";
import { type RunningServer, ServerProcess } from "../../bench/server_process.ts";
import { NO_PROC } from "../_helpers/proc.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

function fakeServer(): RunningServer & { stops: number } {
  const server = {
    name: "fake",
    url: "http://127.0.0.1:1",
    pid: Deno.pid,
    stops: 0,
    stop() {
      server.stops++;
      return Promise.resolve();
    },
  };
  return server;
}

Deno.test("withServer() stops the server after the body, also when the body throws", async () => {
  const server = fakeServer();
  assert.equal(await withServer(() => Promise.resolve(server), () => Promise.resolve(7)), 7);
  assert.equal(server.stops, 1);
  await assert.rejects(
    withServer(() => Promise.resolve(server), () => Promise.reject(new Error("load failed"))),
    /load failed/,
  );
  assert.equal(server.stops, 2);
});

Deno.test("attempt() returns what the scenario returned, or undefined when it threw", async () => {
  assert.equal(await attempt("ok", () => Promise.resolve("done")), "done");
  const said: unknown[] = [];
  const error = console.error;
  console.error = (...args: unknown[]) => said.push(...args);
  try {
    assert.equal(await attempt("heiretsu", () => Promise.reject(new Error("no port"))), undefined);
  } finally {
    console.error = error;
  }
  assert.deepEqual(said, ["heiretsu: failed: no port"]);
});

Deno.test({
  name: "measure() loads a server and divides its CPU time by the requests",
  ignore: NO_PROC,
  async fn() {
    const server = await ServerProcess.start(
      { name: "baseline_memory", script: "bench/baseline_memory.ts" },
      { root: REPO_ROOT, cwd: REPO_ROOT },
    );
    try {
      const target = { url: `${server.url}/deno.json`, connections: 2, unit: "request" as const };
      const plan = { tool: "own" as const, durationS: 1, loadWorkers: 1 };
      const measured = await measure(target, { server, plan });
      assert.ok(measured.requests > 0, "no request completed");
      assert.equal(measured.errors, 0);
      assert.ok(measured.cpu !== undefined, "no CPU cost");
      assert.ok(measured.cpu.totalUs > 0 && measured.cpu.mainUs <= measured.cpu.totalUs);
    } finally {
      await server.stop();
    }
  },
});
