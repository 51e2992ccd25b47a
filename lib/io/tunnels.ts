/**
 * An I/O thread's side of WebSockets: connections a worker switched with a 101, relayed as raw
 * bytes to and from that worker. The I/O thread reads frame headers only (the pure tracker of
 * `lib/http/ws_frames.ts`), for its two deadlines: a client that stops in the middle of a frame
 * is cut by the body timeout, and a worker that is lost leaves its sockets a 1011 close frame
 * when it had not stopped in the middle of one.
 *
 * Tunnels are counted apart from requests (`--max-websockets`). A record sent to a worker and not
 * yet taken (the worker has not pulled again) counts as a request in hand, so a socket handler
 * that burns CPU makes its worker stalled, then replaced, as a stuck request does; an idle
 * socket counts for nothing.
 *
 * @module
 */
import type { ServerConfig } from "../config/settings.ts";
import {
  CLOSE_CODE,
  closePayload,
  encodeFrame,
  type FrameBoundary,
  frameBoundary,
  midFrame,
  OPCODE,
  trackFrames,
} from "../http/ws_frames.ts";
import { unreachable } from "../http/unreachable.ts";
import { encodeToWorker, type ToMain } from "../wire/protocol.ts";
import type { Connection } from "./connection.ts";
import type { WorkerLink, Workers } from "./workers.ts";
import type { SharedCounts } from "../wire/counts.ts";

/** One tunnel as its I/O thread keeps it. */
interface Entry {
  connection: Connection;
  worker: WorkerLink;
  stream: number;
  /** Where the client's bytes are, as far as they arrived. */
  inbound: FrameBoundary;
  /** Bytes at the end of the connection's `inbound` already tracked. */
  tracked: number;
  /** Where the worker's bytes are. */
  outbound: FrameBoundary;
  /** Whether the worker holds a record it has not taken yet (counted as a request in hand). */
  owed: boolean;
  /** Whether the client's end went to the worker. */
  endSent: boolean;
  /** Bytes the worker asked for and has not been sent yet. */
  pullBytes: number;
}

/** Going-away frame of a lost worker's sockets. */
const INTERNAL_ERROR_FRAME = encodeFrame(
  OPCODE.close,
  closePayload(CLOSE_CODE.internalError, "the server's worker was replaced"),
);

/**
 * The open tunnels; the only writer of their entries.
 *
 * @example
 * ```ts ignore
 * import { Tunnels } from "./tunnels.ts";
 * const tunnels = new Tunnels(workers, { config, logRefusal: (c, what) => log(refusalLine(c, what)) });
 * if (tunnels.reserve()) tunnels.open(connection, { stream, worker, head });
 * ```
 */
export class Tunnels {
  #config: ServerConfig;
  #workers: Workers;
  #counts: SharedCounts;
  #logRefusal: (c: Connection, what: string) => void;
  #byStream = new Map<number, Entry>();
  #byConnection = new Map<Connection, Entry>();

  /**
   * Prepares the table.
   *
   * @param workers the workers, which count tunnels and records in hand
   * @param options the config, the server-wide counts, and how a refusal is logged (unless
   *   quiet)
   */
  constructor(
    workers: Workers,
    options: {
      config: ServerConfig;
      counts: SharedCounts;
      logRefusal: (c: Connection, what: string) => void;
    },
  ) {
    this.#workers = workers;
    this.#config = options.config;
    this.#counts = options.counts;
    this.#logRefusal = options.logRefusal;
  }

  /** Open tunnels. */
  get count(): number {
    return this.#byStream.size;
  }

  /**
   * Counts one more tunnel server-wide, before {@linkcode Tunnels.open}, unless `--max-websockets`
   * are open (every I/O thread's).
   *
   * @returns false when the upgrade must be refused
   */
  reserve(): boolean {
    return this.#counts.take("websockets", this.#config.maxWebsockets);
  }

  /**
   * Switches an active connection to a tunnel once its 101 head is queued, after
   * {@linkcode Tunnels.reserve}.
   *
   * @param c the connection, whose worker sent the upgrade
   * @param upgrade the request's stream id and worker (the relay's record of it is gone), and
   *   the 101 head (a view, copied)
   */
  open(c: Connection, upgrade: { stream: number; worker: WorkerLink; head: Uint8Array }): void {
    const { stream, worker, head } = upgrade;
    const entry: Entry = {
      connection: c,
      worker,
      stream,
      inbound: frameBoundary(),
      tracked: 0,
      outbound: frameBoundary(),
      owed: false,
      endSent: false,
      pullBytes: 0,
    };
    c.write(head.slice());
    c.tunnel();
    this.#byStream.set(entry.stream, entry);
    this.#byConnection.set(c, entry);
    this.#workers.openTunnel(worker);
    // The socket opens now (it waited, so that a refused one never opens); it pulls next.
    worker.channel.send(...encodeToWorker({ kind: "switched", stream: entry.stream }));
    this.onBytes(c);
  }

