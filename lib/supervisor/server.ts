/**
 * The main thread's server: listens, accepts, keeps the connection table, enforces the
 * connections' timeouts on its tick, and shuts down gracefully. What happens between a
 * connection and a worker is the relay's job (`relay.ts`).
 *
 * The main thread never parses HTTP and never runs user code, so it always stays free to accept,
 * time out and relay.
 *
 * @module
 */
import type { ServerConfig } from "../config/settings.ts";
import { unreachable } from "../http/unreachable.ts";
import { errorText } from "../wire/log_text.ts";
import { Connection } from "../io/connection.ts";
import { type PoolWorker, WorkerPool } from "./pool.ts";
import type { WorkerLoss } from "../io/workers.ts";
import { refusalLine, Relay } from "../io/relay.ts";
import { lifecycleLogger } from "./log.ts";
import { descriptorWarning, processOpenFilesLimit } from "./fd_limit.ts";
import { tlsContextFromFiles, TlsTransport, type Transport } from "../io/tls.ts";

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

/** Pause after a failed accept that is not one client's doing (out of file descriptors). */
const ACCEPT_BACKOFF_MS = 50;

/** How long workers get to log the responses cut at the end of the grace period. */
const ABORT_LOG_MS = 100;

/** Undispatched bytes a connection may hold beyond the largest head before reading pauses. */
const READ_SLACK_BYTES = 64 * 1024;

