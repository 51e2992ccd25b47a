/**
 * The supervisor's server: binds the socket, starts the handler workers (the pool) and the I/O
 * threads that share the socket, replaces workers (the watchdog tick), and shuts down gracefully
 * in Go's order. Accepting, the connection table, the connections' deadlines and the relay are
 * the I/O threads' job (`lib/io/`); this thread tells them which workers are up and when to drain
 * and close, and never reaches into a connection.
 *
 * When this Deno cannot share a listening socket between threads (or a test gives a clock, which
 * cannot cross threads), the one I/O loop runs on this thread instead, and the server says so.
 *
 * @module
 */
import type { ServerConfig } from "../config/settings.ts";
import { deadlineTickMs, IoLoop } from "../io/loop.ts";
import { HandlerLinks } from "../io/handlers.ts";
import { readTlsFiles, tlsContext } from "../io/tls.ts";
import type { WorkerLoss } from "../io/workers.ts";
import { createCountsMemory, SharedCounts } from "../wire/counts.ts";
import { type PoolWorker, WorkerPool } from "./pool.ts";
import { lifecycleLogger } from "./log.ts";
import { descriptorWarning, processOpenFilesLimit } from "./fd_limit.ts";
import { bindPort, type BoundPort } from "./bind.ts";
import { IoStartError, IoThreads } from "./io_threads.ts";

/** What a server is given besides its config. */
export interface ServerOptions {
  /** Where lifecycle lines go. @default lines on stdout in the config's log format */
  log?: (line: string) => void;
  /**
   * The clock connection deadlines are read from, in ms since the epoch. A clock cannot cross
   * threads: given one, the I/O loop runs on this thread. @default Date.now, in the I/O threads
   */
  now?: () => number;
}

/**
 * Life of the server: `starting` → `serving` → `announcing` (still serving, but the health check
 * says 503, for `--drain-delay`) → `draining` (no new connections; active ones finish within
 * `--grace`) → `stopped`.
 */
export type ServerState = "starting" | "serving" | "announcing" | "draining" | "stopped";

/** How long workers get to log the responses cut at the end of the grace period. */
const ABORT_LOG_MS = 100;

/** The I/O loop on this thread, and its view of the workers. */
interface LocalIo {
  loop: IoLoop;
  links: HandlerLinks;
}

/** A running server. */
export class Server {
  #config: ServerConfig;
  #addr: Deno.NetAddr | null = null;
  #pool: WorkerPool;
  /** The server-wide counts, in memory every I/O thread shares. */
  #countsMemory = createCountsMemory();
  #counts = new SharedCounts(this.#countsMemory);
  #threads: IoThreads | null = null;
  #local: LocalIo | null = null;
  #bound: BoundPort | null = null;
  #state: ServerState = "starting";
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #log: (line: string) => void;
  #now: (() => number) | undefined;
  #failure: string | null = null;
  #stopped = Promise.withResolvers<void>();

