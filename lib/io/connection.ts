/**
 * One client connection in an I/O thread's loop, where every byte from a
 * client is read: its state and every transition (one table, `NEXT`), what bytes and the
 * client's end mean in each state, the timer it runs (stored, not derived) and what its expiry
 * means, the bytes read but not yet dispatched, and the ordered queue of bytes to write. Nothing
 * outside it moves its state or reads it to decide: the relay tells it what happened.
 *
 * Reads use a small (4 KiB) buffer because `conn.read` costs grow with the buffer's size, and
 * stop while too many bytes wait undispatched, so a client cannot make the server buffer without
 * bound. Writes go through its `SocketWriter` (`socket_writer.ts`): serialized and coalesced,
 * each with a callback that returns credit to the worker once the bytes are in the socket.
 *
 * @module
 */
import { findHeadEnd } from "../http/head_end.ts";
import { CR, LF } from "../http/octets.ts";
import { unreachable } from "../http/unreachable.ts";
import { ByteQueue } from "./buffers.ts";
import { SocketWriter } from "./socket_writer.ts";
import type { Transport } from "./tls.ts";

/**
 * Where a connection is in its life (the methods named in brackets make each move; `NEXT` lists
 * them all):
 * - `idle`: waiting for the first byte of a request (→ reading, on bytes)
 * - `reading`: part of a request head has arrived (→ held [hold], queued [queue], active
 *   [activate])
 * - `held`: a complete head waits for the previous response to reach the client, so a client
 *   that pipelines without reading cannot make the server buffer responses (→ held, queued,
 *   active)
 * - `queued`: a complete head waits for a worker (→ active)
 * - `active`: a worker owns the current request (→ idle or reading [finish], tunnel [tunnel])
 * - `tunnel`: switched to WebSocket (a 101); raw bytes flow both ways to the worker that owns
 *   the socket, and only the frame deadline runs
 * - `closing`: last bytes are being written, then the socket closes (→ closed)
 * - `closed`: gone; a terminal state
 *
 * Every state but `closing` and `closed` may go to `closing` [closeAfterWrites, drain, a client's
 * end before a request is in hand] or straight to `closed` [destroy].
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

/** Every move each state allows; any other is a bug and throws. */
const NEXT: Readonly<Record<ConnState, readonly ConnState[]>> = {
  idle: ["reading", "closing", "closed"],
  reading: ["held", "queued", "active", "closing", "closed"],
  held: ["held", "queued", "active", "closing", "closed"],
  queued: ["active", "closing", "closed"],
  active: ["idle", "reading", "tunnel", "closing", "closed"],
  tunnel: ["closing", "closed"],
  closing: ["closed"],
  closed: [],
};

/** What each state makes of bytes that arrive: which event tells the server, or none. */
const ON_BYTES: Readonly<
  Record<ConnState, "onHeadBytes" | "onBodyBytes" | "onTunnelBytes" | null>
> = {
  idle: "onHeadBytes",
  reading: "onHeadBytes",
  held: null,
  queued: null,
  active: "onBodyBytes",
  tunnel: "onTunnelBytes",
  closing: null,
  closed: null,
};

/**
 * What each state makes of the client's end (it closed its sending side): close once what is
 * queued is written (no request in hand), tell the server, or wait (a held or queued head learns
 * it when it is dispatched).
 */
const ON_END: Readonly<Record<ConnState, "close" | "onRequestEnd" | "onTunnelEnd" | null>> = {
  idle: "close",
  reading: "close",
  held: null,
  queued: null,
  active: "onRequestEnd",
  tunnel: "onTunnelEnd",
  closing: null,
  closed: null,
};

/**
 * The timer a connection runs, stored when it is armed (one at a time; the send timeout watches
 * the write side besides): `header` (until a head is complete), `keepalive` (an idle connection
 * after a response has drained), `body` (the worker waits for body bytes none of which are here),
 * `frame` (a tunnel's client stopped in the middle of a frame), or `none`.
 */
