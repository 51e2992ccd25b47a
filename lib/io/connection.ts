/**
 * One client connection on the main thread, where every byte from a client is read: its state
 * and the transitions between states, its deadlines (header, keep-alive, body), the bytes read
 * but not yet dispatched, and the ordered queue of bytes to write.
 *
 * Reads use a small (4 KiB) buffer because `conn.read` costs grow with the buffer's size, and
 * stop while too many bytes wait undispatched, so a client cannot make the server buffer without
 * bound. Writes are serialized and coalesced; each may carry a callback that returns credit to
 * the worker once the bytes are in the socket.
 *
 * @module
 */
import { ByteQueue } from "./buffers.ts";
import type { WorkerLink } from "./workers.ts";
import type { Transport } from "./tls.ts";

/**
 * Where a connection is in its life (any state but `closed` may also go to `closing` or
 * `closed`; the methods named in brackets make each move):
 * - `idle`: waiting for the first byte of a request (→ reading [beginHead])
 * - `reading`: part of a request head has arrived (→ held [hold], queued [queue], active
 *   [activate])
 * - `held`: a complete head waits for the previous response to reach the client, so a client
 *   that pipelines without reading cannot make the server buffer responses (→ held, queued,
 *   active)
 * - `queued`: a complete head waits for a worker (→ active)
 * - `active`: a worker owns the current request (→ idle or reading [finish], tunnel [tunnel])
 * - `tunnel`: switched to WebSocket (a 101); raw bytes flow both ways to the worker that owns
 *   the socket, and only the frame deadline runs (→ closing, closed)
 * - `closing`: last bytes are being written, then the socket closes (→ closed [destroy])
 * - `closed`: gone; a terminal state
 */
export type ConnState =
  | "idle"
  | "reading"
  | "held"
  | "queued"
  | "active"
  | "tunnel"
  | "closing"
  | "closed";

/** The moves each state allows, besides closing and closing at once (see {@linkcode ConnState}). */
const NEXT: Readonly<Record<ConnState, readonly ConnState[]>> = {
  idle: ["reading"],
  reading: ["held", "queued", "active"],
  held: ["held", "queued", "active"],
  queued: ["active"],
  active: ["idle", "reading", "tunnel"],
  tunnel: [],
  closing: [],
  closed: [],
};

/** The timers a connection runs, one at a time; see `ServerConfig` for each. */
export interface ConnectionTimeouts {
  /** From a connection's first byte (or its accept) until its head is complete. */
  headerTimeoutMs: number;
  /** An idle keep-alive connection waits this long for its next request. */
  keepaliveTimeoutMs: number;
  /** Between two reads of a request body a worker asked for. */
  bodyTimeoutMs: number;
}

/** Bytes read per `conn.read`: small reads are cheap reads. */
const READ_BUFFER_BYTES = 4096;
/** Queued writes are joined into one write up to this size. */
const COALESCE_BYTES = 64 * 1024;

/** How the connection reports to the server. */
export interface ConnectionEvents {
  /** Bytes arrived (already appended to `inbound`). */
  onBytes(connection: Connection): void;
  /** The client closed its sending side. */
  onEnd(connection: Connection): void;
  /** Every queued byte is in the socket. */
  onWritten(connection: Connection): void;
  /** The socket is closed, by either side; called once. */
  onClosed(connection: Connection): void;
  /** One of the calls above threw: the connection is closed, the others go on. */
  onFault(connection: Connection, error: unknown): void;
}

interface PendingWrite {
  bytes: Uint8Array;
  written?: () => void;
}

/** A client connection; owns its socket. */
export class Connection {
  /** Server-unique id, used in logs. */
  readonly id: number;
  /** Client address (host only). */
  readonly remote: string;
  /** Client port. */
  readonly remotePort: number;
  /** Bytes read and not yet handed to a worker. */
  readonly inbound: ByteQueue = new ByteQueue();
  /** Where the next search for the end of a head starts in `inbound` (the relay's scan). */
  scanFrom = 0;
  /** The client closed its sending side. */
  ended = false;
  /** Request bytes the worker asked for and has not been sent yet. */
  pullBytes = 0;
  /** Whether bytes of the current response went out (a lost worker then costs the socket). */
  responseStarted = false;

  #state: ConnState = "idle";
  #deadline: number;
  #timeouts: ConnectionTimeouts;
  #stream = 0;
  #worker: WorkerLink | null = null;
  #conn: Transport;
  #events: ConnectionEvents;
  #writes: PendingWrite[] = [];
  #writing = false;
  /** The batch being written, and how many of its bytes are in the socket already. */
  #batch: { bytes: Uint8Array; callbacks: (() => void)[] } | null = null;
  #batchWritten = 0;
  #queuedBytes = 0;
  #writeProgressAt = 0;
  #resume: (() => void) | null = null;
  #now: () => number;

