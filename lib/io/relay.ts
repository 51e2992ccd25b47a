/**
 * The relay between connections and workers, on the main thread: finds each complete request
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
import { findHeadEnd } from "../http/head_end.ts";
import { CR, LF } from "../http/octets.ts";
import { closingResponse } from "../http/pages.ts";
import { unreachable } from "../http/unreachable.ts";
import { encodeToWorker, FILE_CHUNK_BYTES, type ToMain } from "../wire/protocol.ts";
import { BufferPool } from "./buffers.ts";
import type { Connection } from "./connection.ts";
import type { WorkerLink, WorkerLoss, Workers } from "./workers.ts";
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

/** Relays requests and responses between connections and the pool's workers. */
export class Relay {
  /** Longest head a worker may be given: request line, header section and the blank line. */
  readonly maxHeadBytes: number;
  /** Connections switched to WebSocket. */
  readonly tunnels: Tunnels;
  #config: ServerConfig;
  #pool: Workers;
  #hooks: RelayHooks;
  #streams = new Map<number, Connection>();
  #queue: Connection[] = [];
  #nextStream = 1;
  /** Small whole responses, and file chunks plus a response head. */
  #chunks = new BufferPool([
    { bufferBytes: 4096, minBytes: 0, maxFree: 256 },
    { bufferBytes: FILE_CHUNK_BYTES + 16 * 1024, minBytes: 64 * 1024, maxFree: 16 },
  ]);

  /**
   * Prepares a relay over a pool.
   *
   * @param pool the workers requests go to
   * @param options the config, and what the relay asks of its server
   */
  constructor(pool: Workers, options: { config: ServerConfig; hooks: RelayHooks }) {
    this.#pool = pool;
    this.#config = options.config;
    this.#hooks = options.hooks;
    this.maxHeadBytes = this.#config.maxRequestLineBytes + this.#config.maxHeaderBytes + 4;
    const logRefusal = (c: Connection, what: string) => this.#logRefusal(c, what);
    this.tunnels = new Tunnels(pool, { config: options.config, logRefusal });
  }

  /**
   * Dispatches a complete head, or one too long to be valid (the worker answers 414/431), once
   * less than a window of earlier responses waits to be written.
   *
   * @param c a connection that is reading a head, or holding one
   */
  tryDispatch(c: Connection): void {
    // A held head was found already: scanFrom is its end.
    if (c.state !== "held" && !this.#findHead(c)) return;
    if (c.queuedBytes >= this.#config.windowBytes) return c.hold();
    const worker = this.#hooks.canDispatch() ? this.#pool.pick() : null;
    if (worker) return this.#assign(c, worker);
    if (this.#queue.length >= this.#config.queueLength) {
      return this.refuse(c, { status: 503, headers: RETRY });
    }
    c.queue();
    this.#queue.push(c);
  }

  /** Gives queued requests to workers while some worker can take one. */
  drainQueue(): void {
    while (this.#queue.length > 0) {
      const worker = this.#pool.pick();
      if (!worker) return;
      const c = this.#queue.shift()!;
      if (c.state === "queued") this.#assign(c, worker);
    }
  }

  /**
   * Answers the worker's pull with what is buffered, or the client's end; while nothing is
   * buffered, the body timeout runs.
   *
   * @param c an active connection
   */
  feedPull(c: Connection): void {
    if (c.pullBytes === 0 || !c.worker) return;
    if (c.inbound.length === 0 && !c.ended) return c.awaitBody();
    c.bodyArrived();
    const bytes = c.inbound.take(Math.min(c.pullBytes, c.worker.channel.maxPayload));
    c.pullBytes = 0;
    const eof = c.ended && c.inbound.length === 0;
    c.worker.channel.send(...encodeToWorker({ kind: "body", stream: c.stream, bytes, eof }));
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
    if (c.state !== "active" || !c.worker) return;
    if (c.pullBytes > 0) return this.feedPull(c);
    if (c.inbound.length > 0) return;
    const end = { kind: "body", stream: c.stream, bytes: new Uint8Array(), eof: true } as const;
    c.worker.channel.send(...encodeToWorker(end));
  }

  /**
   * A closed connection: its worker stops working on its request, and it leaves the queue.
   *
   * @param c the connection
   */
  forget(c: Connection): void {
    if (this.tunnels.forget(c)) return;
    this.#abortStream(c);
    // Closed by now: whether it was queued shows only in the queue itself.
    this.#unqueue(c);
  }

  /**
   * A record from a worker: a pull for request bytes, or response bytes.
   *
   * @param worker the worker it came from
   * @param message the decoded record; its bytes are views valid only during the call
   */
  onMessage(worker: WorkerLink, message: ToMain): void {
    const c = this.#streams.get(message.stream);
    // Not a request in progress: a tunnel's, or the connection is gone (its abort is on the way).
    if (!c || c.worker !== worker) return this.tunnels.onMessage(worker, message);
    try {
      switch (message.kind) {
        case "data":
          return this.#onData(c, message);
        case "pull":
          c.pullBytes = message.bytes;
          return this.feedPull(c);
        case "upgrade":
          return this.#upgrade(c, message.bytes);
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
    for (const c of [...this.#streams.values()]) {
      if (c.worker !== worker) continue;
      this.#release(c);
      if (c.responseStarted) c.destroy();
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
    if (!c.responseStarted) return this.refuse(c, { status: 408, headers: [] });
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
    if (c.state === "queued") this.#unqueue(c);
    this.#abortStream(c);
    this.#logRefusal(c, String(answer.status));
    c.write(closingResponse(answer.status, { headers: answer.headers, server: SERVER_HEADER }));
    c.closeAfterWrites();
  }

  /**
   * Looks for the end of the head in `inbound` and leaves it in `scanFrom`: false while the head
   * is incomplete. A head longer than the limits is cut just past them, so the worker answers
   * 414 or 431 and no record can outgrow the ring.
   */
  #findHead(c: Connection): boolean {
    // Empty lines before a request line are ignored (RFC 9112 §2.2): they must not pass for a
    // head, which would hand a worker a connection the header timeout no longer covers.
    let bytes = c.inbound.view();
    if (c.scanFrom === 0 && (bytes[0] === CR || bytes[0] === LF)) {
      c.inbound.take(emptyLinesLength(bytes));
      bytes = c.inbound.view();
    }
    const end = findHeadEnd(bytes, c.scanFrom);
    if (end === -1 && bytes.byteLength <= this.maxHeadBytes) {
      // A client that half-closed mid-head will never finish it: close rather than wait for
      // the header timeout.
      if (c.ended) c.closeAfterWrites();
      else c.scanFrom = Math.max(0, bytes.byteLength - 3);
      return false;
    }
    c.scanFrom = Math.min(end === -1 ? bytes.byteLength : end, this.maxHeadBytes + 1);
    return true;
  }

  #unqueue(c: Connection): void {
    const at = this.#queue.indexOf(c);
    if (at !== -1) this.#queue.splice(at, 1);
  }

  #assign(c: Connection, worker: WorkerLink): void {
    const head = c.inbound.take(c.scanFrom);
    c.scanFrom = 0;
    const stream = this.#nextStream;
    this.#nextStream = (this.#nextStream % 0xffff_fffe) + 1;
    c.activate({ stream, worker });
    this.#pool.claim(worker);
    this.#streams.set(stream, c);
    const { remote, remotePort: port } = c;
    worker.channel.send(...encodeToWorker({ kind: "request", stream, remote, port, head }));
    // A request that waited (held, queued) after its client closed its side learns it now.
    if (c.ended) this.onEnd(c);
    c.resumeReading();
  }

  /**
   * The app accepted a WebSocket: the request is over and its connection a tunnel; 503 beyond
   * --max-websockets, or once the server is draining (a socket opened then would not be told).
   */
  #upgrade(c: Connection, head: Uint8Array): void {
    if (this.tunnels.full || this.#hooks.closeAfterResponse()) {
      return this.refuse(c, { status: 503, headers: RETRY });
    }
    this.#streams.delete(c.stream);
    this.#pool.release(c.worker!);
    this.tunnels.open(c, head);
    this.drainQueue();
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
    if (!c.worker) return;
    c.worker.channel.send(...encodeToWorker({ kind: "abort", stream: c.stream }));
    this.#release(c);
  }

  #release(c: Connection): void {
    this.#streams.delete(c.stream);
    if (c.worker) this.#pool.release(c.worker);
    c.detach();
  }

  #logRefusal(c: Connection, what: string): void {
    if (!this.#config.quiet) this.#hooks.log(refusalLine(c, what));
  }
}

/**
 * The log line of a refusal made by the main thread itself.
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

/** Length of the CRLF (or bare LF) line ends at the start of `bytes`. */
function emptyLinesLength(bytes: Uint8Array): number {
  let at = 0;
  for (;;) {
    if (bytes[at] === LF) at += 1;
    else if (bytes[at] === CR && bytes[at + 1] === LF) at += 2;
    else return at;
  }
}
