import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { ServerProcess } from "../../bench/server_process.ts";
import { parseVmRssKiB, readRssKiB, runSlowReaders } from "../../bench/slow_readers.ts";
import { NO_PROC } from "../_helpers/proc.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

Deno.test("parseVmRssKiB() reads the VmRSS line", () => {
  const status = "Name:\tdeno\nVmPeak:\t  900 kB\nVmRSS:\t   51200 kB\nRssAnon:\t 1 kB\n";
  assert.equal(parseVmRssKiB(status), 51200);
});

Deno.test("parseVmRssKiB() rejects a status without VmRSS", () => {
  assert.throws(() => parseVmRssKiB("Name:\tzombie\nState:\tZ (zombie)\n"), SyntaxError);
});

Deno.test({ name: "readRssKiB() reads a live process", ignore: NO_PROC }, async () => {
  assert.ok(await readRssKiB(Deno.pid) > 1024);
});

Deno.test({
  name: "runSlowReaders() paces its readers and samples the server's RSS",
  ignore: NO_PROC,
}, async () => {
  const root = await Deno.makeTempDir();
  await Deno.writeFile(join(root, "big.bin"), new Uint8Array(8 * 1024 * 1024));
  const server = await ServerProcess.start(
    { name: "baseline_stream", script: "bench/baseline_stream.ts" },
    { root, cwd: REPO_ROOT },
  );
  try {
    const started = performance.now();
    const result = await runSlowReaders({
      url: `${server.url}/big.bin`,
      readers: 3,
      durationS: 1,
      bytesPerSec: 256 * 1024,
      pid: server.pid,
    });
    assert.ok(performance.now() - started < 3_000);
    assert.ok(result.startKiB > 0 && result.peakKiB >= result.startKiB);
    // Each reader may run one 16 KiB read ahead of its budget.
    assert.ok(result.bytesRead > 3 * 128 * 1024, `read ${result.bytesRead}`);
    assert.ok(result.bytesRead <= 3 * (256 + 16) * 1024, `read ${result.bytesRead}`);
  } finally {
    await server.stop();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("runSlowReaders() rejects when the server refuses connections", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await assert.rejects(
    runSlowReaders({
      url: `http://127.0.0.1:${port}/x`,
      readers: 2,
      durationS: 1,
      bytesPerSec: 1024,
      pid: Deno.pid,
    }),
    Deno.errors.ConnectionRefused,
  );
});