  /**
   * Wraps an accepted socket.
   *
   * @param conn the socket
   * @param options the id, its timeouts, where to report, and the clock its deadlines are read
   * from (ms since the epoch; a test passes one it moves by hand)
   */
  constructor(
    conn: Transport,
    options: {
      id: number;
      timeouts: ConnectionTimeouts;
      events: ConnectionEvents;
      now?: () => number;
    },
  ) {
    this.#conn = conn;
    this.#now = options.now ?? Date.now;
    this.id = options.id;
    this.#events = options.events;
    this.#timeouts = options.timeouts;
    // A new connection must send its head within the header timeout.
    this.#deadline = this.#now() + options.timeouts.headerTimeoutMs;
    const addr = conn.remoteAddr;
    const ip = addr.transport === "tcp" || addr.transport === "udp";
    this.remote = ip ? addr.hostname : "-";
    this.remotePort = ip ? addr.port : 0;
  }

  /** Where the connection is in its life. */
  get state(): ConnState {
    return this.#state;
  }

  /** When the running timer (header, keep-alive or body) fires, ms since the epoch; 0: none. */
  get deadline(): number {
    return this.#deadline;
  }

  /** The stream id of the request in progress (0 before the first). */
  get stream(): number {
    return this.#stream;
  }

  /** The worker of the request in progress, or null. */
  get worker(): WorkerLink | null {
    return this.#worker;
  }

  /**
   * The first bytes of a request arrived: idle → reading, and the header timeout runs. On a new
   * connection it has run since the accept: a first byte sent just before it fires must not buy
   * a second header timeout.
   */
  beginHead(): void {
    const fresh = this.#stream === 0;
    this.#move("reading", fresh ? this.#deadline : this.#now() + this.#timeouts.headerTimeoutMs);
  }

  /** A complete head waits for earlier responses to reach the client; the send timeout watches. */
  hold(): void {
    this.#move("held", 0);
  }

  /** A complete head waits for a worker. */
  queue(): void {
    this.#move("queued", 0);
  }

  /**
   * A worker owns the request now: active, no timer until it asks for body bytes.
   *
   * @param request its stream id and its worker
   */
  activate(request: { stream: number; worker: WorkerLink }): void {
    this.#move("active", 0);
    this.#stream = request.stream;
    this.#worker = request.worker;
    this.pullBytes = 0;
    this.responseStarted = false;
  }

  /** The request's worker is done with it (finished, aborted, or lost); the state stays. */
  detach(): void {
    this.#worker = null;
    this.pullBytes = 0;
  }

  /**
   * The response is over and the connection goes on: reading the next request when its bytes
   * are here (header timeout), else idle (keep-alive timeout).
   *
   * @param next whether bytes of the next request are already buffered
   */
  finish(next: { pending: boolean }): void {
    const { headerTimeoutMs, keepaliveTimeoutMs } = this.#timeouts;
    if (next.pending) this.#move("reading", this.#now() + headerTimeoutMs);
    // The response may still be on its way out: keep-alive starts once it is (see #flush).
    else this.#move("idle", this.#queuedBytes > 0 ? 0 : this.#now() + keepaliveTimeoutMs);
  }

