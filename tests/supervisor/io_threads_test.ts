import assert from "node:assert/strict";
import { IoStartError, IoThreads } from "../../lib/supervisor/io_threads.ts";
import { parseConfig } from "../../lib/config/parse.ts";
import type { ServerConfig } from "../../lib/config/settings.ts";
import { createCountsMemory } from "../../lib/wire/counts.ts";

/** The config of `--io-threads 2` on 127.0.0.1:`port`. */
function configOn(port: number): ServerConfig {
  const result = parseConfig({
    args: ["--port", String(port), "--io-threads", "2"],
    env: () => undefined,
  });
  if (result.kind !== "run") throw new Error(`bad test config: ${JSON.stringify(result)}`);
  return result.config as ServerConfig;
}

Deno.test("IoThreads.start() reports a port it was not given a share of as unshared (the server then falls back to one I/O thread), and leaves the port's owner serving", async () => {
  // Bound without loadBalanced, as a Deno that cannot share its socket would leave it.
  const owner = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = owner.addr as Deno.NetAddr;
  const lines: string[] = [];
  const threads = new IoThreads({
    onLog: (line) => lines.push(line),
    onBroken: () => {},
    onFailed: (index, reason) => lines.push(`failed ${index}: ${reason}`),
  });
  try {
    const error = await threads.start({
      config: configOn(port),
      listen: { hostname: "127.0.0.1", port, mode: "shared" },
      tls: null,
      counts: createCountsMemory(),
      sizes: { toWorkerBytes: 1 << 16, toIoBytes: 1 << 16 },
    }).then(() => null, (error) => error);
    assert.ok(error instanceof IoStartError, String(error));
    assert.equal(error.unshared, true, error.message);
    assert.deepEqual(lines, []);
    const client = await Deno.connect({ hostname: "127.0.0.1", port });
    const accepted = await owner.accept();
    accepted.close();
    client.close();
  } finally {
    threads.stop();
    owner.close();
  }
});
