/**
 * The fixed-size worker pool: spawns sandboxed workers, counts the requests each has in hand,
 * picks the least-loaded one that is making progress, and replaces a worker that crashes or (the
 * watchdog) stops making progress.
 *
 * Each pool slot keeps its id for the server's life; a replacement gets a fresh channel, so
 * nothing from the dead worker's rings can leak into the new one.
 *
 * @module
 */
import { ChannelEnd, type ChannelSizes, createChannelMemory } from "../wire/channel.ts";
import type { ServerConfig } from "../config/settings.ts";
import { SERVER_HEADER } from "../config/version.ts";
import { decodeToMain, type ToMain, type WorkerEvent, type WorkerInit } from "../wire/protocol.ts";
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
import { IDLE_STALL_MS, progressAt } from "./progress.ts";
import type { WorkerLink, WorkerLoss, Workers } from "../io/workers.ts";

/** One worker as the pool sees it: what the I/O code sees, and the pool's counts. */
export interface PoolWorker extends WorkerLink {
  /** Requests dispatched to it and not yet finished; counted by the pool. */
  readonly inFlight: number;
  /**
   * When `inFlight` last went from 0 to 1 (busy) or back to 0 (idle: its last response ended), in
   * ms since the epoch; 0 before the first request.
   */
  readonly busyChangedAt: number;
  /** WebSockets it holds; new requests prefer a worker with fewer among equals. */
  readonly tunnels: number;
}

/** The pool's own view of a worker: the one place its state and count are written. */
type Slot = { -readonly [K in keyof PoolWorker]: PoolWorker[K] };

/** What the pool reports to the server. */
export interface PoolEvents {
  /** A message from a worker's ring. Byte fields are views valid only during the call. */
  onMessage(worker: PoolWorker, message: ToMain): void;
  /** A worker died or was cut off; the server fails its requests. A replacement is starting. */
  onWorkerLost(worker: PoolWorker, loss: WorkerLoss): void;
  /** A worker became ready (at start or as a replacement). */
  onWorkerReady(worker: PoolWorker): void;
}

/** Restarts of one slot closer together than this are delayed, so a crash loop cannot spin. */
const RESTART_BACKOFF_MS = 1000;
/** Ring for responses: a record may carry a quarter (512 KiB), two file chunks' worth. */
const TO_MAIN_RING_BYTES = 2 * 1024 * 1024;

