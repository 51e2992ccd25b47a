/**
 * The main thread's server: listens, accepts, keeps the connection table, enforces the header
 * and keep-alive timeouts, dispatches each request to a worker and writes responses back, and
 * shuts down gracefully.
 *
 * The main thread never parses HTTP and never runs user code: it only looks for the blank line
 * that ends a request head, so it always stays free to accept, time out and relay.
 *
 * @module
 */
import type { ServerConfig } from "../config/settings.ts";
import { Connection } from "./connection.ts";
import { findHeadEnd } from "../http/head_end.ts";
import { type PoolWorker, type WorkerLoss, WorkerPool } from "./pool.ts";
import { encodeToWorker, FILE_CHUNK_BYTES, type ToMain } from "../wire/protocol.ts";
import { unreachable } from "../http/unreachable.ts";
import { cannedResponse } from "../canned.ts";
import { BufferPool } from "./buffers.ts";
import { tlsContext, TlsTransport, type Transport } from "./tls.ts";

/**
 * Life of the server: `starting` → `serving` → `announcing` (still serving, but the health check
 * says 503, for `--drain-delay`) → `draining` (no new connections; active ones finish within
 * `--grace`) → `stopped`.
 */
export type ServerState = "starting" | "serving" | "announcing" | "draining" | "stopped";

const CR = 0x0d;
const LF = 0x0a;

/** Pause after a failed accept that is not one client's doing (out of file descriptors). */
const ACCEPT_BACKOFF_MS = 50;

/** Undispatched bytes a connection may hold beyond the largest head before reading pauses. */
const READ_SLACK_BYTES = 64 * 1024;

