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
import type { ServerConfig } from "./config/settings.ts";
import { Connection } from "./connection.ts";
import { findHeadEnd } from "./http/head_end.ts";
import { type PoolWorker, type WorkerLoss, WorkerPool } from "./pool.ts";
import { encodeToWorker, FILE_CHUNK_BYTES, type ToMain } from "./protocol.ts";
import { unreachable } from "./unreachable.ts";
import { cannedResponse } from "./canned.ts";
import { BufferPool } from "./bytes.ts";

/**
 * Life of the server: `starting` → `serving` → `announcing` (still serving, but the health check
 * says 503, for `--drain-delay`) → `draining` (no new connections; active ones finish within
 * `--grace`) → `stopped`.
 */
export type ServerState = "starting" | "serving" | "announcing" | "draining" | "stopped";

/** Undispatched bytes a connection may hold beyond the largest head before reading pauses. */
const READ_SLACK_BYTES = 64 * 1024;

/** A running server. */
export class Server {
  #config: ServerConfig;
  #listener: Deno.Listener | null = null;
  #refusingSince = 0;
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
      onMessage: (worker, message) => this.#onWorkerMessage(worker, message),
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
    const tick = Math.min(this.#config.headerTimeoutMs, this.#config.keepaliveTimeoutMs) / 4;
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

  /** Plain TCP, or TLS when a certificate is configured. */
  #listen(): Deno.Listener {
    const { host: hostname, port, cert, key } = this.#config;
    if (cert === null || key === null) return Deno.listen({ hostname, port });
    return Deno.listenTls({
      hostname,
      port,
      cert: Deno.readTextFileSync(cert),
      key: Deno.readTextFileSync(key),
    });
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
        // Out of file descriptors and the like: say so, back off, keep serving the others.
        this.#log(`Server: accept failed: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
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
    const connection = new Connection(conn, {
      id: this.#nextConnection++,
      events: {
        onBytes: (c) => this.#onBytes(c),
        onEnd: (c) => this.#onEnd(c),
        onClosed: (c) => this.#onClosed(c),
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
    if (c.worker) {
      c.worker.channel.send(...encodeToWorker({ kind: "abort", stream: c.stream }));
      this.#release(c);
    }
    const queued = this.#queue.indexOf(c);
    if (queued !== -1) this.#queue.splice(queued, 1);
  }

  /** Dispatches a complete head, or one too long to be valid (the worker answers 414/431). */
  #tryDispatch(c: Connection): void {
    const bytes = c.inbound.view();
    let end = findHeadEnd(bytes, c.scanFrom);
    if (end === -1 && bytes.byteLength <= this.#maxHeadBytes) {
      // A client that half-closed mid-head will never finish it: close rather than wait for
      // the header timeout.
      if (c.ended) return c.closeAfterWrites();
      c.scanFrom = Math.max(0, bytes.byteLength - 3);
      return;
    }
    if (end === -1) end = bytes.byteLength;
    c.scanFrom = end;
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

  /** Answers the worker's pull with what is buffered, or the client's end. */
  #feedPull(c: Connection): void {
    if (c.pullBytes === 0 || !c.worker) return;
    if (c.inbound.length === 0 && !c.ended) return;
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
    if (!this.#config.quiet) this.#log(`Server: ${status} to ${c.remote} (connection ${c.id})`);
    c.write(cannedResponse(status, headers));
    c.closeAfterWrites();
  }

  #onTick(): void {
    const now = Date.now();
    for (const c of this.#connections) {
      if (c.deadline === 0 || now < c.deadline) continue;
      if (c.state === "reading") this.#refuse(c, 408, []);
      else if (c.state === "idle") c.destroy();
    }
    this.#pool.checkProgress(now);
    this.#drainQueue();
  }
}
