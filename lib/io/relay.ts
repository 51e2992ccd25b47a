/**
 * The relay between connections and workers, on an I/O thread: finds each complete request
 * head, dispatches it to a worker (or holds it, queues it, or refuses it), answers the worker's
 * pulls with request bytes, writes its response records to the socket and returns credit as they
 * leave, and fails the requests of a worker that is lost.
 *
 * It never parses HTTP: it only looks for the blank line that ends a head.
 *
 * @module
 */
import type { ServerConfig } from "../config/settings.ts";
import { SERVER_HEADER } from "../config/version.ts";
import { closingResponse } from "../http/pages.ts";
import { unreachable } from "../http/unreachable.ts";
import { encodeToWorker, FILE_CHUNK_BYTES, type ToMain } from "../wire/protocol.ts";
import { BufferPool } from "./buffers.ts";
import type { Connection } from "./connection.ts";
import type { WorkerLink, WorkerLoss, Workers } from "./workers.ts";
import type { SharedCounts } from "../wire/counts.ts";
import { Tunnels } from "./tunnels.ts";

/** What the relay asks of the server it works for. */
export interface RelayHooks {
  /** Whether requests may go to workers now (not while starting, not once stopped). */
  canDispatch(): boolean;
  /** Whether each connection closes after its response (the server is draining). */
  closeAfterResponse(): boolean;
  /** A lifecycle or refusal line. */
  log(line: string): void;
  /** A bug met while relaying for one connection, which was closed. */
  onFault(connection: Connection, error: unknown): void;
}

/**
 * One request in hand: the relay's own record of it, written by the relay alone. A connection's
 * requests are found through their records, so a connection that carries more than one stream
 * at a time (HTTP/2) needs no field of its own per request.
 */
interface Stream {
  readonly id: number;
  readonly connection: Connection;
  readonly worker: WorkerLink;
  /** Request bytes the worker asked for and has not been sent yet. */
  pullBytes: number;
  /** Whether bytes of its response went out (a lost worker then costs the socket). */
  responseStarted: boolean;
}

