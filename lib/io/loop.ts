/**
 * What an I/O thread runs (`entry.ts`; or the supervisor's own thread, when this Deno cannot
 * share a listening socket): the accept loop over a listener, the table of open connections, the
 * tick that enforces their deadlines, and the relay between them and the workers. It knows the
 * workers only through `Workers` (`workers.ts`), and the other I/O threads only through the
 * server-wide counts (`lib/wire/counts.ts`); the supervisor (`lib/supervisor/server.ts`) owns the
 * pool, the watchdog, signals and the shutdown's timing, and tells this loop when to drain and
 * close.
 *
 * @module
 */
import type { ServerConfig } from "../config/settings.ts";
import { unreachable } from "../http/unreachable.ts";
import { errorText } from "../wire/log_text.ts";
import { SharedCounts } from "../wire/counts.ts";
import type { ToMain } from "../wire/protocol.ts";
import type { ListenMode } from "../wire/io_messages.ts";
import { Acceptor } from "./acceptor.ts";
import { Connection, type ConnExpiry } from "./connection.ts";
import { refusalLine, Relay } from "./relay.ts";
import { type tlsContext, TlsTransport, type Transport } from "./tls.ts";
import type { WorkerLink, WorkerLoss, Workers } from "./workers.ts";

/**
 * Life of the loop: `ready` (built, not accepting yet) → `accepting` → `draining` (no new
 * connections; the open ones finish, each closing after its response) → `closed` (every
 * connection closed, the tick stopped).
 */
export type IoLoopState = "ready" | "accepting" | "draining" | "closed";

/** Undispatched bytes a connection may hold beyond the largest head before reading pauses. */
const READ_SLACK_BYTES = 64 * 1024;

/**
 * How often the connections' deadlines are checked: a quarter of the shortest timeout, within
 * 10–250 ms, so a deadline is late by at most a quarter of itself.
 *
 * @param config the timeouts
 * @returns the tick, in ms
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deadlineTickMs } from "./loop.ts";
 * const timeouts = { headerTimeoutMs: 400, keepaliveTimeoutMs: 5000, bodyTimeoutMs: 30_000 };
 * assert.equal(deadlineTickMs({ ...timeouts, sendTimeoutMs: 30_000 }), 100);
 * ```
 */
export function deadlineTickMs(
  config: Pick<
    ServerConfig,
    "headerTimeoutMs" | "keepaliveTimeoutMs" | "bodyTimeoutMs" | "sendTimeoutMs"
  >,
): number {
  const { headerTimeoutMs, keepaliveTimeoutMs, bodyTimeoutMs, sendTimeoutMs } = config;
  const tick = Math.min(headerTimeoutMs, keepaliveTimeoutMs, bodyTimeoutMs, sendTimeoutMs) / 4;
  return Math.max(10, Math.min(250, tick));
}

/**
 * Accepts connections, keeps them, times them out and relays their requests.
 *
 * @example
 * ```ts ignore
 * import { IoLoop } from "./loop.ts";
 * const io = new IoLoop(pool, { config, log: console.log });
 * io.start(Deno.listen({ port: 8080 }), null);
 * ```
 */
export class IoLoop {
  #config: ServerConfig;
  #log: (line: string) => void;
  #state: IoLoopState = "ready";
  /** Certificate and key when serving HTTPS. */
  #tls: ReturnType<typeof tlsContext> | null = null;
  #relay: Relay;
  #connections = new Set<Connection>();
  #counts: SharedCounts;
  /** This thread's number and how many I/O threads there are (1 and 1 when alone). */
  #thread: number;
  #threads: number;
  /** How the threads share the port (see `acceptor.ts`). */
  #listenMode: ListenMode;
  #acceptor: Acceptor | null = null;
  /** This thread's next connection number; each thread takes every `#threads`-th. */
  #nextConnection: number;
  #refusingSince = 0;
  #tick: ReturnType<typeof setInterval> | undefined;
  #now: () => number;

