/**
 * The supervisor's server: binds the socket, starts and replaces the workers (the pool, its
 * watchdog tick), and shuts down gracefully in Go's order. Accepting, the connection table and
 * the connections' deadlines are the I/O loop's job (`lib/io/loop.ts`), which it owns and tells
 * when to drain and close; it never reaches into a connection.
 *
 * The main thread never parses HTTP and never runs user code, so it always stays free to accept,
 * time out and relay.
 *
 * @module
 */
import type { ServerConfig } from "../config/settings.ts";
import { deadlineTickMs, IoLoop } from "../io/loop.ts";
import { tlsContextFromFiles } from "../io/tls.ts";
import type { WorkerLoss } from "../io/workers.ts";
import { type PoolWorker, WorkerPool } from "./pool.ts";
import { lifecycleLogger } from "./log.ts";
import { descriptorWarning, processOpenFilesLimit } from "./fd_limit.ts";

/** What a server is given besides its config. */
export interface ServerOptions {
  /** Where lifecycle lines go. @default lines on stdout in the config's log format */
  log?: (line: string) => void;
  /** The clock connection deadlines are read from, in ms since the epoch. @default Date.now */
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

/** A running server. */
export class Server {
  #config: ServerConfig;
  #addr: Deno.NetAddr | null = null;
  #pool: WorkerPool;
  #io: IoLoop;
  #state: ServerState = "starting";
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #log: (line: string) => void;

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
    this.#pool = new WorkerPool(config, {
      onMessage: (worker, message) => this.#io.onMessage(worker, message),
      onWorkerLost: (worker, loss) => this.#onWorkerLost(worker, loss),
      onWorkerReady: (worker) => {
        // The first start is one line for all of them, in start().
        if (this.#state !== "starting") this.#log(`Worker ${worker.id}: restarted`);
        this.#io.onWorkerReady();
      },
    });
    this.#io = new IoLoop(this.#pool, { config, log: (line) => this.#log(line), now });
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

  /**
   * Binds the socket, starts the workers and begins accepting.
   *
   * @returns once the server is ready to serve
   */
  async start(): Promise<void> {
    const { host: hostname, port, cert, key } = this.#config;
    // Always plain TCP: TLS, when a certificate is configured, runs over each connection.
    const tls = cert !== null && key !== null ? tlsContextFromFiles({ cert, key }) : null;
    const listener = Deno.listen({ hostname, port });
    this.#addr = listener.addr;
    try {
      await this.#pool.start(this.#addr);
    } catch (error) {
      listener.close();
      throw error;
    }
    this.#log(`Server: ${this.#config.workers} workers started`);
    this.#state = "serving";
    // The watchdog checks as often as the connections' deadlines are checked.
    this.#watchdog = setInterval(() => this.#onWatchdog(), deadlineTickMs(this.#config));
    this.#io.start(listener, tls);
    for (const line of startupLines(this.#config, this.addr)) this.#log(line);
    const descriptors = descriptorWarning(this.#config.maxConnections, processOpenFilesLimit());
    if (descriptors !== null) this.#log(descriptors);
  }

  /**
   * Graceful shutdown: tell load balancers (the health check answers 503) while still serving
   * for `--drain-delay`; then stop accepting, close idle connections, let active ones finish
   * within the grace period, close the rest and stop the workers.
   *
   * @returns when everything is closed
   */
  async shutdown(): Promise<void> {
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
    const busy = this.#io.drain();
    if (busy > 0) {
      this.#log(`Server: draining ${busy} connections (grace ${this.#config.graceMs / 1000} s)`);
    }
    const deadline = Date.now() + this.#config.graceMs;
    while (this.#io.connectionCount > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const cut = this.#io.connectionCount;
    if (cut > 0) this.#log(`Server: grace period over; closing ${cut} unfinished connections`);
    this.#io.close();
    // Their workers log each cut response (with the bytes that got out) when the abort arrives:
    // give them that moment before they are stopped.
    if (cut > 0) await new Promise((resolve) => setTimeout(resolve, ABORT_LOG_MS));
    clearInterval(this.#watchdog);
    this.#pool.stop();
    this.#state = "stopped";
    this.#log("Server: stopped");
  }

  /** The lifecycle line of a lost worker; the I/O loop fails its requests. */
  #onWorkerLost(worker: PoolWorker, loss: WorkerLoss): void {
    if (this.#state === "starting") return; // start() reports it
    this.#log(
      loss.cause === "timeout"
        ? `Worker ${worker.id}: terminated after ${loss.reason}; replaced`
        : `Worker ${worker.id}: crashed (${loss.reason}); restarting`,
    );
    this.#io.onWorkerLost(worker, loss);
  }

  /** Replaces a worker that makes no progress, or the one over the memory budget. */
  #onWatchdog(): void {
    const now = Date.now();
    this.#pool.checkProgress(now);
    this.#pool.checkMemory(now);
  }
}

/**
 * The lines that say the server is up: the URL with the workers, what is served and the
 * features that are on; for a wildcard host, the addresses another machine can open.
 */
function startupLines(config: ServerConfig, addr: Deno.NetAddr): string[] {
  const { hostname, port } = addr;
  const scheme = config.cert === null ? "http" : "https";
  const url = (host: string) => `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const { workers, root, app } = config;
  const serving = [root === null ? null : `root ${root}`, app === null ? null : `app ${app}`];
  const flags = { list: config.listDirectories, spa: config.spa, compress: config.compress };
  const on = Object.entries(flags).filter(([, value]) => value).map(([name]) => `--${name}`);
  const features = on.length === 0 ? "" : `; ${on.join(", ")}`;
  const lines = [
    `Server: listening on ${url(hostname)} (${workers} workers, ${
      serving.filter(Boolean).join(", ")
    }${features})`,
  ];
  if (hostname !== "0.0.0.0" && hostname !== "::") return lines;
  const addresses = reachableAddresses(hostname === "::")?.map(url) ?? null;
  lines.push(openLine(url("127.0.0.1"), { addresses, standalone: Deno.build.standalone }));
  return lines;
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
