import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { BENCH_SERVERS, startDenoServe } from "../../bench/servers.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

Deno.test("BENCH_SERVERS names each server once and gives each something to serve", () => {
  const names = BENCH_SERVERS.map((spec) => spec.name);
  assert.equal(new Set(names).size, names.length);
  for (const spec of BENCH_SERVERS) {
    assert.ok(spec.startFiles !== undefined || spec.startApp !== undefined, spec.name);
  }
  for (const reference of ["baseline_memory", "baseline_stream", "deno_serve", "heiretsu"]) {
    assert.ok(names.includes(reference), reference);
  }
});

async function answersHello(
  name: string,
  start: () => Promise<{ url: string; stop(): Promise<unknown> }>,
) {
  const server = await start();
  try {
    const response = await fetch(`${server.url}/`);
    assert.equal(response.status, 200, name);
    assert.equal(await response.text(), "hello\n", name);
  } finally {
    await server.stop();
  }
}

Deno.test("startDenoServe() and heiretsu --app run the hello app on loopback", async () => {
  const root = await Deno.makeTempDir({ prefix: "heiretsu-servers-test-" });
  try {
    for (const spec of BENCH_SERVERS.filter((spec) => spec.startApp)) {
      await answersHello(
        spec.name,
        () => spec.startApp!({ root, cwd: REPO_ROOT }, "bench/hello_app.ts"),
      );
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("startDenoServe() rejects when the module cannot be served", async () => {
  await assert.rejects(
    startDenoServe({ module: "bench/no_such_app.ts", parallel: false, cwd: REPO_ROOT }),
    /exited before answering/,
  );
});