  /**
   * Prepares a server; {@linkcode Server.start} listens.
   *
   * @param config the validated config
   * @param options where lifecycle lines go (or that function alone), and the clock the
   * connections' deadlines are read from (a test passes one it moves by hand)
   */
  constructor(config: ServerConfig, options: ServerOptions | ServerOptions["log"] = {}) {
    const { log, now } = typeof options === "function" ? { log: options, now: undefined } : options;
    this.#config = config;
    this.#log = log ?? lifecycleLogger(config.logFormat);
    this.#now = now;
    this.#pool = new WorkerPool(config, {
      onWorkerLost: (worker, loss) => this.#onWorkerLost(worker, loss),
      onWorkerReady: (worker) => {
        // The first start is one line for all of them, in start().
        if (this.#state !== "starting") this.#log(`Worker ${worker.id}: restarted`);
        this.#onWorkerReady(worker);
      },
    });
  }

  /** The worker pool (exposed for tests and diagnostics). */
  get pool(): WorkerPool {
    return this.#pool;
  }

  /** Where the server state machine is. */
  get state(): ServerState {
    return this.#state;
  }

  /** The bound address; valid after start. */
  get addr(): Deno.NetAddr {
    return this.#addr!;
  }

  /** I/O threads running (0: the I/O loop runs on this thread). */
  get ioThreads(): number {
    return this.#threads === null ? 0 : this.#config.ioThreads;
  }

  /** Connections open now, over every I/O thread. */
  get connectionCount(): number {
    return this.#counts.count("connections");
  }

  /** Why the server stopped by itself (an I/O thread failed), or null. */
  get failure(): string | null {
    return this.#failure;
  }

  /** Settles once the server has stopped, by shutdown() or by itself. */
  get stopped(): Promise<void> {
    return this.#stopped.promise;
  }

  /**
   * Binds the socket, starts the workers and the I/O threads, and begins accepting.
   *
   * @returns once the server is ready to serve
   */
  async start(): Promise<void> {
    const { host, port, cert, key, reusePort } = this.#config;
    // TLS runs in the I/O threads over each connection; they get the PEM text, not the files.
    const tls = cert !== null && key !== null ? readTlsFiles({ cert, key }) : null;
    const bound = bindPort({ host, port, reusePort });
    this.#bound = bound;
    this.#addr = { transport: "tcp", hostname: bound.hostname, port: bound.port };
    try {
      await this.#startIo(bound, tls);
      const lanes = this.#threads === null ? 1 : this.#config.ioThreads;
      await this.#pool.start({ listening: this.#addr, lanes });
      // With --reuse-port each thread binds its socket now, when it can accept at once.
      await this.#threads?.accept();
    } catch (error) {
      await this.#pool.stop();
      this.#threads?.stop();
      this.#local?.links.closeAll();
      if (this.#threads === null) bound.listener?.close();
      bound.release();
      throw error;
    }
    this.#log(`Server: ${this.#config.workers} workers started`);
    this.#state = "serving";
    // The watchdog checks as often as the connections' deadlines are checked.
    this.#watchdog = setInterval(() => this.#onWatchdog(), deadlineTickMs(this.#config));
    if (this.#local !== null) {
      const { hostname, port } = bound;
      const listener = bound.listener ?? Deno.listen({ hostname, port, reusePort: true });
      this.#local.loop.start(listener, tls === null ? null : tlsContext(tls));
    }
    for (const line of startupLines(this.#config, this.addr, this.ioThreads)) this.#log(line);
    const descriptors = descriptorWarning(this.#config.maxConnections, processOpenFilesLimit());
    if (descriptors !== null) this.#log(descriptors);
    // An I/O thread that failed while the workers started: stop now that there is a server.
    if (this.#failure !== null) this.shutdown();
  }

  /**
   * Graceful shutdown: tell load balancers (the health check answers 503) while still serving
   * for `--drain-delay`; then stop accepting, close idle connections, let active ones finish
   * within the grace period, close the rest and stop the workers.
   *
   * @returns when everything is closed
   */
  async shutdown(): Promise<void> {
    // A second call waits for the first; before start() has finished there is nothing to stop.
    if (this.#state === "announcing" || this.#state === "draining") return await this.stopped;
    if (this.#state !== "serving") return;
    this.#state = "announcing";
    this.#pool.markDraining();
    if (this.#config.drainDelayMs > 0) {
      this.#log(
        `Server: shutting down; health check says 503 for ${this.#config.drainDelayMs / 1000} s`,
      );
      await new Promise((resolve) => setTimeout(resolve, this.#config.drainDelayMs));
    }
    this.#state = "draining";
    this.#local?.loop.drain();
    await this.#threads?.drain();
    const busy = this.connectionCount;
    if (busy > 0) {
      this.#log(`Server: draining ${busy} connections (grace ${this.#config.graceMs / 1000} s)`);
    }
    const deadline = Date.now() + this.#config.graceMs;
    while (this.connectionCount > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const cut = this.connectionCount;
    if (cut > 0) this.#log(`Server: grace period over; closing ${cut} unfinished connections`);
    this.#local?.loop.close();
    this.#local?.links.closeAll();
    await this.#threads?.close();
    this.#bound?.release();
    // Their workers log each cut response (with the bytes that got out) when the abort arrives:
    // give them that moment before they are stopped.
    if (cut > 0) await new Promise((resolve) => setTimeout(resolve, ABORT_LOG_MS));
    clearInterval(this.#watchdog);
    await this.#pool.stop();
    this.#state = "stopped";
    this.#log("Server: stopped");
    this.#stopped.resolve();
  }

  /**
   * Starts the I/O threads on the bound port; when this Deno cannot share it, or a clock was
   * given, runs the loop here instead.
   */
  async #startIo(bound: BoundPort, tls: { cert: string; key: string } | null): Promise<void> {
    if (this.#now === undefined) {
      const threads = new IoThreads({
        onLog: (line) => this.#log(line),
        onBroken: (id, reason) => this.#pool.replace(id, reason),
        onFailed: (index, reason) => this.#onIoFailed(index, reason),
      });
      try {
        const { hostname, port, mode } = bound;
        const listen = { hostname, port, mode };
        const counts = this.#countsMemory;
        await threads.start({ config: this.#config, listen, tls, counts, sizes: this.#pool.sizes });
        // The threads hold duplicates of it (or bind sockets of their own): it is not needed.
        bound.listener?.close();
        this.#threads = threads;
        return;
      } catch (error) {
        if (!(error instanceof IoStartError && error.unshared && bound.mode === "shared")) {
          throw error;
        }
        this.#log(
          `Server: this Deno cannot share the listening socket between threads (${error.message}); one I/O thread runs on the main thread`,
        );
      }
    }
    this.#local = this.#localIo();
  }

  /** The I/O loop on this thread. */
  #localIo(): LocalIo {
    const config = this.#config;
    const links = new HandlerLinks({
      onMessage: (worker, message) => loop.onMessage(worker, message),
      onBroken: (worker, reason) => this.#pool.replace(worker.id, reason),
    }, { sizes: this.#pool.sizes, stallMs: config.stallMs, idleChecked: config.app !== null });
    const log = (line: string) => this.#log(line);
    const counts = this.#counts;
    const loop: IoLoop = new IoLoop(links, { config, log, now: this.#now, counts });
    return { loop, links };
  }

  #onWorkerReady(worker: PoolWorker): void {
    if (this.#threads !== null) return this.#threads.addWorker(worker);
    const local = this.#local!;
    local.links.add(worker.id, worker.channels[0], worker.boardMemory);
    local.loop.onWorkerReady();
  }

  /** The lifecycle line of a lost worker; the I/O threads fail its requests. */
  #onWorkerLost(worker: PoolWorker, loss: WorkerLoss): void {
    this.#log(
      loss.cause === "timeout"
        ? `Worker ${worker.id}: terminated after ${loss.reason}; replaced`
        : `Worker ${worker.id}: crashed (${loss.reason}); restarting`,
    );
    if (this.#threads !== null) return this.#threads.loseWorker(worker.id, loss);
    const link = this.#local!.links.lose(worker.id);
    if (link !== null) this.#local!.loop.onWorkerLost(link, loss);
  }

  /** An I/O thread failed: its connections are gone, and the server stops (a bug to report). */
  #onIoFailed(index: number, reason: string): void {
    // Its connections died with it: the shutdown does not wait for them.
    this.#counts.forgetThread(index);
    if (this.#failure !== null) return;
    this.#failure = `I/O thread ${index} failed (${reason})`;
    this.#log(`Server: ${this.#failure}; please report it; stopping`);
    this.shutdown();
  }

  /** Replaces a worker that makes no progress, or the one over the memory budget. */
  #onWatchdog(): void {
    const now = Date.now();
    this.#pool.checkProgress(now);
    this.#pool.checkMemory(now);
  }
}

/**
 * The lines that say the server is up: the URL with the workers and I/O threads, what is served
 * and the features that are on; for a wildcard host, the addresses another machine can open.
 */
function startupLines(config: ServerConfig, addr: Deno.NetAddr, ioThreads: number): string[] {
  const { hostname, port } = addr;
  const scheme = config.cert === null ? "http" : "https";
  const url = (host: string) => `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const { workers, root, app } = config;
  const serving = [root === null ? null : `root ${root}`, app === null ? null : `app ${app}`];
  const flags = { list: config.listDirectories, spa: config.spa, compress: config.compress };
  const on = Object.entries(flags).filter(([, value]) => value).map(([name]) => `--${name}`);
  const features = on.length === 0 ? "" : `; ${on.join(", ")}`;
  const lines = [
    `Server: listening on ${url(hostname)} (${workers} workers, ${ioThreadsText(ioThreads)}, ${
      serving.filter(Boolean).join(", ")
    }${features})`,
  ];
  if (hostname !== "0.0.0.0" && hostname !== "::") return lines;
  const addresses = reachableAddresses(hostname === "::")?.map(url) ?? null;
  lines.push(openLine(url("127.0.0.1"), { addresses, standalone: Deno.build.standalone }));
  return lines;
}

/** How many I/O threads, in the ready line. */
function ioThreadsText(count: number): string {
  if (count === 0) return "I/O on the main thread";
  return count === 1 ? "1 I/O thread" : `${count} I/O threads`;
}

/**
 * The line that says where to open a server listening on every interface: here, and this
 * machine's addresses when Deno may list them. When it may not, `deno run` is told the flag to
 * add; a compiled binary (and so the Docker image) takes no Deno flags, and is told none.
 *
 * @param local the URL on loopback
 * @param options the other machines' URLs (null: not listed), and whether this is a binary
 * @returns the line
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openLine } from "./server.ts";
 * const local = "http://127.0.0.1:8080";
 * assert.equal(
 *   openLine(local, { addresses: ["http://192.0.2.7:8080"], standalone: false }),
 *   "Server: open http://127.0.0.1:8080 or http://192.0.2.7:8080",
 * );
 * assert.doesNotMatch(openLine(local, { addresses: null, standalone: true }), /deno|--allow/);
 * ```
 */
export function openLine(
  local: string,
  options: { addresses: readonly string[] | null; standalone: boolean },
): string {
  const { addresses, standalone } = options;
  if (addresses !== null) return `Server: open ${[local, ...addresses].join(" or ")}`;
  const how = standalone ? "" : " (run deno with --allow-sys=networkInterfaces to list them)";
  return `Server: open ${local} here, or this machine's address from another${how}`;
}

/**
 * This machine's addresses other machines can use (no loopback, no link-local IPv6, which needs
 * a zone), or null when Deno may not list them.
 */
function reachableAddresses(ipv6: boolean): string[] | null {
  const permission = Deno.permissions.querySync({ name: "sys", kind: "networkInterfaces" });
  if (permission.state !== "granted") return null;
  try {
    return Deno.networkInterfaces()
      .filter((i) => i.family === "IPv4" || (ipv6 && !i.address.startsWith("fe80")))
      .map((i) => i.address)
      .filter((a) => a !== "127.0.0.1" && a !== "::1");
  } catch {
    return null;
  }
}