/** The pool of workers; it owns their threads and channels. */
export class WorkerPool implements Workers {
  #config: ServerConfig;
  #events: PoolEvents;
  #sizes: ChannelSizes;
  #workers: Slot[] = [];
  #threads = new Map<PoolWorker, Worker>();
  #lastStart = new Map<number, number>();
  #next = 0;
  #stopped = false;
  #started = false;
  /** The listening address, for worker 1's first start (the app's onListen). */
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
    this.#sizes = {
      toWorkerBytes: nextPowerOfTwo(Math.max(256 * 1024, 4 * headBytes)),
      toMainBytes: TO_MAIN_RING_BYTES,
    };
  }

  /** The workers, one per slot. */
  get workers(): readonly PoolWorker[] {
    return this.#workers;
  }

  /**
   * Spawns every worker and resolves once all are ready.
   *
   * @param listening the address the server listens on, which worker 1 gives the app's onListen
   * @returns when the pool can serve
   */
  async start(listening: Deno.NetAddr | null = null): Promise<void> {
    this.#listening = listening;
    const ready: Promise<void>[] = [];
    for (let id = 1; id <= this.#config.workers; id++) ready.push(this.#spawn(id));
    // The first failure fails the start; the others, if any, have nobody left to hear them.
    for (const promise of ready) promise.catch(() => {});
    try {
      await Promise.all(ready);
    } catch (error) {
      this.stop();
      throw error;
    }
    this.#started = true;
  }

  /**
   * The least-loaded ready worker that is making progress; among equals an awake one (waking a
   * sleeping worker preempts the main thread on a busy machine), else the next in turn. Null
   * when every worker is stalled or starting.
   *
   * @returns the worker to give the next request to, or null
   */
  pick(): PoolWorker | null {
    // Idle workers serving files only cannot be stalled: the clock is read for the others alone.
    let now = 0;
    const count = this.#workers.length;
    let best: PoolWorker | null = null;
    for (let i = 0; i < count; i++) {
      const worker = this.#workers[(this.#next + i) % count];
      if (worker.state !== "ready") continue;
      const checked = worker.inFlight > 0 || this.#config.app !== null;
      if (checked && this.isStalled(worker, now ||= Date.now())) continue;
      if (best === null || worker.inFlight < best.inFlight) best = worker;
      else if (worker.inFlight > best.inFlight) continue;
      else if (worker.tunnels !== best.tunnels) {
        if (worker.tunnels < best.tunnels) best = worker;
      } else if (best.channel.peerAsleep && !worker.channel.peerAsleep) best = worker;
    }
    this.#next = (this.#next + 1) % count;
    return best;
  }

  /**
   * Counts a request given to a worker.
   *
   * @param worker a worker of this pool, from {@linkcode WorkerPool.pick}
   */
  claim(worker: PoolWorker): void {
    const slot = worker as Slot;
    if (slot.inFlight++ === 0) slot.busyChangedAt = Date.now();
  }

  /**
   * Counts a request of a worker as finished (answered, aborted, or failed with its worker).
   *
   * @param worker the worker it was given to
   */
  release(worker: PoolWorker): void {
    const slot = worker as Slot;
    if (slot.inFlight === 0) return;
    // A response that ended is progress: an idle worker is not stalled before its next stamp.
    if (--slot.inFlight === 0) slot.busyChangedAt = Date.now();
  }

  /**
   * Counts a WebSocket a worker holds (its requests are counted apart).
   *
   * @param worker the worker whose app accepted it
   */
  openTunnel(worker: PoolWorker): void {
    (worker as Slot).tunnels++;
  }

  /**
   * Counts a WebSocket of a worker as closed.
   *
   * @param worker the worker that held it
   */
  closeTunnel(worker: PoolWorker): void {
    const slot = worker as Slot;
    if (slot.tunnels > 0) slot.tunnels--;
  }

  /**
   * Whether a worker should get no new request now: it has had unanswered requests and no
   * progress for `stallMs`, or, idle and running an app, no progress for `IDLE_STALL_MS`.
   *
   * @param worker the worker
   * @param now the current time in ms since the epoch
   * @returns true when it should get no new request now
   */
  isStalled(worker: PoolWorker, now: number): boolean {
    const { stallMs } = this.#config;
    if (worker.inFlight > 0) return now - progressAt(worker, now) > stallMs;
    if (this.#config.app === null) return false;
    return now - progressAt(worker, now) > Math.max(stallMs, IDLE_STALL_MS);
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
      if (worker.state !== "ready" || worker.inFlight === 0) continue;
      if (now - progressAt(worker, now) <= limit) continue;
      this.#lose(worker, { cause: "timeout", reason: `${limit / 1000} s without progress` });
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
    this.#systemTimes = new Map(this.#workers.map((w) => [w, w.channel.systemTimeUs]));
    if (rssMib <= budgetMib) {
      this.#releasingUntil = 0;
      return;
    }
    const releasing = now < this.#releasingUntil;
    const owner = memoryOwner(this.#workers, { now, before, releasing });
    if (owner === null) return;
    this.#memoryCheckAt = now + MEMORY_SETTLE_MS;
    this.#releasingUntil = now + MEMORY_RELEASE_WAIT_MS;
    this.#lose(owner as Slot, { cause: "crash", reason: overBudget(rssMib, budgetMib) });
  }

  /** Tells every worker the server is shutting down, so health checks answer 503. */
  markDraining(): void {
    for (const worker of this.#workers) worker.channel.markDraining();
  }

  /** Terminates every worker; the pool cannot be used afterwards. */
  stop(): void {
    this.#stopped = true;
    for (const [worker, thread] of this.#threads) {
      worker.channel.close();
      thread.terminate();
    }
    this.#threads.clear();
  }

  #spawn(id: number): Promise<void> {
    const memory = createChannelMemory(this.#sizes);
    const worker: Slot = {
      id,
      channel: new ChannelEnd(memory, { side: "main", sizes: this.#sizes }),
      state: "starting",
      inFlight: 0,
      busyChangedAt: 0,
      tunnels: 0,
    };
    this.#workers[id - 1] = worker;
    this.#lastStart.set(id, Date.now());
    const thread = createThread(id, this.#permissions);
    this.#threads.set(worker, thread);
    const ready = Promise.withResolvers<void>();
    // A worker's words may carry an app's text: escaped, they stay on one log line.
    const crash = (text: string) => {
      const reason = escapeControl(text);
      ready.reject(new Error(reason));
      this.#lose(worker, { cause: "crash", reason });
    };
    thread.onmessage = (event: MessageEvent<WorkerEvent>) => {
      const message = event.data;
      // An app's thread may end at any time; the other events only matter while starting.
      if (message.type === "crashed") return crash(message.reason);
      if (worker.state !== "starting") return;
      if (message.type === "fatal") return crash(message.message);
      worker.state = "ready";
      worker.channel.stampProgress();
      this.#events.onWorkerReady(worker);
      ready.resolve();
    };
    thread.onerror = (event) => {
      event.preventDefault();
      crash(event.message || "uncaught error");
    };
    // A record the main thread cannot read (a worker's bug, or an app writing into its own
    // ring) costs that worker, never the process.
    worker.channel.pump((record) => this.#events.onMessage(worker, decodeToMain(record)))
      .catch((error) => crash(error instanceof Error ? error.message : String(error)));
    thread.postMessage(this.#init(id, memory));
    return ready.promise;
  }

  #init(id: number, memory: SharedArrayBuffer): WorkerInit {
    const c = this.#config;
    return {
      type: "init",
      id,
      memory,
      sizes: this.#sizes,
      root: c.root,
      app: c.app,
      appHeapMib: c.appHeapMib,
      static: {
        compress: c.compress,
        // Each worker runs its share of the compressors.
        maxCompressions: Math.ceil(c.maxCompressions / c.workers),
        listDirectories: c.listDirectories,
        listPageEntries: c.listPageEntries,
        listMaxEntries: c.listMaxEntries,
        dotfiles: c.dotfiles,
        followSymlinks: c.followSymlinks,
        spa: c.spa,
        cors: c.cors,
        extraHeaders: c.extraHeaders,
        cacheControl: c.cacheControl,
      },
      quiet: c.quiet,
      limits: {
        maxRequestLineBytes: c.maxRequestLineBytes,
        maxHeaderBytes: c.maxHeaderBytes,
        maxHeaderCount: c.maxHeaderCount,
        maxBodyBytes: c.maxBodyBytes,
      },
      websocket: { maxMessageBytes: c.maxWsMessageBytes, closeTimeoutMs: c.bodyTimeoutMs },
      windowBytes: c.windowBytes,
      fileCacheBytes: c.fileCacheBytes,
      maxPull: this.#workers[id - 1].channel.maxPayload,
      heartbeatMs: Math.max(1, Math.floor(c.stallMs / 4)),
      serverHeader: SERVER_HEADER,
      scheme: c.cert === null ? "http" : "https",
      logFormat: c.logFormat,
      healthPath: c.healthPath,
      logHealth: c.logHealth,
      listening: id === 1 && !this.#started ? this.#listening : null,
    };
  }

  /** Retires a dead or stuck worker, tells the server, and starts its replacement. */
  #lose(worker: Slot, loss: WorkerLoss): void {
    if (worker.state === "lost") return;
    worker.state = "lost";
    worker.channel.close();
    this.#threads.get(worker)?.terminate();
    this.#threads.delete(worker);
    this.#events.onWorkerLost(worker, loss);
    // Its requests were failed by the server: none is in hand any more.
    worker.inFlight = 0;
    worker.tunnels = 0;
    // A pool that failed to start is not restarted: the server reports the error and exits.
    if (this.#stopped || !this.#started) return;
    const sinceStart = Date.now() - (this.#lastStart.get(worker.id) ?? 0);
    const delay = Math.max(0, RESTART_BACKOFF_MS - sinceStart);
    setTimeout(() => {
      // A replacement that fails again is retried by its own loss.
      if (!this.#stopped) this.#spawn(worker.id).catch(() => {});
    }, delay);
  }
}

function nextPowerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(n));
}
