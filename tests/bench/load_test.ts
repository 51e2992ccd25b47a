import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runLoad, splitEvenly } from "../../bench/load.ts";
import { ServerProcess } from "../../bench/server_process.ts";
import type { FromLoadWorker } from "../../bench/load_protocol.ts";
import { waitFor } from "../_helpers/wait.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

Deno.test("splitEvenly() spreads connections with larger shares first and drops empty ones", () => {
  assert.deepEqual(splitEvenly(5, 2), [3, 2]);
  assert.deepEqual(splitEvenly(50, 2), [25, 25]);
  assert.deepEqual(splitEvenly(7, 3), [3, 2, 2]);
  assert.deepEqual(splitEvenly(1, 2), [1]);
});

Deno.test("runLoad() measures a server over keep-alive connections", async () => {
  const server = await ServerProcess.start(
    { name: "baseline_memory", script: "bench/baseline_memory.ts" },
    { root: REPO_ROOT, cwd: REPO_ROOT },
  );
  try {
    const size = (await Deno.stat(`${REPO_ROOT}/deno.json`)).size;
    const ok = await runLoad({ url: `${server.url}/deno.json`, connections: 4, durationS: 1 });
    assert.equal(ok.tool, "own");
    assert.ok(ok.requests > 100, `only ${ok.requests} requests`);
    assert.equal(ok.errors, 0);
    assert.ok(ok.durationS >= 1 && ok.durationS < 2);
    assert.ok(ok.bytesPerSec >= ok.requestsPerSec * size);
    assert.ok(ok.p50Ms > 0 && ok.p50Ms <= ok.p99Ms);
    const missing = await runLoad({
      url: `${server.url}/missing`,
      connections: 3,
      durationS: 1,
      workers: 3,
    });
    assert.ok(missing.requests > 0);
    assert.equal(missing.errors, missing.requests);
  } finally {
    await server.stop();
  }
});

/**
 * Loads the load worker once and waits for its ready message, so the type check a first run does
 * (seconds on a busy machine) happens before a timed section, not inside it.
 */
async function loadWorkerOnce(): Promise<void> {
  const worker = new Worker(new URL("../../bench/load_worker.ts", import.meta.url), {
    type: "module",
  });
  let reply: FromLoadWorker | undefined;
  worker.onmessage = (event: MessageEvent<FromLoadWorker>) => reply = event.data;
  try {
    const ready = await waitFor(() => reply, {
      timeoutMs: 120_000,
      what: "the load worker's ready message (a first run type-checks it)",
    });
    assert.equal(ready.kind, "ready");
  } finally {
    worker.terminate();
  }
}

Deno.test("runLoad() counts refused connections as errors and still ends on time", async () => {
  await loadWorkerOnce();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const started = performance.now();
  const result = await runLoad({ url: `http://127.0.0.1:${port}/`, connections: 2, durationS: 1 });
  assert.ok(performance.now() - started < 5_000);
  assert.equal(result.requests, 0);
  assert.ok(result.errors > 0);
});