  /**
   * Prepares the loop; {@linkcode IoLoop.start} accepts.
   *
   * @param workers the workers requests go to
   * @param options the config, where lifecycle and refusal lines go, the clock the connections'
   *   deadlines are read from (ms since the epoch; default `Date.now`), the server-wide counts
   *   (default: this loop's own), and which of how many I/O threads this is and how they share
   *   the port (default 1 of 1, "shared")
   */
  constructor(
    workers: Workers,
    options: {
      config: ServerConfig;
      log: (line: string) => void;
      now?: () => number;
      counts?: SharedCounts;
      thread?: { index: number; count: number; mode: ListenMode };
    },
  ) {
    this.#config = options.config;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#counts = options.counts ?? new SharedCounts();
    this.#thread = options.thread?.index ?? 1;
    this.#threads = options.thread?.count ?? 1;
    this.#listenMode = options.thread?.mode ?? "shared";
    this.#nextConnection = this.#thread;
    this.#relay = new Relay(workers, {
      config: options.config,
      counts: this.#counts,
      hooks: {
        canDispatch: () => this.#state === "accepting" || this.#state === "draining",
        closeAfterResponse: () => this.#state === "draining" || this.#state === "closed",
        log: this.#log,
        onFault: (c, error) => this.#onFault(c, error),
      },
    });
  }

  /** Connections open now. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /**
   * Accepts from `listener` (the loop owns it from now on) and starts the deadline tick.
   *
   * @param listener a bound TCP listener
   * @param tls the certificate and key, when each connection runs TLS
   */
  start(listener: Deno.Listener, tls: ReturnType<typeof tlsContext> | null): void {
    if (this.#state !== "ready") throw new Error(`IoLoop.start() in state "${this.#state}"`);
    this.#state = "accepting";
    this.#tls = tls;
    this.#tick = setInterval(() => this.#onTick(), deadlineTickMs(this.#config));
    this.#acceptor = new Acceptor(listener, {
      counts: this.#counts,
      thread: { index: this.#thread, count: this.#threads, mode: this.#listenMode },
      log: this.#log,
      onConn: (conn) => this.#accept(conn),
    });
    this.#acceptor.run();
    // A worker freed by another I/O thread's response may take a request queued here.
    this.#counts.onQueueRing(() => this.#relay.drainQueue(), () => this.#state === "closed");
  }

  /**
   * A record from a worker.
   *
   * @param worker the worker it came from
   * @param message the decoded record; its bytes are views valid only during the call
   */
  onMessage(worker: WorkerLink, message: ToMain): void {
    this.#relay.onMessage(worker, message);
  }

  /**
   * A worker was lost: its requests fail (502, or 503 after the watchdog), its sockets close.
   *
   * @param worker the lost worker
   * @param loss why
   */
  onWorkerLost(worker: WorkerLink, loss: WorkerLoss): void {
    this.#relay.onWorkerLost(worker, loss);
  }

  /** A worker became ready: queued requests may go to it. */
  onWorkerReady(): void {
    this.#relay.drainQueue();
  }

  /**
   * Stops accepting (closes the listener), tells WebSockets the server is going away (1001), and
   * closes every connection with no request in hand once its writes are out; the others close
   * after their response.
   *
   * @returns the connections still open
   */
  drain(): number {
    if (this.#state !== "accepting") return this.#connections.size;
    this.#state = "draining";
    this.#acceptor?.stop();
    this.#relay.tunnels.goAway();
    for (const connection of this.#connections) connection.drain();
    return this.#connections.size;
  }

  /** Closes every connection still open, now, and stops the tick. */
  close(): void {
    if (this.#state === "closed") return;
    this.#acceptor?.stop();
    this.#state = "closed";
    for (const connection of this.#connections) connection.destroy();
    clearInterval(this.#tick);
    this.#counts.ringQueue();
  }

  #accept(conn: Deno.Conn): void {
    if (!this.#counts.take("connections", this.#config.maxConnections)) {
      return this.#refuseConnection(conn);
    }
    let connection: Connection;
    try {
      connection = this.#open(conn);
    } catch (error) {
      // A bug: were it thrown on, the count would never come back (K of them refused everyone
      // for good) and the accept loop, hence this thread and the server, would end.
      this.#counts.give("connections");
      closeQuietly(conn);
      return this.#log(
        `Server: internal error on a new connection (please report it): ${errorText(error)}`,
      );
    }
    this.#connections.add(connection);
    this.#counts.countOn(this.#thread, 1);
    connection.readLoop(this.#relay.maxHeadBytes + READ_SLACK_BYTES);
  }

  /** Wraps an accepted socket (TLS, when serving HTTPS) in a connection reporting to the relay. */
  #open(conn: Deno.Conn): Connection {
    try {
      (conn as Deno.TcpConn).setNoDelay?.(true);
    } catch {
      // The client already left; the read loop will notice.
    }
    const transport: Transport = this.#tls === null ? conn : new TlsTransport(conn, this.#tls);
    const { headerTimeoutMs, keepaliveTimeoutMs, bodyTimeoutMs, sendTimeoutMs } = this.#config;
    const relay = this.#relay;
    return new Connection(transport, {
      id: this.#takeConnectionId(),
      now: this.#now,
      timeouts: { headerTimeoutMs, keepaliveTimeoutMs, bodyTimeoutMs, sendTimeoutMs },
      events: {
        onHeadBytes: (c) => relay.tryDispatch(c),
        onBodyBytes: (c) => relay.feedPull(c),
        onTunnelBytes: (c) => relay.tunnels.onBytes(c),
        onRequestEnd: (c) => relay.onEnd(c),
        onTunnelEnd: (c) => relay.tunnels.onEnd(c),
        onHeldWritable: (c) => relay.tryDispatch(c),
        onClosed: (c) => this.#onClosed(c),
        onFault: (c, error) => this.#onFault(c, error),
      },
    });
  }

  /** Over --max-connections: close at once, and say so at most every 10 s. */
  #refuseConnection(conn: Deno.Conn): void {
    closeQuietly(conn);
    const now = Date.now();
    if (now - this.#refusingSince < 10_000) return;
    this.#refusingSince = now;
    this.#log(
      `Server: ${this.#config.maxConnections} connections open (--max-connections); refusing new ones`,
    );
  }

  #onClosed(c: Connection): void {
    if (this.#connections.delete(c)) {
      this.#counts.give("connections");
      this.#counts.countOn(this.#thread, -1);
      this.#acceptor?.connectionClosed();
    }
    this.#relay.forget(c);
  }

  /** Connection numbers are unique across the I/O threads: each thread takes every K-th. */
  #takeConnectionId(): number {
    const id = this.#nextConnection;
    this.#nextConnection += this.#threads;
    return id;
  }

  /** A bug met on one connection: say so; the connection was closed, the rest go on. */
  #onFault(c: Connection, error: unknown): void {
    this.#log(
      `Server: internal error on connection ${c.id} (please report it): ${errorText(error)}`,
    );
  }

  /** Each connection checks its own timers; what expired and is not its own to end is answered. */
  #onTick(): void {
    const now = this.#now();
    for (const c of this.#connections) {
      const expired = c.tick(now);
      if (expired !== null) this.#onExpired(c, expired);
    }
    this.#relay.drainQueue();
  }

  #onExpired(c: Connection, expired: ConnExpiry): void {
    switch (expired) {
      case "send":
        if (!this.#config.quiet) {
          this.#log(refusalLine(c, "send timeout: the client reads no response bytes"));
        }
        return;
      case "idle":
        return;
      case "header":
        return this.#relay.refuse(c, { status: 408, headers: [] });
      case "body":
        return this.#relay.timeOutBody(c);
      case "frame":
        return this.#relay.tunnels.timeOut(c);
      default:
        return unreachable(expired);
    }
  }
}

/** Closes an accepted socket that will not be served. */
function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already gone.
  }
}