  /** The worker waits for body bytes none of which are here: the body timeout runs, if not yet. */
  awaitBody(): void {
    if (this.#deadline === 0) this.#deadline = this.#now() + this.#timeouts.bodyTimeoutMs;
  }

  /**
   * The request became a tunnel (a 101 went out): no timer runs until the client stops in the
   * middle of a frame.
   */
  tunnel(): void {
    this.#move("tunnel", 0);
  }

  /**
   * A tunnel's frame deadline: while the client is in the middle of a frame and nothing of it
   * waits here, the body timeout runs from now; otherwise none (an idle socket is the app's
   * business, and a worker that has not taken the bytes yet is not the client's fault).
   *
   * @param waiting whether the tunnel waits for the rest of a client's frame
   */
  awaitFrame(waiting: boolean): void {
    this.#deadline = waiting ? Date.now() + this.#timeouts.bodyTimeoutMs : 0;
  }

  /** Body bytes went to the worker: the body timeout stops. */
  bodyArrived(): void {
    this.#deadline = 0;
  }

  /** Bytes queued for the socket and not yet in it, including a write under way. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /**
   * Since when the socket has refused to take queued bytes, in ms since the epoch; 0 when
   * nothing waits. A client that does not read keeps this in the past.
   */
  get writeStalledSince(): number {
    return this.#queuedBytes === 0 ? 0 : this.#writeProgressAt;
  }

  /**
   * Reads until the client closes or the connection does, pausing while `inbound` holds
   * `capBytes` or more.
   *
   * @param capBytes most bytes to hold undispatched
   * @returns when reading is over
   */
  async readLoop(capBytes: number): Promise<void> {
    const buffer = new Uint8Array(READ_BUFFER_BYTES);
    while (this.state !== "closed" && this.state !== "closing") {
      if (this.inbound.length >= capBytes) {
        await new Promise<void>((resolve) => (this.#resume = resolve));
        continue;
      }
      let n: number | null;
      try {
        n = await this.#conn.read(buffer);
      } catch {
        return this.destroy();
      }
      if ((this.state as ConnState) === "closed") return;
      if (n === null) {
        this.ended = true;
        return this.#guard(() => this.#events.onEnd(this));
      }
      this.inbound.push(buffer.subarray(0, n));
      // Not through #guard: that closure was made for every read.
      try {
        this.#events.onBytes(this);
      } catch (error) {
        this.#fault(error);
      }
    }
  }

  /** Lets a paused read loop go on (after `inbound` was drained). */
  resumeReading(): void {
    const resume = this.#resume;
    this.#resume = null;
    resume?.();
  }

  /**
   * Queues bytes for the socket, in order.
   *
   * @param bytes what to write; the caller must not change them afterwards
   * @param written called once they are in the socket
   */
  write(bytes: Uint8Array, written?: () => void): void {
    if (this.state === "closed") return;
    if (this.#queuedBytes === 0) this.#writeProgressAt = this.#now();
    this.#queuedBytes += bytes.byteLength;
    this.#writes.push({ bytes, written });
    if (!this.#writing) this.#flush();
  }

  /** Closes the socket once every queued write is done. */
  closeAfterWrites(): void {
    if (this.#state === "closed") return;
    this.#state = "closing";
    this.resumeReading();
    if (!this.#writing) this.destroy();
  }

  /** Closes the socket now, dropping queued writes. */
  destroy(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#writes.length = 0;
    this.#queuedBytes = 0;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime after an error: nothing left to release.
    }
    this.resumeReading();
    this.#events.onClosed(this);
  }

  /** Moves to `next` with a new deadline; a move {@linkcode NEXT} does not list is a bug. */
  #move(next: ConnState, deadline: number): void {
    if (!NEXT[this.#state].includes(next)) {
      throw new Error(`connection ${this.id}: no move from "${this.#state}" to "${next}"`);
    }
    this.#state = next;
    this.#deadline = deadline;
  }

  /**
   * Runs a report to the server; a throw (a bug) costs this connection, never the process: an
   * unhandled rejection in a read or write loop would end every connection.
   */
  #guard(report: () => void): void {
    try {
      report();
    } catch (error) {
      this.#fault(error);
    }
  }

  #fault(error: unknown): void {
    this.destroy();
    this.#events.onFault(this, error);
  }

  /**
   * Writes the queued batches one after another. Plain callbacks, not an async loop: a write is
   * made per response, and the loop's own promises and resumptions were a measurable part of
   * the main thread's cost per request.
   */
  #flush(): void {
    if (this.#writes.length === 0 || this.#state === "closed") return this.#flushed();
    this.#writing = true;
    this.#batch = this.#takeBatch();
    this.#batchWritten = 0;
    this.#writeBatch();
  }

  #writeBatch(): void {
    const { bytes } = this.#batch!;
    const rest = this.#batchWritten === 0 ? bytes : bytes.subarray(this.#batchWritten);
    this.#conn.write(rest).then(this.#onWrite, this.#onWriteError);
  }

  #onWrite = (n: number): void => {
    this.#batchWritten += n;
    this.#queuedBytes -= n;
    // The send timeout looks at this only while bytes wait: no clock read when none do.
    if (this.#queuedBytes > 0) this.#writeProgressAt = this.#now();
    const batch = this.#batch!;
    if (this.#batchWritten < batch.bytes.byteLength) return this.#writeBatch();
    this.#batch = null;
    for (const callback of batch.callbacks) this.#guard(callback);
    this.#flush();
  };

  #onWriteError = (): void => {
    this.#batch = null;
    this.#writing = false;
    this.destroy();
  };

  /** Every queued write is done (or dropped by a close). */
  #flushed(): void {
    this.#writing = false;
    if (this.state === "closing") this.destroy();
    else if (this.state !== "closed") {
      // An idle connection waited for its last response to drain before its keep-alive began:
      // a slow reader must not lose the end of a download to the keep-alive timer.
      if (this.#state === "idle" && this.#deadline === 0) {
        this.#deadline = this.#now() + this.#timeouts.keepaliveTimeoutMs;
      }
      // Not through #guard: that closure was made for every response.
      try {
        this.#events.onWritten(this);
      } catch (error) {
        this.#fault(error);
      }
    }
  }

  /** Joins queued writes up to COALESCE_BYTES into one. */
  #takeBatch(): { bytes: Uint8Array; callbacks: (() => void)[] } {
    const first = this.#writes.shift()!;
    const callbacks = first.written ? [first.written] : [];
    if (this.#writes.length === 0 || first.bytes.byteLength >= COALESCE_BYTES) {
      return { bytes: first.bytes, callbacks };
    }
    const parts = [first.bytes];
    let length = first.bytes.byteLength;
    while (this.#writes.length > 0 && length + this.#writes[0].bytes.byteLength <= COALESCE_BYTES) {
      const next = this.#writes.shift()!;
      parts.push(next.bytes);
      length += next.bytes.byteLength;
      if (next.written) callbacks.push(next.written);
    }
    const bytes = new Uint8Array(length);
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.byteLength;
    }
    return { bytes, callbacks };
  }
}