export type ConnTimer = "none" | "header" | "keepalive" | "body" | "frame";

/**
 * What {@linkcode Connection.tick} found expired: `send` (the client took no response bytes for
 * the send timeout) or `idle` (no request began before the keep-alive timer, or a new
 * connection's header timer, fired): the connection has closed itself; `header` (a head began
 * and is not complete), `body` or `frame`: the server answers (408) or cuts the request or
 * tunnel.
 */
export type ConnExpiry = "send" | "idle" | "header" | "body" | "frame";

/** The timers a connection runs; see `ServerConfig` for each. */
export interface ConnectionTimeouts {
  /** From a connection's first byte (or its accept) until its head is complete. */
  headerTimeoutMs: number;
  /** An idle keep-alive connection waits this long for its next request. */
  keepaliveTimeoutMs: number;
  /** Between two reads of a request body a worker asked for; a tunnel's unfinished frame. */
  bodyTimeoutMs: number;
  /** How long queued response bytes may wait for the client to take any. */
  sendTimeoutMs: number;
}

/** Bytes read per `conn.read`: small reads are cheap reads. */
const READ_BUFFER_BYTES = 4096;

/** What the connection tells the server: what happened, never what state it is in. */
export interface ConnectionEvents {
  /** Bytes of a request head arrived (appended to `inbound`). */
  onHeadBytes(connection: Connection): void;
  /** Bytes arrived while a worker owns the request: body bytes it may pull. */
  onBodyBytes(connection: Connection): void;
  /** Bytes arrived on a tunnel. */
  onTunnelBytes(connection: Connection): void;
  /** The client closed its sending side while a worker owns the request. */
  onRequestEnd(connection: Connection): void;
  /** The client closed its sending side of a tunnel. */
  onTunnelEnd(connection: Connection): void;
  /** Every queued byte is in the socket while a complete head is held: it may go now. */
  onHeldWritable(connection: Connection): void;
  /** The socket is closed, by either side; called once. */
  onClosed(connection: Connection): void;
  /** One of the calls above threw: the connection is closed, the others go on. */
  onFault(connection: Connection, error: unknown): void;
}

/** A client connection; owns its socket, its state and its timers. */
export class Connection {
  /** Server-unique id, used in logs. */
  readonly id: number;
  /** Client address (host only). */
  readonly remote: string;
  /** Client port. */
  readonly remotePort: number;
  /** Bytes read and not yet handed to a worker. */
  readonly inbound: ByteQueue = new ByteQueue();