  /**
   * A record from a worker for a stream that is not a request: a tunnel's bytes or pull.
   *
   * @param worker the worker it came from
   * @param message the record; its bytes are views valid only during the call
   */
  onMessage(worker: WorkerLink, message: ToMain): void {
    const entry = this.#byStream.get(message.stream);
    if (entry === undefined || entry.worker !== worker) return;
    switch (message.kind) {
      case "data":
        return this.#send(entry, message);
      case "pull":
        if (entry.owed) this.#workers.release(worker);
        entry.owed = false;
        entry.pullBytes = message.bytes;
        return this.#feed(entry);
      case "upgrade":
        return;
      default:
        return unreachable(message);
    }
  }

  /**
   * Client bytes arrived on a tunnel: their frame headers are tracked, and they go to the worker
   * if it asked.
   *
   * @param c a connection in the tunnel state
   */
  onBytes(c: Connection): void {
    const entry = this.#byConnection.get(c);
    if (entry === undefined) return;
    const bytes = c.inbound.view();
    trackFrames(entry.inbound, bytes.subarray(entry.tracked));
    entry.tracked = bytes.byteLength;
    this.#feed(entry);
  }

  /**
   * The client closed its sending side: the worker hears it after the bytes before it.
   *
   * @param c a connection in the tunnel state
   */
  onEnd(c: Connection): void {
    const entry = this.#byConnection.get(c);
    if (entry !== undefined) this.#feed(entry);
  }

  /**
   * A tunnel's connection closed: its worker drops the socket, and it is counted no more.
   *
   * @param c the connection
   * @returns whether it was a tunnel
   */
  forget(c: Connection): boolean {
    const entry = this.#byConnection.get(c);
    if (entry === undefined) return false;
    if (entry.worker.state === "ready") {
      entry.worker.channel.send(...encodeToWorker({ kind: "abort", stream: entry.stream }));
    }
    this.#remove(entry);
    return true;
  }

  /**
   * A worker was lost: each of its sockets gets a 1011 close frame (unless it stopped in the
   * middle of a frame), then its connection closes.
   *
   * @param worker the lost worker
   */
  onWorkerLost(worker: WorkerLink): void {
    for (const entry of [...this.#byStream.values()]) {
      if (entry.worker !== worker) continue;
      this.#remove(entry);
      const c = entry.connection;
      if (!midFrame(entry.outbound)) c.write(INTERNAL_ERROR_FRAME);
      c.closeAfterWrites();
    }
  }

  /** The server is shutting down: every worker closes its sockets as going away (1001). */
  goAway(): void {
    for (const entry of this.#byStream.values()) {
      if (entry.worker.state !== "ready") continue;
      entry.worker.channel.send(...encodeToWorker({ kind: "goaway", stream: entry.stream }));
    }
  }

  /**
   * The client stopped in the middle of a frame for the body timeout: the connection is cut.
   *
   * @param c a connection in the tunnel state
   */
  timeOut(c: Connection): void {
    this.#logRefusal(c, "body timeout in a WebSocket frame");
    c.destroy();
  }

  /** Worker bytes for the client; credit goes back as they leave. */
  #send(entry: Entry, message: Extract<ToMain, { kind: "data" }>): void {
    const c = entry.connection;
    const bytes = message.bytes;
    if (bytes.byteLength > 0) {
      trackFrames(entry.outbound, bytes);
      const copy = bytes.slice();
      const { stream, worker } = entry;
      c.write(copy, () => {
        if (this.#byStream.get(stream) !== entry) return;
        worker.channel.send(...encodeToWorker({ kind: "credit", stream, bytes: copy.byteLength }));
      });
    }
    if (message.end) c.closeAfterWrites();
  }

  /** Gives the worker what it asked for, and runs the frame deadline while the client owes. */
  #feed(entry: Entry): void {
    const c = entry.connection;
    const give = c.inbound.length > 0 || (c.ended && !entry.endSent);
    if (entry.pullBytes > 0 && give) {
      const bytes = c.inbound.take(Math.min(entry.pullBytes, entry.worker.channel.maxPayload));
      entry.tracked -= bytes.byteLength;
      entry.pullBytes = 0;
      const eof = c.ended && c.inbound.length === 0;
      entry.endSent = eof;
      const { stream, worker } = entry;
      worker.channel.send(...encodeToWorker({ kind: "body", stream, bytes, eof }));
      if (!eof) {
        entry.owed = true;
        this.#workers.claim(worker);
      }
      c.resumeReading();
    }
    c.awaitFrame(midFrame(entry.inbound) && c.inbound.length === 0 && !c.ended);
  }

  #remove(entry: Entry): void {
    this.#byStream.delete(entry.stream);
    this.#byConnection.delete(entry.connection);
    if (entry.owed) this.#workers.release(entry.worker);
    entry.owed = false;
    this.#workers.closeTunnel(entry.worker);
    this.#counts.give("websockets");
  }
}
