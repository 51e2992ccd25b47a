/**
 * The fixed-size pool of handler workers: spawns sandboxed workers, each with a channel to every
 * I/O thread and a board those threads count its requests on (`lib/wire/board.ts`), and replaces
 * a worker that crashes, stops making progress (the watchdog) or holds the memory the process
 * is over budget by. Picking a worker for a request is each I/O thread's job
 * (`lib/io/handlers.ts`).
 *
 * Each pool slot keeps its id for the server's life; a replacement gets fresh channels and a
 * fresh board, so nothing from the dead worker's rings or counts can leak into the new one.
 *
 * @module
 */
import { type ChannelSizes, createChannelMemory } from "../wire/channel.ts";
import { createBoardMemory, HandlerBoard } from "../wire/board.ts";
import type { ServerConfig } from "../config/settings.ts";
import type { WorkerEvent } from "../wire/protocol.ts";
import { workerInit } from "./worker_init.ts";
import { retire, STOP_WAIT_MS } from "./retire.ts";
import { createThread, workerPermissions } from "./sandbox.ts";
import { escapeControl } from "../wire/log_text.ts";
import {
  MEMORY_CHECK_MS,
  MEMORY_RELEASE_WAIT_MS,
  MEMORY_SETTLE_MS,
  memoryBudgetMib,
  memoryOwner,
  overBudget,
} from "./memory_budget.ts";
import { progressAt } from "../io/progress.ts";
import type { WorkerLoss, WorkerState } from "../io/workers.ts";

/** One worker as the pool sees it. */
export interface PoolWorker {
  /** Slot number, 1-based, as printed in logs. */
  readonly id: number;
  readonly state: WorkerState;
  /** Its board: what the I/O threads count on it, and its progress stamp. */
  readonly board: HandlerBoard;
  /** The memory of its board, for the I/O threads. */
  readonly boardMemory: SharedArrayBuffer;
  /** The memory of its channel to each I/O thread, in thread order. */
  readonly channels: readonly SharedArrayBuffer[];
}

/**
 * The pool's own view of a worker: the one place its state and count are written; and whether
 * it is its slot's first start (start() waits for those, and only those give the app onListen).
 */
type Slot = { -readonly [K in keyof PoolWorker]: PoolWorker[K] } & { readonly first: boolean };

/** What the pool reports to the server. */
export interface PoolEvents {
  /** A worker died or was cut off; the server fails its requests. A replacement is starting. */
  onWorkerLost(worker: PoolWorker, loss: WorkerLoss): void;
  /** A worker became ready (at start or as a replacement). */
  onWorkerReady(worker: PoolWorker): void;
}

/** Restarts of one slot closer together than this are delayed, so a crash loop cannot spin. */
const RESTART_BACKOFF_MS = 1000;
/**
 * A worker's response rings, over its channels to every I/O thread: with one thread, a record
 * may carry a quarter of its ring (512 KiB, two file chunks' worth); with K threads each ring is
 * a K-th of that (the worker cuts file chunks to the record the ring allows), down to
 * `MIN_TO_IO_RING_BYTES`: a worker's response rings hold about 2 MiB in all up to 4 threads.
 */
const TO_IO_RING_BYTES = 2 * 1024 * 1024;
const MIN_TO_IO_RING_BYTES = 512 * 1024;

/** The pool of workers; it owns their threads, channels and boards. */
export class WorkerPool {
  /** The rings' sizes of every channel, which the I/O threads open too. */
  readonly sizes: ChannelSizes;
  #config: ServerConfig;
  #events: PoolEvents;
  /** Channels per worker: one per I/O thread, set by start(). */
  #lanes = 1;
  #workers: Slot[] = [];
  #threads = new Map<PoolWorker, Worker>();
  /** Lost workers still being ended (see {@linkcode retire}), which `stop()` waits for too. */
  #retiring = new Set<Promise<void>>();
  /** The timer of each worker still starting (see `ServerConfig.startTimeoutMs`). */
  #startDeadlines = new Map<Slot, ReturnType<typeof setTimeout>>();
  #lastStart = new Map<number, number>();
  #next = 0;
  #stopped = false;
  #started = false;
  /** The listening address: every worker's (an app may not listen there), and the app's onListen. */
  #listening: Deno.NetAddr | null = null;
  #permissions: Deno.PermissionOptionsObject;
  /** When the process's RSS is read next (see `checkMemory`), in ms since the epoch. */
  #memoryCheckAt = 0;
  /** Each worker's system CPU time at the last memory check (see `memory_budget.ts`). */
  #systemTimes = new Map<PoolWorker, number>();
  /** Until when (ms since the epoch) a worker replaced for memory may still be giving it back. */
  #releasingUntil = 0;

