/**
 * Dispatch around a held event loop, and a watchdog that tells idle from stuck (issue 16): an app
 * thread blocked between requests gets no new ones; a worker just given a request after an idle
 * spell is not taken for a stuck one. Each test names its bound.
 */
import assert from "node:assert/strict";
import { timedGet } from "../_helpers/http.ts";
import { withSiteServer } from "../_helpers/site.ts";

const APP = new URL("../fixtures/escaping_app.ts", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const how of ["loop", "wait"]) {
  const what = how === "loop" ? "a synchronous job on a timer" : "Atomics.wait as a sleep";
  Deno.test(`an app thread held by ${what} between requests gets none: files and the app answer meanwhile`, async () => {
    // Bound: a 3 s block; 20 requests at once, each answered within 1 s, all within 5 s.
    const BLOCK_MS = 3000;
    await withSiteServer({ args: ["--app", APP, "--workers", "2"] }, async (server) => {
      const { response } = await timedGet(server.port, `/block?ms=${BLOCK_MS}&how=${how}`);
      assert.equal(response.status, 200);
      // Past the idle stall time (250 ms): the held thread has stopped stamping.
      await sleep(500);
      const paths = Array.from({ length: 20 }, (_, i) => (i % 2 ? "/hello.txt" : "/fast"));
      const results = await Promise.all(paths.map((path) => timedGet(server.port, path)));
      for (const [i, { response, ms }] of results.entries()) {
        assert.equal(response.status, 200, paths[i]);
        assert.ok(ms < 1000, `${paths[i]} waited ${ms.toFixed(0)} ms for a held thread`);
      }
      // The block ends: the thread serves again.
      await sleep(BLOCK_MS);
      assert.equal((await timedGet(server.port, "/fast")).response.status, 200);
      assert.ok(!server.lines.some((line) => / terminated after /.test(line)), "none replaced");
    });
  });
}

Deno.test("the watchdog spares workers given a request after an idle spell longer than --request-timeout", async () => {
  // Scaled: --request-timeout 1 with a 10 ms tick (header timeout 0.04 s); 5 rounds of an idle
  // spell of 1.1 s and then 8 requests at once, one per worker: 40 chances, none may be 503.
  const args = ["--workers", "8", "--request-timeout", "1", "--header-timeout", "0.04"];
  await withSiteServer({ args }, async (server) => {
    for (let round = 0; round < 5; round++) {
      await sleep(1100);
      const results = await Promise.all(
        Array.from({ length: 8 }, () => timedGet(server.port, "/hello.txt")),
      );
      const statuses = results.map(({ response }) => response.status);
      assert.deepEqual(statuses, Array(8).fill(200), `round ${round}: ${statuses}`);
    }
    assert.ok(!server.lines.some((line) => / terminated after /.test(line)), "none replaced");
  });
});