/** A running server. */
export class Server {
  #config: ServerConfig;
  #listener: Deno.Listener | null = null;
  /** Certificate and key when serving HTTPS. */
  #tls: ReturnType<typeof tlsContext> | null = null;
  #refusingSince = 0;
  #acceptFailedAt = 0;
  #pool: WorkerPool;
  #connections = new Set<Connection>();
  #streams = new Map<number, Connection>();
  #queue: Connection[] = [];
  #nextStream = 1;
  #nextConnection = 1;
  #state: ServerState = "starting";
  #sweep: ReturnType<typeof setInterval> | undefined;
  #maxHeadBytes: number;
  #log: (line: string) => void;
  /** Small whole responses, and file chunks plus a response head. */
  #chunks = new BufferPool([
    { bufferBytes: 4096, minBytes: 0, maxFree: 256 },
    { bufferBytes: FILE_CHUNK_BYTES + 16 * 1024, minBytes: 64 * 1024, maxFree: 16 },
  ]);

  /**
   * Prepares a server; {@linkcode Server.start} listens.
   *
   * @param config the validated config
   * @param log where lifecycle lines go
   */
  constructor(config: ServerConfig, log: (line: string) => void = console.log) {
    this.#config = config;
    this.#log = log;
    this.#maxHeadBytes = config.maxRequestLineBytes + config.maxHeaderBytes + 4;
    this.#pool = new WorkerPool(config, {
      onMessage: (worker, message) => {
        try {
          this.#onWorkerMessage(worker, message);
        } catch (error) {
          const c = this.#streams.get(message.stream);
          c?.destroy();
          this.#onFault(c ?? null, error);
        }
      },
      onWorkerLost: (worker, loss) => this.#onWorkerLost(worker, loss),
      onWorkerReady: (worker) => {
        const replaced = this.#state !== "starting";
        this.#log(`Worker ${worker.id}: ${replaced ? "restarted" : "started"}`);
        this.#drainQueue();
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
      await this.#pool.start();
    } catch (error) {
      this.#listener.close();
      throw error;
    }
    this.#state = "serving";
    const { headerTimeoutMs, keepaliveTimeoutMs, bodyTimeoutMs, sendTimeoutMs } = this.#config;
    const tick = Math.min(headerTimeoutMs, keepaliveTimeoutMs, bodyTimeoutMs, sendTimeoutMs) / 4;
    this.#sweep = setInterval(() => this.#onTick(), Math.max(10, Math.min(250, tick)));
    this.#acceptLoop(this.#listener);
    const { hostname, port } = this.addr;
    const host = hostname.includes(":") ? `[${hostname}]` : hostname;
    const { workers, root, app } = this.#config;
    const serving = [root === null ? null : `root ${root}`, app === null ? null : `app ${app}`];
    const scheme = this.#config.cert === null ? "http" : "https";
    this.#log(
      `Server: listening on ${scheme}://${host}:${port} (${workers} workers, ${
        serving.filter(Boolean).join(", ")
      })`,
    );
  }

  /** Always plain TCP: TLS, when a certificate is configured, runs over each connection. */
  #listen(): Deno.Listener {
    const { host: hostname, port, cert, key } = this.#config;
    if (cert !== null && key !== null) {
      this.#tls = tlsContext({
        cert: Deno.readTextFileSync(cert),
        key: Deno.readTextFileSync(key),
      });
    }
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
    for (const connection of this.#connections) {
      if (connection.state === "idle" || connection.state === "reading") connection.destroy();
    }
    const busy = this.#connections.size;
    if (busy > 0) {
      this.#log(`Server: draining ${busy} connections (grace ${this.#config.graceMs / 1000} s)`);
    }
    const deadline = Date.now() + this.#config.graceMs;
    while (this.#connections.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const connection of this.#connections) connection.destroy();
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
    const connection = new Connection(transport, {
      id: this.#nextConnection++,
      events: {
        onBytes: (c) => this.#onBytes(c),
        onEnd: (c) => this.#onEnd(c),
        onWritten: (c) => {
          if (c.state === "held") this.#tryDispatch(c);
        },
        onClosed: (c) => this.#onClosed(c),
        onFault: (c, error) => this.#onFault(c, error),
      },
    });
    connection.deadline = Date.now() + this.#config.headerTimeoutMs;
    this.#connections.add(connection);
    connection.readLoop(this.#maxHeadBytes + READ_SLACK_BYTES);
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
        c.state = "reading";
        c.deadline = Date.now() + this.#config.headerTimeoutMs;
        return this.#tryDispatch(c);
      case "reading":
        return this.#tryDispatch(c);
      case "active":
        return this.#feedPull(c);
      case "held":
      case "queued":
      case "closing":
      case "closed":
        return;
      default:
        return unreachable(c.state);
    }
  }

  /**
   * The client closed its sending side. Idle: close. Active: tell the worker once every byte
   * before the end is delivered, so the app's request.signal aborts (as Go's server cancels the
   * request context); the response is still written if the client is reading.
   */
  #onEnd(c: Connection): void {
    if (c.state === "idle" || c.state === "reading") return c.destroy();
    if (c.state !== "active" || !c.worker) return;
    if (c.pullBytes > 0) return this.#feedPull(c);
    if (c.inbound.length > 0) return;
    const end = { kind: "body", stream: c.stream, bytes: new Uint8Array(), eof: true } as const;
    c.worker.channel.send(...encodeToWorker(end));
  }

  #onClosed(c: Connection): void {
    this.#connections.delete(c);
    this.#abortStream(c);
    const queued = this.#queue.indexOf(c);
    if (queued !== -1) this.#queue.splice(queued, 1);
  }

  /**
   * Dispatches a complete head, or one too long to be valid (the worker answers 414/431), once
   * less than a window of earlier responses waits to be written.
   */
  #tryDispatch(c: Connection): void {
    // A held head was found already: scanFrom is its end.
    if (c.state !== "held" && !this.#findHead(c)) return;
    if (c.queuedBytes >= this.#config.windowBytes) {
      c.state = "held";
      c.deadline = 0; // the send timeout watches a client that does not read
      return;
    }
    const worker = this.#state !== "starting" && this.#state !== "stopped"
      ? this.#pool.pick()
      : null;
    if (worker) return this.#assign(c, worker);
    if (this.#queue.length >= this.#config.queueLength) {
      return this.#refuse(c, 503, [["retry-after", "1"]]);
    }
    c.state = "queued";
    c.deadline = 0;
    this.#queue.push(c);
  }

  /**
   * Looks for the end of the head in `inbound` and leaves it in `scanFrom`: false while the head
   * is incomplete. A head longer than the limits is cut just past them, so the worker answers
   * 414 or 431 and no record can outgrow the ring.
   */
  #findHead(c: Connection): boolean {
    // Empty lines before a request line are ignored (RFC 9112 §2.2): they must not pass for a
    // head, which would hand a worker a connection the header timeout no longer covers.
    if (c.scanFrom === 0) c.inbound.take(emptyLinesLength(c.inbound.view()));
    const bytes = c.inbound.view();
    const end = findHeadEnd(bytes, c.scanFrom);
    if (end === -1 && bytes.byteLength <= this.#maxHeadBytes) {
      // A client that half-closed mid-head will never finish it: close rather than wait for
      // the header timeout.
      if (c.ended) c.closeAfterWrites();
      else c.scanFrom = Math.max(0, bytes.byteLength - 3);
      return false;
    }
    c.scanFrom = Math.min(end === -1 ? bytes.byteLength : end, this.#maxHeadBytes + 1);
    return true;
  }

  #assign(c: Connection, worker: PoolWorker): void {
    const head = c.inbound.take(c.scanFrom);
    c.scanFrom = 0;
    c.state = "active";
    c.deadline = 0;
    c.stream = this.#nextStream;
    this.#nextStream = (this.#nextStream % 0xffff_fffe) + 1;
    c.worker = worker;
    c.pullBytes = 0;
    c.responseStarted = false;
    worker.inFlight++;
    this.#streams.set(c.stream, c);
    worker.channel.send(
      ...encodeToWorker({
        kind: "request",
        stream: c.stream,
        remote: c.remote,
        port: c.remotePort,
        head,
      }),
    );
    c.resumeReading();
  }

  /**
   * Answers the worker's pull with what is buffered, or the client's end; while nothing is
   * buffered, the body timeout runs.
   */
  #feedPull(c: Connection): void {
    if (c.pullBytes === 0 || !c.worker) return;
    if (c.inbound.length === 0 && !c.ended) {
      if (c.deadline === 0) c.deadline = Date.now() + this.#config.bodyTimeoutMs;
      return;
    }
    c.deadline = 0;
    const bytes = c.inbound.take(Math.min(c.pullBytes, c.worker.channel.maxPayload));
    c.pullBytes = 0;
    const eof = c.ended && c.inbound.length === 0;
    c.worker.channel.send(...encodeToWorker({ kind: "body", stream: c.stream, bytes, eof }));
    c.resumeReading();
  }

  #onWorkerMessage(worker: PoolWorker, message: ToMain): void {
    const c = this.#streams.get(message.stream);
    if (!c || c.worker !== worker) return; // the connection is gone; its abort is on the way
    switch (message.kind) {
      case "data":
        return this.#onData(c, message);
      case "pull":
        c.pullBytes = message.bytes;
        return this.#feedPull(c);
      default:
        return unreachable(message);
    }
  }

  #onData(c: Connection, message: Extract<ToMain, { kind: "data" }>): void {
    const { stream } = message;
    if (message.bytes.byteLength > 0) {
      c.responseStarted = true;
      const worker = c.worker!;
      const bytes = this.#chunks.copy(message.bytes);
      const sent = bytes.byteLength;
      const last = message.end;
      c.write(bytes, () => {
        this.#chunks.release(bytes);
        // Credit only matters while the response goes on; the last record needs none.
        if (!last && this.#streams.get(stream) === c) {
          worker.channel.send(...encodeToWorker({ kind: "credit", stream, bytes: sent }));
        }
      });
    }
    if (!message.end) return;
    this.#release(c);
    if (message.leftover.byteLength > 0) c.inbound.unshift(message.leftover);
    this.#nextRequest(c, message.close);
    this.#drainQueue();
  }

  /** After a response: close, or wait for (or dispatch) the connection's next request. */
  #nextRequest(c: Connection, close: boolean): void {
    const pending = c.inbound.length > 0;
    const going = this.#state === "draining" || this.#state === "stopped";
    if (close || going || (c.ended && !pending)) return c.closeAfterWrites();
    c.state = pending ? "reading" : "idle";
    c.deadline = Date.now() +
      (pending ? this.#config.headerTimeoutMs : this.#config.keepaliveTimeoutMs);
    if (pending) this.#tryDispatch(c);
    c.resumeReading();
  }

  /** Takes the connection's request away from its worker, which stops working on it. */
  #abortStream(c: Connection): void {
    if (!c.worker) return;
    c.worker.channel.send(...encodeToWorker({ kind: "abort", stream: c.stream }));
    this.#release(c);
  }

  #release(c: Connection): void {
    this.#streams.delete(c.stream);
    if (c.worker) c.worker.inFlight--;
    c.worker = null;
    c.pullBytes = 0;
  }

  /**
   * A worker crashed (502) or was cut off by the watchdog (503, retry later): requests whose
   * response had not started get that status, the others lose their connection.
   */
  #onWorkerLost(worker: PoolWorker, loss: WorkerLoss): void {
    if (this.#state === "starting") return; // start() reports it
    const timeout = loss.cause === "timeout";
    this.#log(
      timeout
        ? `Worker ${worker.id}: terminated after ${loss.reason}; replaced`
        : `Worker ${worker.id}: crashed (${loss.reason}); restarting`,
    );
    for (const c of [...this.#streams.values()]) {
      if (c.worker !== worker) continue;
      this.#release(c);
      if (c.responseStarted) c.destroy();
      else if (timeout) this.#refuse(c, 503, [["retry-after", "1"]]);
      else this.#refuse(c, 502, []);
    }
    worker.inFlight = 0;
  }

  /** The client sent no request body bytes within the body timeout: 408, or close mid-response. */
  #timeOutBody(c: Connection): void {
    if (!c.responseStarted) return this.#refuse(c, 408, []);
    this.#logRefusal(c, "body timeout");
    c.destroy();
  }

  /** A bug met on one connection: say so; the connection was closed, the rest go on. */
  #onFault(c: Connection | null, error: unknown): void {
    const where = c === null ? "a closed connection" : `connection ${c.id}`;
    const what = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.#log(`Server: internal error on ${where} (please report it): ${what}`);
  }

  #logRefusal(c: Connection, what: string): void {
    if (!this.#config.quiet) this.#log(`Server: ${what} to ${c.remote} (connection ${c.id})`);
  }

  #drainQueue(): void {
    while (this.#queue.length > 0) {
      const worker = this.#pool.pick();
      if (!worker) return;
      const c = this.#queue.shift()!;
      if (c.state === "queued") this.#assign(c, worker);
    }
  }

  /** Answers with a canned error and closes: 408, 502, 503. */
  #refuse(c: Connection, status: number, headers: [string, string][]): void {
    if (c.state === "queued") this.#queue.splice(this.#queue.indexOf(c), 1);
    this.#abortStream(c);
    this.#logRefusal(c, String(status));
    c.write(cannedResponse(status, headers));
    c.closeAfterWrites();
  }

  #onTick(): void {
    const now = Date.now();
    const { sendTimeoutMs } = this.#config;
    for (const c of this.#connections) {
      const stalled = c.writeStalledSince;
      if (stalled !== 0 && now - stalled > sendTimeoutMs) {
        this.#logRefusal(c, "send timeout: the client reads no response bytes");
        c.destroy();
        continue;
      }
      if (c.deadline === 0 || now < c.deadline) continue;
      if (c.state === "reading") this.#refuse(c, 408, []);
      else if (c.state === "idle") c.destroy();
      else if (c.state === "active") this.#timeOutBody(c);
    }
    this.#pool.checkProgress(now);
    this.#drainQueue();
  }
}

/** Length of the CRLF (or bare LF) line ends at the start of `bytes`. */
function emptyLinesLength(bytes: Uint8Array): number {
  let at = 0;
  for (;;) {
    if (bytes[at] === LF) at += 1;
    else if (bytes[at] === CR && bytes[at + 1] === LF) at += 2;
    else return at;
  }
}

/** Whether an accept failed because of that one client (it reset or left first). */
function isClientGone(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.NotConnected;
}
