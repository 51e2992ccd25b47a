/**
 * The pool's stall check and watchdog (lib/supervisor/pool.ts), on a real one-worker pool, with the
 * times given to them by hand. Bound: each test starts one worker (within the pool's own start)
 * and waits for nothing else.
 */
import assert from "node:assert/strict";
import { type PoolWorker, WorkerPool } from "../../lib/supervisor/pool.ts";
import type { WorkerLoss } from "../../lib/io/workers.ts";
import { IDLE_STALL_MS } from "../../lib/supervisor/progress.ts";
import { DEFAULTS, type ServerConfig } from "../../lib/config/settings.ts";
import { makeSite } from "../_helpers/site.ts";

const APP = new URL("../fixtures/escaping_app.ts", import.meta.url).href;

/** Runs `fn` on a started pool of one worker; `losses` fills as the pool retires workers. */
async function withPool(
  config: Partial<ServerConfig>,
  fn: (pool: WorkerPool, worker: PoolWorker, losses: WorkerLoss[]) => void,
): Promise<void> {
  const site = await makeSite();
  const losses: WorkerLoss[] = [];
  const pool = new WorkerPool({ ...DEFAULTS, root: site.root, workers: 1, ...config }, {
    onMessage: () => {},
    onWorkerLost: (_worker, loss) => losses.push(loss),
    onWorkerReady: () => {},
  });
  try {
    await pool.start();
    fn(pool, pool.workers[0], losses);
  } finally {
    pool.stop();
    await site.remove();
  }
}

Deno.test("WorkerPool.checkProgress() spares a worker that was idle long and was just given a request", async () => {
  await withPool({ requestTimeoutMs: 1000 }, (pool, worker, losses) => {
    // Its last stamp is from before a long idle spell; then a request arrives, and a tick.
    worker.channel.stampProgress(Date.now() - 60_000);
    pool.claim(worker);
    pool.checkProgress(Date.now());
    assert.deepEqual(losses, []);
    assert.equal(worker.state, "ready");
    // Busy with no progress for longer than the timeout: now it is stuck.
    pool.checkProgress(worker.busyChangedAt + 1001);
    assert.deepEqual(losses, [{ cause: "timeout", reason: "1 s without progress" }]);
  });
});

Deno.test("WorkerPool.isStalled() counts a busy worker's time from when it became busy", async () => {
  await withPool({ stallMs: 20 }, (pool, worker) => {
    worker.channel.stampProgress(Date.now() - 60_000);
    pool.claim(worker);
    assert.equal(pool.isStalled(worker, worker.busyChangedAt + 10), false);
    assert.equal(pool.isStalled(worker, worker.busyChangedAt + 21), true);
    assert.equal(pool.pick(), worker, "just dispatched, it still takes requests");
  });
});

Deno.test("WorkerPool.isStalled() counts an idle app worker whose event loop stopped stamping as stalled", async () => {
  await withPool({ app: APP, stallMs: 20 }, (pool, worker) => {
    // The app's thread stamps every 100 ms while it is free; one that stopped is held.
    const last = worker.channel.lastProgress;
    assert.equal(worker.inFlight, 0);
    assert.equal(pool.isStalled(worker, last + 100), false);
    assert.equal(pool.isStalled(worker, last + IDLE_STALL_MS * 4), true);
  });
});

Deno.test("WorkerPool.isStalled() never counts an idle worker serving files only as stalled", async () => {
  await withPool({ stallMs: 20 }, (pool, worker) => {
    worker.channel.stampProgress(Date.now() - 60_000);
    assert.equal(pool.isStalled(worker, Date.now()), false);
    assert.equal(pool.pick(), worker);
  });
});

Deno.test("WorkerPool.checkMemory() replaces the app worker as crashed once the process's RSS passes --max-memory", async () => {
  // A budget of 1 MiB, which any process passes; then one of 1 TiB, which none does.
  await withPool({ app: APP, maxMemoryMib: 1 }, (pool, worker, losses) => {
    pool.claim(worker);
    pool.checkMemory(Date.now());
    assert.equal(losses.length, 1);
    assert.equal(losses[0].cause, "crash");
    assert.match(losses[0].reason, /^the process holds \d+ MiB, past --max-memory 1 MiB; /);
    assert.equal(worker.state, "lost");
  });
  await withPool({ app: APP, maxMemoryMib: 1 << 20 }, (pool, worker, losses) => {
    pool.checkMemory(Date.now());
    assert.deepEqual(losses, []);
    assert.equal(worker.state, "ready");
  });
});

Deno.test("WorkerPool.checkMemory() leaves a pool serving files only alone", async () => {
  await withPool({ maxMemoryMib: 1 }, (pool, worker, losses) => {
    pool.checkMemory(Date.now());
    assert.deepEqual(losses, []);
    assert.equal(worker.state, "ready");
  });
});

Deno.test("WorkerPool.checkProgress() replaces a worker whose stamp is in the future (an app writing its channel), once busy too long", async () => {
  await withPool({ requestTimeoutMs: 1000 }, (pool, worker, losses) => {
    // An app can write its channel's memory: a stamp far ahead, then an endless loop.
    worker.channel.stampProgress(Date.now() + 1e9);
    pool.claim(worker);
    assert.equal(pool.isStalled(worker, worker.busyChangedAt + 21), true);
    pool.checkProgress(worker.busyChangedAt + 1001);
    assert.deepEqual(losses, [{ cause: "timeout", reason: "1 s without progress" }]);
  });
});

Deno.test("WorkerPool.isStalled() counts an app worker whose response just ended as making progress, stamp or not", async () => {
  await withPool({ app: APP, stallMs: 20 }, (pool, worker) => {
    // A long request ends: its heartbeat may not have stamped yet, but the response is progress.
    worker.channel.stampProgress(Date.now() - 60_000);
    pool.claim(worker);
    pool.release(worker);
    assert.equal(pool.isStalled(worker, worker.busyChangedAt + 10), false);
    assert.equal(pool.isStalled(worker, worker.busyChangedAt + IDLE_STALL_MS * 4), true);
  });
});