  /**
   * Prepares a pool; {@linkcode WorkerPool.start} spawns the workers.
   *
   * @param config the server config (workers, root, limits, window)
   * @param events where worker messages and lifecycle changes go
   */
  constructor(config: ServerConfig, events: PoolEvents) {
    this.#config = config;
    this.#events = events;
    this.#permissions = workerPermissions(config);
    const headBytes = config.maxRequestLineBytes + config.maxHeaderBytes + 1024;
    this.sizes = {
      toWorkerBytes: nextPowerOfTwo(Math.max(256 * 1024, 4 * headBytes)),
      toIoBytes: Math.max(
        MIN_TO_IO_RING_BYTES,
        TO_IO_RING_BYTES / nextPowerOfTwo(config.ioThreads),
      ),
    };
  }

  /** The workers, one per slot. */
  get workers(): readonly PoolWorker[] {
    return this.#workers;
  }

  /**
   * Spawns every worker and resolves once all are ready.
   *
   * @param options the address the server listens on, which worker 1 gives the app's onListen,
   *   and the number of I/O threads (each worker gets a channel to each)
   * @returns when the pool can serve
   */
  async start(options: { listening: Deno.NetAddr | null; lanes: number }): Promise<void> {
    this.#listening = options.listening;
    this.#lanes = options.lanes;
    const ready: Promise<void>[] = [];
    for (let id = 1; id <= this.#config.workers; id++) ready.push(this.#spawn(id));
    // The first failure fails the start; the others, if any, have nobody left to hear them.
    for (const promise of ready) promise.catch(() => {});
    try {
      await Promise.all(ready);
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.#started = true;
  }

  /**
   * The watchdog: replaces every worker that has had requests in hand and no progress for
   * `requestTimeoutMs` (a handler stuck in a loop). Called on the server's timer tick. The time
   * runs from the worker's last stamp or from when it became busy, whichever is later: an idle
   * worker stamps seldom, and a tick just after a dispatch must not take that for a stuck one.
   *
   * @param now the current time in ms since the epoch
   */
  checkProgress(now: number): void {
    const limit = this.#config.requestTimeoutMs;
    if (limit === 0) return;
    for (const worker of this.#workers) {
      if (worker.state !== "ready" || worker.board.inFlight === 0) continue;
      if (now - progressAt(worker.board, now) <= limit) continue;
      // Stuck: it cannot end itself, so it is terminated at once.
      const loss: WorkerLoss = { cause: "timeout", reason: `${limit / 1000} s without progress` };
      this.#lose(worker, loss, 0);
    }
  }

  /**
   * The memory backstop, while an app runs: every `MEMORY_CHECK_MS`, when the process's RSS is
   * past its budget (`--max-memory`), replaces the app worker taken to hold it (the one whose
   * system CPU time grew most since the last check, see `memory_budget.ts`) as crashed, then waits `MEMORY_SETTLE_MS` for the memory to be given
   * back. Called on the server's timer tick.
   *
   * @param now the current time in ms since the epoch
   */
  checkMemory(now: number): void {
    if (this.#config.app === null || now < this.#memoryCheckAt) return;
    this.#memoryCheckAt = now + MEMORY_CHECK_MS;
    const rssMib = Math.round(Deno.memoryUsage().rss / (1024 * 1024));
    const budgetMib = memoryBudgetMib(this.#config);
    const before = this.#systemTimes;
    this.#systemTimes = new Map(this.#workers.map((w) => [w, w.board.systemTimeUs]));
    if (rssMib <= budgetMib) {
      this.#releasingUntil = 0;
      return;
    }
    const releasing = now < this.#releasingUntil;
    const owner = memoryOwner(this.#workers, { now, before, releasing });
    if (owner === null) return;
    this.#memoryCheckAt = now + MEMORY_SETTLE_MS;
    this.#releasingUntil = now + MEMORY_RELEASE_WAIT_MS;
    // Its memory grows while it runs: it is terminated at once, not asked to stop.
    this.#lose(owner as Slot, { cause: "crash", reason: overBudget(rssMib, budgetMib) }, 0);
  }

  /**
   * Replaces a worker whose records an I/O thread could not read (its bug, or an app writing its
   * ring): it costs that worker, never the process.
   *
   * @param id the worker's slot
   * @param reason what the I/O thread met
   */
  replace(id: number, reason: string): void {
    const worker = this.#workers[id - 1];
    if (worker !== undefined) this.#lose(worker, { cause: "crash", reason });
  }

  /** Tells every worker the server is shutting down, so health checks answer 503. */
  markDraining(): void {
    for (const worker of this.#workers) worker.board.markDraining();
  }

  /**
   * Stops every worker, each app's thread first (see {@linkcode retire}); the pool cannot be used
   * afterwards.
   *
   * @returns once every worker, and every lost one still being ended, is terminated: within
   *   `STOP_WAIT_MS`
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#startDeadlines.values()) clearTimeout(timer);
    this.#startDeadlines.clear();
    for (const thread of this.#threads.values()) this.#retire(thread, STOP_WAIT_MS);
    this.#threads.clear();
    await Promise.all(this.#retiring);
  }

  #spawn(id: number): Promise<void> {
    const boardMemory = createBoardMemory();
    const channels = Array.from({ length: this.#lanes }, () => createChannelMemory(this.sizes));
    const worker: Slot = {
      id,
      state: "starting",
      board: new HandlerBoard(boardMemory),
      boardMemory,
      channels,
      first: !this.#lastStart.has(id),
    };
    this.#workers[id - 1] = worker;
    this.#lastStart.set(id, Date.now());
    const thread = createThread(id, this.#permissions);
    this.#threads.set(worker, thread);
    const ready = Promise.withResolvers<void>();
    const fail = (loss: WorkerLoss, waitMs?: number) => {
      this.#endStartDeadline(worker);
      ready.reject(new Error(loss.reason));
      this.#lose(worker, loss, waitMs);
    };
    // A worker's words may carry an app's text: escaped, they stay on one log line.
    const crash = (text: string) => fail({ cause: "crash", reason: escapeControl(text) });
    // Still loading (an app's top-level await that never settles, or a loop): it cannot answer
    // a stop, so it is terminated at once; a first start fails start(), a later one starts again.
    this.#startDeadlines.set(
      worker,
      setTimeout(() => {
        fail({ cause: "crash", reason: notReady(this.#config) }, 0);
      }, this.#config.startTimeoutMs),
    );
    thread.onmessage = (event: MessageEvent<WorkerEvent>) => {
      const message = event.data;
      // An app's thread may end at any time; the other events only matter while starting.
      if (message.type === "crashed") return crash(message.reason);
      if (worker.state !== "starting") return;
      if (message.type === "fatal") return crash(message.message);
      if (message.type !== "ready") return;
      this.#endStartDeadline(worker);
      worker.state = "ready";
      worker.board.stampProgress();
      this.#events.onWorkerReady(worker);
      ready.resolve();
    };
    thread.onerror = (event) => {
      event.preventDefault();
      crash(event.message || "uncaught error");
    };
    // A replacement's would call the app's onListen again.
    const listening = id === 1 && worker.first ? this.#listening : null;
    const serverAddress = this.#listening;
    const sizes = this.sizes;
    thread.postMessage(workerInit(this.#config, { worker, sizes, listening, serverAddress }));
    return ready.promise;
  }

  #endStartDeadline(worker: Slot): void {
    clearTimeout(this.#startDeadlines.get(worker));
    this.#startDeadlines.delete(worker);
  }

  /** Ends a worker's thread (see {@linkcode retire}), keeping the promise until it is done. */
  #retire(thread: Worker, waitMs: number): void {
    const done = retire(thread, waitMs).then(() => {
      this.#retiring.delete(done);
    });
    this.#retiring.add(done);
  }

  /**
   * Retires a dead or stuck worker (see {@linkcode retire}: within `waitMs`, 0 for at once), tells
   * the server, and starts its replacement. A first start that fails before it is ready while the
   * pool starts fails start() instead, which reports it.
   */
  #lose(worker: Slot, loss: WorkerLoss, waitMs = STOP_WAIT_MS): void {
    if (worker.state === "lost") return;
    const failsStart = worker.first && worker.state === "starting" && !this.#started;
    worker.state = "lost";
    const thread = this.#threads.get(worker);
    this.#threads.delete(worker);
    if (thread !== undefined) this.#retire(thread, waitMs);
    if (failsStart) return;
    // A worker lost after it was ready, while others still started, was neither told to the
    // I/O threads (which kept giving it requests) nor replaced: the pool ran one short for good.
    this.#events.onWorkerLost(worker, loss);
    if (this.#stopped) return;
    const sinceStart = Date.now() - (this.#lastStart.get(worker.id) ?? 0);
    const delay = Math.max(0, RESTART_BACKOFF_MS - sinceStart);
    setTimeout(() => {
      // A replacement that fails again is retried by its own loss.
      if (!this.#stopped) this.#spawn(worker.id).catch(() => {});
    }, delay);
  }
}

/** Why a worker still starting after `--start-timeout` failed, and where to look. */
function notReady(config: ServerConfig): string {
  const within = `within ${config.startTimeoutMs / 1000} s (--start-timeout)`;
  if (config.app === null) return `not ready ${within}`;
  return `the app did not finish loading ${within}: look for a top-level await that never settles, or a loop, in its module`;
}

function nextPowerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(n));
}
