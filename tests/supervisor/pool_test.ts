/**
 * The pool's watchdog and memory backstop (lib/supervisor/pool.ts), on a real one-worker pool,
 * with the times given to them by hand. Bound: each test starts one worker (within the pool's
 * own start) and waits for nothing else.
 */
import assert from "node:assert/strict";
import { type PoolWorker, WorkerPool } from "../../lib/supervisor/pool.ts";
import type { WorkerLoss } from "../../lib/io/workers.ts";
import { DEFAULTS, type ServerConfig } from "../../lib/config/settings.ts";
import { makeSite } from "../_helpers/site.ts";
import { STOP_WAIT_MS } from "../../lib/supervisor/retire.ts";
import process from "node:process";

const APP = new URL("../fixtures/escaping_app.ts", import.meta.url).href;
const STUCK_APP = new URL("../fixtures/stuck_app.ts", import.meta.url).href;

/** Runs `fn` on a started pool of one worker; `losses` fills as the pool retires workers. */
async function withPool(
  config: Partial<ServerConfig>,
  fn: (pool: WorkerPool, worker: PoolWorker, losses: WorkerLoss[]) => void,
): Promise<void> {
  const site = await makeSite();
  const losses: WorkerLoss[] = [];
  const pool = new WorkerPool({ ...DEFAULTS, root: site.root, workers: 1, ...config }, {
    onWorkerLost: (_worker, loss) => losses.push(loss),
    onWorkerReady: () => {},
  });
  try {
    await pool.start({ listening: null, lanes: 2 });
    fn(pool, pool.workers[0], losses);
  } finally {
    await pool.stop();
    await site.remove();
  }
}

Deno.test("WorkerPool gives each worker a channel to every I/O thread and a board of its own", async () => {
  await withPool({}, (_pool, worker) => {
    assert.equal(worker.channels.length, 2);
    assert.notEqual(worker.channels[0], worker.channels[1]);
    assert.ok(worker.board.lastProgress > 0, "the worker stamped its board when it became ready");
  });
});

Deno.test("WorkerPool.checkProgress() spares a worker that was idle long and was just given a request", async () => {
  await withPool({ requestTimeoutMs: 1000 }, (pool, worker, losses) => {
    // Its last stamp is from before a long idle spell; then a request arrives, and a tick.
    worker.board.stampProgress(Date.now() - 60_000);
    worker.board.claim();
    pool.checkProgress(Date.now());
    assert.deepEqual(losses, []);
    assert.equal(worker.state, "ready");
    // Busy with no progress for longer than the timeout: now it is stuck.
    pool.checkProgress(worker.board.busyChangedAt + 1001);
    assert.deepEqual(losses, [{ cause: "timeout", reason: "1 s without progress" }]);
  });
});

Deno.test("WorkerPool.checkMemory() replaces the app worker as crashed once the process's RSS passes --max-memory", async () => {
  // A budget of 1 MiB, which any process passes; then one of 1 TiB, which none does.
  await withPool({ app: APP, maxMemoryMib: 1 }, (pool, worker, losses) => {
    worker.board.claim();
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

Deno.test("WorkerPool.checkProgress() replaces a worker whose stamp is in the future (an app writing its board), once busy too long", async () => {
  await withPool({ requestTimeoutMs: 1000 }, (pool, worker, losses) => {
    worker.board.stampProgress(Date.now() + 1e9);
    worker.board.claim();
    pool.checkProgress(worker.board.busyChangedAt + 1001);
    assert.deepEqual(losses, [{ cause: "timeout", reason: "1 s without progress" }]);
  });
});

Deno.test("WorkerPool.replace() retires the worker an I/O thread could not read, as crashed", async () => {
  await withPool({}, (pool, worker, losses) => {
    pool.replace(1, "record of unknown kind 99");
    assert.deepEqual(losses, [{ cause: "crash", reason: "record of unknown kind 99" }]);
    assert.equal(worker.state, "lost");
  });
});

/** CPU time the process has used so far, in ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

Deno.test("WorkerPool.stop() terminates a worker whose app holds its thread after STOP_WAIT_MS, and the thread with it", async () => {
  const site = await makeSite();
  const pool = new WorkerPool({ ...DEFAULTS, root: site.root, workers: 1, app: STUCK_APP }, {
    onWorkerLost: () => {},
    onWorkerReady: () => {},
  });
  try {
    await pool.start({ listening: null, lanes: 1 });
    // The app spins from 100 ms after it loaded: it cannot see the stop.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = performance.now();
    await pool.stop();
    const stopMs = performance.now() - started;
    assert.ok(stopMs >= STOP_WAIT_MS - 50, `stopped after ${stopMs} ms, before the wait ran out`);
    assert.ok(stopMs < STOP_WAIT_MS + 5000, `stopped after ${stopMs} ms`);
    // Terminated with its worker: the loop no longer takes a core.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = cpuMs();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const used = cpuMs() - before;
    assert.ok(used < 250, `${used.toFixed(0)} ms of CPU in 500 ms once stopped`);
  } finally {
    await site.remove();
  }
});