  #state: ConnState = "idle";
  #timer: ConnTimer = "header";
  #deadline: number;
  #timeouts: ConnectionTimeouts;
  /** Where the next search for the end of a head starts in `inbound`, or the head's end. */
  #scanFrom = 0;
  /** Whether a request was ever dispatched on it: the first head's timer runs from the accept. */
  #served = false;
  #ended = false;
  #conn: Transport;
  #events: ConnectionEvents;
  #writer: SocketWriter;
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
    this.#writer = new SocketWriter(conn, {
      now: this.#now,
      drained: () => this.#drained(),
      failed: () => this.destroy(),
      run: (callback) => this.#guard(callback),
    });
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

  /** The timer that runs now. */
  get timer(): ConnTimer {
    return this.#timer;
  }

  /** When the running timer fires, ms since the epoch; 0: none runs. */
  get deadline(): number {
    return this.#timer === "none" ? 0 : this.#deadline;
  }

  /** Whether the client closed its sending side. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Looks for the end of the head in `inbound`: false while it is incomplete. A head longer than
   * the limit counts as complete just past it, so the worker answers 414 or 431 and no record
   * can outgrow the ring. A client that half-closed mid-head will never finish it: the
   * connection closes rather than wait for the header timeout.
   *
   * @param maxHeadBytes the longest head a worker may be given
   * @returns whether a head (or too long a one) is ready for {@linkcode Connection.activate}
   */
  findHead(maxHeadBytes: number): boolean {
    // A held head was found already: #scanFrom is its end.
    if (this.#state === "held") return true;
    // Empty lines before a request line are ignored (RFC 9112 §2.2): they must not pass for a
    // head, which would hand a worker a connection the header timeout no longer covers.
    let bytes = this.inbound.view();
    if (this.#scanFrom === 0 && (bytes[0] === CR || bytes[0] === LF)) {
      this.inbound.take(emptyLinesLength(bytes));
      bytes = this.inbound.view();
    }
    const end = findHeadEnd(bytes, this.#scanFrom);
    if (end === -1 && bytes.byteLength <= maxHeadBytes) {
      if (this.#ended) this.closeAfterWrites();
      else this.#scanFrom = Math.max(0, bytes.byteLength - 3);
      return false;
    }
    this.#scanFrom = Math.min(end === -1 ? bytes.byteLength : end, maxHeadBytes + 1);
    return true;
  }

  /** A complete head waits for earlier responses to reach the client; the send timeout watches. */
  hold(): void {
    this.#move("held", "none");
  }

  /** A complete head waits for a worker. */
  queue(): void {
    this.#move("queued", "none");
  }

  /**
   * A worker owns the request now: active, no timer until it asks for body bytes.
   *
   * @returns the head found by {@linkcode Connection.findHead}, taken from `inbound`
   */
  activate(): Uint8Array {
    this.#move("active", "none");
    this.#served = true;
    const head = this.inbound.take(this.#scanFrom);
    this.#scanFrom = 0;
    return head;
  }

  /**
   * The response is over and the connection goes on: reading the next request when its bytes
   * are here (header timeout), else idle (keep-alive timeout, once the response has drained).
   *
   * @param next whether bytes of the next request are already buffered
   */
  finish(next: { pending: boolean }): void {
    if (next.pending) return this.#move("reading", "header");
    // The response may still be on its way out: keep-alive starts once it is (see #drained).
    this.#move("idle", this.#writer.queuedBytes > 0 ? "none" : "keepalive");
  }

  /** The worker waits for body bytes none of which are here: the body timeout runs, if not yet. */
  awaitBody(): void {
    if (this.#timer === "none") this.#arm("body");
  }

  /** Body bytes went to the worker: the body timeout stops. */
  bodyArrived(): void {
    this.#arm("none");
  }

  /**
   * The request became a tunnel (a 101 went out): no timer runs until the client stops in the
   * middle of a frame.
   */
  tunnel(): void {
    this.#move("tunnel", "none");
  }

  /**
   * A tunnel's frame deadline: while the client is in the middle of a frame and nothing of it
   * waits here, the body timeout runs from now; otherwise none (an idle socket is the app's
   * business, and a worker that has not taken the bytes yet is not the client's fault).
   *
   * @param waiting whether the tunnel waits for the rest of a client's frame
   */
  awaitFrame(waiting: boolean): void {
    this.#arm(waiting ? "frame" : "none");
  }

  /**
   * The server is draining: a connection with no request in hand closes once its writes are out
   * (a slow reader finishes its download within the grace period); the others close after their
   * response.
   */
  drain(): void {
    // The states a client's end closes are those with no request in hand.
    if (ON_END[this.#state] === "close") this.closeAfterWrites();
  }

  /**
   * Checks the timers at `now`. A client that takes no response bytes for the send timeout, and
   * an idle connection past its timer, are closed here; the other expiries are the server's to
   * answer.
   *
   * @param now ms since the epoch
   * @returns what expired, or null
   */
  tick(now: number): ConnExpiry | null {
    const stalled = this.writeStalledSince;
    if (stalled !== 0 && now - stalled > this.#timeouts.sendTimeoutMs) {
      this.destroy();
      return "send";
    }
    if (this.#timer === "none" || now < this.#deadline) return null;
    const expired = this.#timer;
    this.#arm("none");
    // No request began (keep-alive over, or a new connection that never sent a byte): close.
    if (this.#state !== "idle" && expired !== "keepalive") return expired;
    this.destroy();
    return "idle";
  }

  /** Bytes queued for the socket and not yet in it, including a write under way. */
  get queuedBytes(): number {
    return this.#writer.queuedBytes;
  }

  /**
   * Since when the socket has refused to take queued bytes, in ms since the epoch; 0 when
   * nothing waits. A client that does not read keeps this in the past.
   */
  get writeStalledSince(): number {
    return this.#writer.stalledSince;
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
      if (n === null) return this.#guard(() => this.#onEnd());
      this.inbound.push(buffer.subarray(0, n));
      // Not through #guard: that closure was made for every read.
      try {
        this.#onBytes();
      } catch (error) {
        this.#fault(error);
      }
    }
  }

  /** Bytes arrived: the first of a request's head starts it; the state says who hears of them. */
  #onBytes(): void {
    if (this.#state === "idle") this.#beginHead();
    const event = ON_BYTES[this.#state];
    if (event !== null) this.#events[event](this);
  }

  /** The client closed its sending side: nothing more will come; what is queued goes out first. */
  #onEnd(): void {
    this.#ended = true;
    const action = ON_END[this.#state];
    if (action === "close") this.closeAfterWrites();
    else if (action !== null) this.#events[action](this);
  }

  /**
   * The first bytes of a request arrived: idle → reading, and the header timeout runs. On a new
   * connection it has run since the accept: a first byte sent just before it fires must not buy
   * a second header timeout.
   */
  #beginHead(): void {
    const deadline = this.#deadline;
    this.#move("reading", "header");
    if (!this.#served) this.#deadline = deadline;
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
    if (this.state !== "closed") this.#writer.write(bytes, written);
  }

  /** Closes the socket once every queued write is done. */
  closeAfterWrites(): void {
    if (this.#state === "closed" || this.#state === "closing") return;
    this.#move("closing", "none");
    this.resumeReading();
    if (!this.#writer.busy) this.destroy();
  }

  /** Closes the socket now, dropping queued writes. */
  destroy(): void {
    if (this.#state === "closed") return;
    this.#move("closed", "none");
    this.#writer.drop();
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime after an error: nothing left to release.
    }
    this.resumeReading();
    this.#events.onClosed(this);
  }

  /** Moves to `next` and arms `timer`; a move {@linkcode NEXT} does not list is a bug. */
  #move(next: ConnState, timer: ConnTimer): void {
    if (!NEXT[this.#state].includes(next)) {
      throw new Error(`connection ${this.id}: no move from "${this.#state}" to "${next}"`);
    }
    this.#state = next;
    this.#arm(timer);
  }

  /** Arms `timer` from now (or none). */
  #arm(timer: ConnTimer): void {
    this.#timer = timer;
    this.#deadline = timer === "none" ? 0 : this.#now() + this.#timeoutMs(timer);
  }

  #timeoutMs(timer: Exclude<ConnTimer, "none">): number {
    switch (timer) {
      case "header":
        return this.#timeouts.headerTimeoutMs;
      case "keepalive":
        return this.#timeouts.keepaliveTimeoutMs;
      case "body":
      case "frame":
        return this.#timeouts.bodyTimeoutMs;
      default:
        return unreachable(timer);
    }
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

  /** Every queued write is done (or dropped by a close). */
  #drained(): void {
    if (this.state === "closing") this.destroy();
    else if (this.state !== "closed") {
      // An idle connection waited for its last response to drain before its keep-alive began:
      // a slow reader must not lose the end of a download to the keep-alive timer.
      if (this.#state === "idle" && this.#timer === "none") this.#arm("keepalive");
      if (this.#state !== "held") return;
      // Not through #guard: that closure was made for every response.
      try {
        this.#events.onHeldWritable(this);
      } catch (error) {
        this.#fault(error);
      }
    }
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