/** Relays requests and responses between connections and the pool's workers. */
export class Relay {
  /** Longest head a worker may be given: request line, header section and the blank line. */
  readonly maxHeadBytes: number;
  /** Connections switched to WebSocket. */
  readonly tunnels: Tunnels;
  #config: ServerConfig;
  #workers: Workers;
  #hooks: RelayHooks;
  #counts: SharedCounts;
  #streams = new Map<number, Stream>();
  /** The stream each connection's reads feed: for HTTP/1.1, its one request in hand. */
  #reading = new Map<Connection, Stream>();
  /** Connections whose complete head waits for a worker, in arrival order. */
  #queue = new Set<Connection>();
  #nextStream = 1;
  /** Small whole responses, and file chunks plus a response head. */
  #chunks = new BufferPool([
    { bufferBytes: 4096, minBytes: 0, maxFree: 256 },
    { bufferBytes: FILE_CHUNK_BYTES + 16 * 1024, minBytes: 64 * 1024, maxFree: 16 },
  ]);

  /**
   * Prepares a relay over a pool.
   *
   * @param workers the workers requests go to
   * @param options the config, the server-wide counts (queued requests, WebSockets) and what
   *   the relay asks of its server
   */
  constructor(
    workers: Workers,
    options: { config: ServerConfig; counts: SharedCounts; hooks: RelayHooks },
  ) {
    this.#workers = workers;
    this.#config = options.config;
    this.#counts = options.counts;
    this.#hooks = options.hooks;
    this.maxHeadBytes = this.#config.maxRequestLineBytes + this.#config.maxHeaderBytes + 4;
    const logRefusal = (c: Connection, what: string) => this.#logRefusal(c, what);
    this.tunnels = new Tunnels(workers, {
      config: options.config,
      counts: this.#counts,
      logRefusal,
    });
  }

  /**
   * Dispatches a complete head, or one too long to be valid (the worker answers 414/431), once
   * less than a window of earlier responses waits to be written.
   *
   * @param c a connection that is reading a head, or holding one
   */
  tryDispatch(c: Connection): void {
    if (!c.findHead(this.maxHeadBytes)) return;
    if (c.queuedBytes >= this.#config.windowBytes) return c.hold();
    const worker = this.#hooks.canDispatch() ? this.#workers.pick() : null;
    if (worker) return this.#assign(c, worker);
    if (!this.#counts.take("queued", this.#config.queueLength)) {
      return this.refuse(c, { status: 503, headers: RETRY });
    }
    c.queue();
    this.#queue.add(c);
  }

  /** Gives queued requests to workers while some worker can take one. */
  drainQueue(): void {
    for (const c of this.#queue) {
      const worker = this.#workers.pick();
      if (!worker) return;
      this.#dequeue(c);
      this.#assign(c, worker);
    }
  }

  /**
   * Answers the worker's pull with what is buffered, or the client's end; while nothing is
   * buffered, the body timeout runs.
   *
   * @param c an active connection
   */
  feedPull(c: Connection): void {
    const stream = this.#reading.get(c);
    if (stream === undefined || stream.pullBytes === 0) return;
    if (c.inbound.length === 0 && !c.ended) return c.awaitBody();
    c.bodyArrived();
    const bytes = c.inbound.take(Math.min(stream.pullBytes, stream.worker.channel.maxPayload));
    stream.pullBytes = 0;
    const eof = c.ended && c.inbound.length === 0;
    stream.worker.channel.send(...encodeToWorker({ kind: "body", stream: stream.id, bytes, eof }));
    c.resumeReading();
  }

  /**
   * The client of an active request closed its sending side: tell the worker once every byte
   * before the end is delivered, so the app's request.signal aborts (as Go's server cancels the
   * request context). A response of known length is still written; a streamed one is ended and
   * the connection closed (see `Exchange`).
   *
   * @param c the connection
   */
  onEnd(c: Connection): void {
    const stream = this.#reading.get(c);
    if (stream === undefined) return;
    if (stream.pullBytes > 0) return this.feedPull(c);
    if (c.inbound.length > 0) return;
    const end = { kind: "body", stream: stream.id, bytes: new Uint8Array(), eof: true } as const;
    stream.worker.channel.send(...encodeToWorker(end));
  }

  /**
   * A closed connection: its worker stops working on its request, and it leaves the queue.
   *
   * @param c the connection
   */
  forget(c: Connection): void {
    if (this.tunnels.forget(c)) return;
    this.#abortStream(c);
    this.#dequeue(c);
  }

  /**
   * A record from a worker: a pull for request bytes, or response bytes.
   *
   * @param worker the worker it came from
   * @param message the decoded record; its bytes are views valid only during the call
   */
  onMessage(worker: WorkerLink, message: ToMain): void {
    const stream = this.#streams.get(message.stream);
    // Not a request in progress: a tunnel's, or the connection is gone (its abort is on the way).
    if (!stream || stream.worker !== worker) return this.tunnels.onMessage(worker, message);
    const c = stream.connection;
    try {
      switch (message.kind) {
        case "data":
          return this.#onData(stream, message);
        case "pull":
          stream.pullBytes = message.bytes;
          return this.feedPull(c);
        case "upgrade":
          return this.#upgrade(stream, message.bytes);
        default:
          return unreachable(message);
      }
    } catch (error) {
      c.destroy();
      this.#hooks.onFault(c, error);
    }
  }

  /**
   * A worker crashed (502) or was cut off by the watchdog (503, retry later): requests whose
   * response had not started get that status, the others lose their connection.
   *
   * @param worker the lost worker
   * @param loss why it was lost
   */
  onWorkerLost(worker: WorkerLink, loss: WorkerLoss): void {
    this.tunnels.onWorkerLost(worker);
    for (const stream of [...this.#streams.values()]) {
      if (stream.worker !== worker) continue;
      const c = stream.connection;
      this.#release(stream);
      if (stream.responseStarted) c.destroy();
      else if (loss.cause === "timeout") this.refuse(c, { status: 503, headers: RETRY });
      else this.refuse(c, { status: 502, headers: [] });
    }
  }

  /**
   * The client sent no request body bytes within the body timeout: 408, or close mid-response.
   *
   * @param c an active connection
   */
  timeOutBody(c: Connection): void {
    if (!this.#reading.get(c)?.responseStarted) return this.refuse(c, { status: 408, headers: [] });
    this.#logRefusal(c, "body timeout");
    c.destroy();
  }

  /**
   * Answers with a closing error page and closes: 408, 502, 503.
   *
   * @param c the connection
   * @param answer the status and extra headers (retry-after)
   */
  refuse(c: Connection, answer: { status: number; headers: [string, string][] }): void {
    this.#dequeue(c);
    this.#abortStream(c);
    this.#logRefusal(c, String(answer.status));
    c.write(closingResponse(answer.status, { headers: answer.headers, server: SERVER_HEADER }));
    c.closeAfterWrites();
  }

  #assign(c: Connection, worker: WorkerLink): void {
    const head = c.activate();
    const id = this.#nextStream;
    this.#nextStream = (this.#nextStream % 0xffff_fffe) + 1;
    const stream: Stream = { id, connection: c, worker, pullBytes: 0, responseStarted: false };
    this.#workers.claim(worker);
    this.#streams.set(id, stream);
    this.#reading.set(c, stream);
    const { remote, remotePort: port } = c;
    worker.channel.send(...encodeToWorker({ kind: "request", stream: id, remote, port, head }));
    // A request that waited (held, queued) after its client closed its side learns it now.
    if (c.ended) this.onEnd(c);
    c.resumeReading();
  }

  /**
   * The app accepted a WebSocket: the request is over and its connection a tunnel; 503 beyond
   * --max-websockets, or once the server is draining (a socket opened then would not be told).
   */
  #upgrade(stream: Stream, head: Uint8Array): void {
    const c = stream.connection;
    if (this.#hooks.closeAfterResponse() || !this.tunnels.reserve()) {
      return this.refuse(c, { status: 503, headers: RETRY });
    }
    this.#streams.delete(stream.id);
    this.#reading.delete(c);
    this.#workers.release(stream.worker);
    this.tunnels.open(c, { stream: stream.id, worker: stream.worker, head });
    this.drainQueue();
  }

  #onData(stream: Stream, message: Extract<ToMain, { kind: "data" }>): void {
    const c = stream.connection;
    if (message.bytes.byteLength > 0) {
      stream.responseStarted = true;
      const bytes = this.#chunks.copy(message.bytes);
      const sent = bytes.byteLength;
      const last = message.end;
      c.write(bytes, () => {
        this.#chunks.release(bytes);
        // Credit only matters while the response goes on; the last record needs none.
        if (!last && this.#streams.get(stream.id) === stream) {
          const credit = { kind: "credit", stream: stream.id, bytes: sent } as const;
          stream.worker.channel.send(...encodeToWorker(credit));
        }
      });
    }
    if (!message.end) return;
    this.#release(stream);
    // The client left a streamed response: what is queued for it is dropped with the socket.
    if (message.reset) {
      c.destroy();
      return this.drainQueue();
    }
    if (message.leftover.byteLength > 0) c.inbound.unshift(message.leftover);
    this.#nextRequest(c, message.close);
    this.drainQueue();
  }

  /** After a response: close, or wait for (or dispatch) the connection's next request. */
  #nextRequest(c: Connection, close: boolean): void {
    const pending = c.inbound.length > 0;
    if (close || this.#hooks.closeAfterResponse() || (c.ended && !pending)) {
      return c.closeAfterWrites();
    }
    c.finish({ pending });
    if (pending) this.tryDispatch(c);
    c.resumeReading();
  }

  /** Takes the connection's request away from its worker, which stops working on it. */
  #abortStream(c: Connection): void {
    const stream = this.#reading.get(c);
    if (stream === undefined) return;
    stream.worker.channel.send(...encodeToWorker({ kind: "abort", stream: stream.id }));
    this.#release(stream);
  }

  /** The stream is over: its record goes, and its worker has one request fewer in hand. */
  #release(stream: Stream): void {
    if (this.#streams.get(stream.id) !== stream) return;
    this.#streams.delete(stream.id);
    if (this.#reading.get(stream.connection) === stream) this.#reading.delete(stream.connection);
    this.#workers.release(stream.worker);
    // Requests wait in another I/O thread's queue: a worker may be free for them now.
    if (this.#counts.count("queued") > this.#queue.size) this.#counts.ringQueue();
  }

  /** Takes a connection out of the queue, and out of the server-wide count. */
  #dequeue(c: Connection): void {
    if (this.#queue.delete(c)) this.#counts.give("queued");
  }

  #logRefusal(c: Connection, what: string): void {
    if (!this.#config.quiet) this.#hooks.log(refusalLine(c, what));
  }
}

/**
 * The log line of a refusal made by the I/O thread itself.
 *
 * @param c the connection refused
 * @param what the status or the reason
 * @returns the line
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refusalLine } from "./relay.ts";
 * assert.equal(refusalLine({ remote: "10.0.0.1", id: 7 }, "408"), "Server: 408 to 10.0.0.1 (connection 7)");
 * ```
 */
export function refusalLine(c: Pick<Connection, "remote" | "id">, what: string): string {
  return `Server: ${what} to ${c.remote} (connection ${c.id})`;
}

const RETRY: [string, string][] = [["retry-after", "1"]];