/** A running server. */
export class Server {
  #config: ServerConfig;
  #listener: Deno.Listener | null = null;
  /** Certificate and key when serving HTTPS. */
  #tls: ReturnType<typeof tlsContextFromFiles> | null = null;
  #refusingSince = 0;
  #acceptFailedAt = 0;
  #pool: WorkerPool;
  #relay: Relay;
  #connections = new Set<Connection>();
  #nextConnection = 1;
  #state: ServerState = "starting";
  #sweep: ReturnType<typeof setInterval> | undefined;
  #log: (line: string) => void;
  #now: () => number;

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
    this.#now = now ?? Date.now;
    this.#pool = new WorkerPool(config, {
      onMessage: (worker, message) => this.#relay.onMessage(worker, message),
      onWorkerLost: (worker, loss) => this.#onWorkerLost(worker, loss),
      onWorkerReady: (worker) => {
        // The first start is one line for all of them, in start().
        if (this.#state !== "starting") this.#log(`Worker ${worker.id}: restarted`);
        this.#relay.drainQueue();
      },
    });
    this.#relay = new Relay(this.#pool, {
      config,
      hooks: {
        canDispatch: () => this.#state !== "starting" && this.#state !== "stopped",
        closeAfterResponse: () => this.#state === "draining" || this.#state === "stopped",
        log: (line) => this.#log(line),
        onFault: (c, error) => this.#onFault(c, error),
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
    return this.#listener!.addr as Deno.NetAddr;
  }

  /**
   * Binds the socket, starts the workers and begins accepting.
   *
   * @returns once the server is ready to serve
   */
  async start(): Promise<void> {
    this.#listener = this.#listen();
    try {
      await this.#pool.start(this.#listener.addr as Deno.NetAddr);
    } catch (error) {
      this.#listener.close();
      throw error;
    }
    this.#log(`Server: ${this.#config.workers} workers started`);
    this.#state = "serving";
    const { headerTimeoutMs, keepaliveTimeoutMs, bodyTimeoutMs, sendTimeoutMs } = this.#config;
    const tick = Math.min(headerTimeoutMs, keepaliveTimeoutMs, bodyTimeoutMs, sendTimeoutMs) / 4;
    this.#sweep = setInterval(() => this.#onTick(), Math.max(10, Math.min(250, tick)));
    this.#acceptLoop(this.#listener);
    for (const line of startupLines(this.#config, this.addr)) this.#log(line);
    const descriptors = descriptorWarning(this.#config.maxConnections, processOpenFilesLimit());
    if (descriptors !== null) this.#log(descriptors);
  }

  /** Always plain TCP: TLS, when a certificate is configured, runs over each connection. */
  #listen(): Deno.Listener {
    const { host: hostname, port, cert, key } = this.#config;
    if (cert !== null && key !== null) this.#tls = tlsContextFromFiles({ cert, key });
    return Deno.listen({ hostname, port });
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
    this.#listener?.close();
    // WebSockets close as going away (1001); their connections end with the handshake.
    this.#relay.tunnels.goAway();
    for (const connection of this.#connections) {
      // Still writing a response out (a slow reader): finish it within the grace period.
      if (connection.state === "idle" || connection.state === "reading") {
        connection.closeAfterWrites();
      }
    }
    const busy = this.#connections.size;
    if (busy > 0) {
      this.#log(`Server: draining ${busy} connections (grace ${this.#config.graceMs / 1000} s)`);
    }
    const deadline = Date.now() + this.#config.graceMs;
    while (this.#connections.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const cut = this.#connections.size;
    if (cut > 0) this.#log(`Server: grace period over; closing ${cut} unfinished connections`);
    for (const connection of this.#connections) connection.destroy();
    // Their workers log each cut response (with the bytes that got out) when the abort arrives:
    // give them that moment before they are stopped.
    if (cut > 0) await new Promise((resolve) => setTimeout(resolve, ABORT_LOG_MS));
    clearInterval(this.#sweep);
    this.#pool.stop();
    this.#state = "stopped";
    this.#log("Server: stopped");
  }

  async #acceptLoop(listener: Deno.Listener): Promise<void> {
    while (this.#state === "serving" || this.#state === "announcing") {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (this.#state !== "serving" && this.#state !== "announcing") return;
        // A client that reset its connection while it waited to be accepted: only that one is
        // lost. Backing off for it let 30 resets a second hold up everyone's accept by seconds.
        if (isClientGone(error)) continue;
        // Out of file descriptors and the like: say so (once a second), back off, go on.
        const now = Date.now();
        if (now - this.#acceptFailedAt >= 1000) {
          this.#acceptFailedAt = now;
          this.#log(`Server: accept failed: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, ACCEPT_BACKOFF_MS));
        continue;
      }
      this.#accept(conn);
    }
  }

  #accept(conn: Deno.Conn): void {
    if (this.#connections.size >= this.#config.maxConnections) return this.#refuseConnection(conn);
    try {
      (conn as Deno.TcpConn).setNoDelay?.(true);
    } catch {
      // The client already left; the read loop will notice.
    }
    const transport: Transport = this.#tls === null ? conn : new TlsTransport(conn, this.#tls);
    const { headerTimeoutMs, keepaliveTimeoutMs, bodyTimeoutMs } = this.#config;
    const connection = new Connection(transport, {
      id: this.#nextConnection++,
      now: this.#now,
      timeouts: { headerTimeoutMs, keepaliveTimeoutMs, bodyTimeoutMs },
      events: {
        onBytes: (c) => this.#onBytes(c),
        onEnd: (c) => this.#onEnd(c),
        onWritten: (c) => {
          if (c.state === "held") this.#relay.tryDispatch(c);
        },
        onClosed: (c) => this.#onClosed(c),
        onFault: (c, error) => this.#onFault(c, error),
      },
    });
    this.#connections.add(connection);
    connection.readLoop(this.#relay.maxHeadBytes + READ_SLACK_BYTES);
  }

  /** Over --max-connections: close at once, and say so at most every 10 s. */
  #refuseConnection(conn: Deno.Conn): void {
    try {
      conn.close();
    } catch {
      // Already gone.
    }
    const now = Date.now();
    if (now - this.#refusingSince < 10_000) return;
    this.#refusingSince = now;
    this.#log(
      `Server: ${this.#config.maxConnections} connections open (--max-connections); refusing new ones`,
    );
  }

  #onBytes(c: Connection): void {
    switch (c.state) {
      case "idle":
        c.beginHead();
        return this.#relay.tryDispatch(c);
      case "reading":
        return this.#relay.tryDispatch(c);
      case "active":
        return this.#relay.feedPull(c);
      case "tunnel":
        return this.#relay.tunnels.onBytes(c);
      case "held":
      case "queued":
      case "closing":
      case "closed":
        return;
      default:
        return unreachable(c.state);
    }
  }

  /** The client closed its sending side: close an idle connection; the relay sees to the rest. */
  #onEnd(c: Connection): void {
    // Nothing more will come; what is still being written goes out first.
    if (c.state === "idle" || c.state === "reading") return c.closeAfterWrites();
    if (c.state === "tunnel") return this.#relay.tunnels.onEnd(c);
    this.#relay.onEnd(c);
  }

  #onClosed(c: Connection): void {
    this.#connections.delete(c);
    this.#relay.forget(c);
  }

  /** The lifecycle line of a lost worker; the relay fails its requests. */
  #onWorkerLost(worker: PoolWorker, loss: WorkerLoss): void {
    if (this.#state === "starting") return; // start() reports it
    this.#log(
      loss.cause === "timeout"
        ? `Worker ${worker.id}: terminated after ${loss.reason}; replaced`
        : `Worker ${worker.id}: crashed (${loss.reason}); restarting`,
    );
    this.#relay.onWorkerLost(worker, loss);
  }

  /** A bug met on one connection: say so; the connection was closed, the rest go on. */
  #onFault(c: Connection, error: unknown): void {
    this.#log(
      `Server: internal error on connection ${c.id} (please report it): ${errorText(error)}`,
    );
  }

  #onTick(): void {
    const now = this.#now();
    const { sendTimeoutMs } = this.#config;
    for (const c of this.#connections) {
      const stalled = c.writeStalledSince;
      if (stalled !== 0 && now - stalled > sendTimeoutMs) {
        const what = "send timeout: the client reads no response bytes";
        if (!this.#config.quiet) this.#log(refusalLine(c, what));
        c.destroy();
        continue;
      }
      if (c.deadline === 0 || now < c.deadline) continue;
      if (c.state === "reading") this.#relay.refuse(c, { status: 408, headers: [] });
      else if (c.state === "idle") c.destroy();
      else if (c.state === "active") this.#relay.timeOutBody(c);
      else if (c.state === "tunnel") this.#relay.tunnels.timeOut(c);
    }
    this.#pool.checkProgress(now);
    this.#pool.checkMemory(now);
    this.#relay.drainQueue();
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

/** Whether an accept failed because of that one client (it reset or left first). */
function isClientGone(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.NotConnected;
}
