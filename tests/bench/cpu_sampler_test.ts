import assert from "node:assert/strict";
import {
  canSampleCpu,
  clockTicksPerSec,
  readCpuSnapshot,
  sampleCpu,
} from "../../bench/cpu_sampler.ts";
import { waitFor } from "../_helpers/wait.ts";

const onLinux = Deno.build.os === "linux";

Deno.test("clockTicksPerSec() answers a positive tick rate", async () => {
  const ticks = await clockTicksPerSec();
  assert.ok(Number.isInteger(ticks) && ticks > 0);
});

Deno.test({
  name: "readCpuSnapshot() follows child processes and names their threads",
  ignore: !onLinux,
  async fn() {
    const child = new Deno.Command("sh", {
      args: ["-c", "sleep 30 & wait"],
      stdin: "null",
    }).spawn();
    try {
      // Until sh has forked and the child has become sleep (before its exec it is a second sh).
      const snapshot = await waitFor(async () => {
        const now = await readCpuSnapshot(child.pid);
        const comms = now.threads.map((t) => t.comm).sort().join(" ");
        return now.processes.length === 2 && comms === "sh sleep" && now;
      }, { timeoutMs: 10_000, what: "sh and its sleep child in the snapshot" });
      assert.equal(snapshot.rootPid, child.pid);
      assert.equal(snapshot.processes.length, 2);
      assert.deepEqual(snapshot.threads.map((t) => t.comm).sort(), ["sh", "sleep"]);
      const sleeper = snapshot.threads.find((t) => t.comm === "sleep");
      assert.notEqual(sleeper?.pid, child.pid);
    } finally {
      for (const pid of (await readCpuSnapshot(child.pid)).processes.map((p) => p.pid).reverse()) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      await child.status;
    }
  },
});

Deno.test({
  name: "readCpuSnapshot() of an exited process is empty",
  ignore: !onLinux,
  async fn() {
    const child = new Deno.Command("true").spawn();
    await child.status;
    assert.deepEqual(await readCpuSnapshot(child.pid), {
      rootPid: child.pid,
      processes: [],
      threads: [],
    });
  },
});

Deno.test("sampleCpu() charges a spinning thread with its time", async () => {
  const { value, cpu } = await sampleCpu(Deno.pid, () => {
    const until = performance.now() + 300;
    let spins = 0;
    while (performance.now() < until) spins++;
    return Promise.resolve(spins);
  });
  assert.ok(value > 0);
  if (!await canSampleCpu()) return assert.equal(cpu, undefined);
  assert.ok(cpu !== undefined);
  // 300 ms of spinning on a shared machine gets less than 300 ms of CPU, counted in ticks of
  // 10 ms. The spinning thread is the busiest (`deno test` runs tests off the main thread).
  const spinner = cpu.threads[0];
  assert.ok(spinner.us >= 50_000 && spinner.us <= 330_000, `busiest ${spinner.us} µs`);
  // The kernel scales the process's and each thread's time separately: a few ticks may differ.
  assert.ok(cpu.totalUs >= spinner.us - 30_000, `total ${cpu.totalUs} µs`);
  assert.equal(cpu.threads.filter((thread) => thread.label === "main").length, 1);
});
