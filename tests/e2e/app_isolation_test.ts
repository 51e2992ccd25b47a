/**
 * The promise with apps: a handler that burns CPU, or loops forever, never holds up the others.
 * Fast requests are compared with the slow request's own duration, with wide margins.
 */
import assert from "node:assert/strict";
import { TestServer } from "../_helpers/server.ts";
import { connect, exchange, readResponses, timedGet, writeAll } from "../_helpers/http.ts";
import { makeSite } from "../_helpers/site.ts";

const APP = new URL("../fixtures/bridge_app.ts", import.meta.url).pathname;
const encoder = new TextEncoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const BURN_MS = 3000;

/** Starts a 3 s CPU burn, then times 50 fast requests: static and app, fresh and keep-alive. */
async function fastDuringBurn(workers: string[]): Promise<{ fast: number[]; burnMs: number }> {
  const site = await makeSite();
  const server = await TestServer.start(["--root", site.root, "--app", APP, "--quiet", ...workers]);
  try {
    const burn = timedGet(server.port, `/burn?ms=${BURN_MS}`);
    await sleep(200);
    const fast: number[] = [];
    const keepAlive = await connect(server.port);
    try {
      for (let i = 0; i < 25; i++) {
        const path = i % 2 === 0 ? "/hello.txt" : "/fast";
        fast.push((await timedGet(server.port, path)).ms);
        const started = performance.now();
        await writeAll(keepAlive, encoder.encode(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`));
        const [response] = await readResponses(keepAlive, { responses: 1 });
        assert.equal(response.status, 200);
        fast.push(performance.now() - started);
      }
    } finally {
      keepAlive.close();
    }
    const { response, ms } = await burn;
    assert.equal(response.status, 200);
    return { fast, burnMs: ms };
  } finally {
    await server.stop();
    await site.remove();
  }
}

Deno.test("isolation: while one request burns CPU for 3 s, 50 fast requests each finish in a quarter of it", async () => {
  const pool = navigator.hardwareConcurrency >= 2 ? [] : ["--workers", "2"];
  const { fast, burnMs } = await fastDuringBurn(pool);
  const worst = Math.max(...fast);
  assert.equal(fast.length, 50);
  assert.ok(burnMs >= BURN_MS, `the burn took ${burnMs} ms`);
  assert.ok(
    worst < burnMs / 4,
    `slowest fast request ${worst.toFixed(0)} ms vs burn ${burnMs.toFixed(0)} ms`,
  );
});

Deno.test("isolation control: with --workers 1 the same fast requests do wait for the burn", async () => {
  const { fast, burnMs } = await fastDuringBurn(["--workers", "1"]);
  const worst = Math.max(...fast);
  // Proves the test above can fail: one worker means the first fast request waits out the burn.
  assert.ok(
    worst > burnMs / 2,
    `slowest fast request ${worst.toFixed(0)} ms vs burn ${burnMs.toFixed(0)} ms`,
  );
});

Deno.test("watchdog: an endless loop is cut off after --request-timeout with 503, and serving goes on", async () => {
  const server = await TestServer.start(["--app", APP, "--workers", "2", "--request-timeout", "1"]);
  try {
    const stuck = timedGet(server.port, "/forever");
    await sleep(200);
    for (let i = 0; i < 5; i++) {
      assert.equal((await timedGet(server.port, "/fast")).response.status, 200);
    }
    const { response, ms } = await stuck;
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("retry-after"), "1");
    assert.ok(ms >= 900 && ms < 10_000, `cut off after ${ms} ms`);
    await server.waitForLine(/^Worker \d: terminated after 1 s without progress; replaced$/);
    await server.waitForLine(/^Worker \d: restarted$/);
    for (let i = 0; i < 10; i++) {
      assert.equal((await timedGet(server.port, "/fast")).response.status, 200);
    }
  } finally {
    await server.stop();
  }
});

Deno.test("queue: with every worker busy and --queue 0, a request gets 503 at once", async () => {
  const server = await TestServer.start([
    "--app",
    APP,
    "--workers",
    "1",
    "--queue",
    "0",
    "--quiet",
  ]);
  try {
    const burn = timedGet(server.port, "/burn?ms=2000");
    await sleep(300);
    const { response, ms } = await timedGet(server.port, "/fast");
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("retry-after"), "1");
    const burned = await burn;
    assert.ok(ms < burned.ms / 4, `503 after ${ms} ms while the burn took ${burned.ms} ms`);
    assert.equal(
      (await exchange(server.port, "GET /fast HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"))[0]
        .status,
      200,
    );
  } finally {
    await server.stop();
  }
});
