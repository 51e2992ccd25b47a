import assert from "node:assert/strict";
import { formatMixedTable, runMixedLoad } from "../../bench/mixed.ts";

Deno.test("formatMixedTable() prints one row per server with latencies in ms", () => {
  const table = formatMixedTable([
    { name: "heiretsu", fastP50Ms: 0.5, fastP99Ms: 2.25, errors: 0 },
  ]);
  const lines = table.split("\n");
  assert.equal(lines.length, 3);
  assert.equal(lines[2], "| heiretsu | 0.50 ms | 2.25 ms | 0 |");
});

Deno.test("runMixedLoad() sends one burn in ten at the given rate and times only the fast ones", async () => {
  const paths: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    paths.push(new URL(request.url).pathname);
    return new Response("ok");
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}`;
    const { fast, errors } = await runMixedLoad(url, { requestsPerSec: 100, durationS: 0.5 });
    assert.equal(errors, 0);
    assert.equal(paths.length, 50);
    assert.equal(paths.filter((p) => p === "/burn").length, 5);
    const burns = 5;
    assert.equal(fast.length, paths.length - burns);
    assert.deepEqual(fast, [...fast].sort((a, b) => a - b));
  } finally {
    await server.shutdown();
  }
});
