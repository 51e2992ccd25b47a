/**
 * A connection after a 101, on the worker that accepted it: raw bytes between the main thread
 * and the socket that drives it (the app's WebSocket). Bytes from the client come one record at
 * a time, pulled again only once the socket has taken the last; bytes to the client go out under
 * the connection's window, the rest waits here (what the app sees as `bufferedAmount`).
 *
 * @module
 */
import type { TunnelLink, TunnelPeer } from "./handler.ts";

/** What a tunnel needs from its worker. */
export interface TunnelIo {
  /** Bytes to the client in flight before the tunnel waits for credit. */
  windowBytes: number;
  /** Largest pull the main thread answers in one record. */
  maxPull: number;
  /** Largest payload of one record to the main thread. */
  maxRecordBytes: number;
  /** Sends bytes; with `end`, the main thread closes the connection after them. */
  send(stream: number, bytes: Uint8Array, end?: { close: boolean; leftover: Uint8Array }): void;
  /** Asks for up to `bytes` more client bytes. */
  pull(stream: number, bytes: number): void;
}

/**
 * Where a tunnel is: `open` → `ending` (the socket is done; queued bytes go out, then the
 * connection closes) → `closed`; `closed` at once when the connection is lost.
 */
export type TunnelState = "open" | "ending" | "closed";

const NOTHING = new Uint8Array();
const CLOSE_END = { close: true, leftover: NOTHING };

/**
 * One upgraded connection on its worker.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Tunnel } from "./tunnel.ts";
 * const sent: number[] = [];
 * const io = {
 *   windowBytes: 4, maxPull: 1024, maxRecordBytes: 1024,
 *   send: (_stream: number, bytes: Uint8Array) => void sent.push(bytes.byteLength),
 *   pull: () => {},
 * };
 * const tunnel = new Tunnel(io, { stream: 1, closed: () => {} });
 * tunnel.write(new Uint8Array(6));
 * assert.deepEqual(sent, [4]);
 * assert.equal(tunnel.bufferedBytes, 6);
 * tunnel.credit(4);
 * assert.deepEqual(sent, [4, 2]);
 * ```
 */
export class Tunnel implements TunnelLink {
  #io: TunnelIo;
  #stream: number;
  #state: TunnelState = "open";
  #peer: TunnelPeer | null = null;
  #closed: () => void;
  /** Bytes sent to the main thread and not yet credited. */
  #inFlight = 0;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #deliveredBytes = 0;

  /**
   * Prepares a tunnel; {@linkcode Tunnel.start} gives it its socket.
   *
   * @param io the worker's services
   * @param options its stream, and what to call once it is closed
   */
  constructor(io: TunnelIo, options: { stream: number; closed: () => void }) {
    this.#io = io;
    this.#stream = options.stream;
    this.#closed = options.closed;
  }

  /** Where the tunnel is. */
  get state(): TunnelState {
    return this.#state;
  }

  /** Bytes written and not yet in the client's socket. */
  get bufferedBytes(): number {
    return this.#inFlight + this.#queuedBytes;
  }

  /** Bytes that reached the client's socket so far. */
  get deliveredBytes(): number {
    return this.#deliveredBytes;
  }

  /**
   * Hands the tunnel to its socket, with client bytes that came with the request, and asks for
   * more.
   *
   * @param peer the socket
   * @param leftover client bytes already received
   */
  start(peer: TunnelPeer, leftover: Uint8Array): void {
    this.#peer = peer;
    if (leftover.byteLength > 0) peer.receive(leftover);
    if (this.#state === "open") this.#io.pull(this.#stream, this.#io.maxPull);
  }

  /**
   * Client bytes the main thread sent after a pull: to the socket, then the next pull.
   *
   * @param bytes the bytes (a view of the ring)
   * @param eof whether the client closed its sending side
   */
  receive(bytes: Uint8Array, eof: boolean): void {
    const peer = this.#peer;
    if (peer === null || this.#state === "closed") return;
    if (bytes.byteLength > 0) peer.receive(bytes);
    if (eof) return peer.ended();
    // Pulled again even while ending: the main thread counts an unanswered record as work.
    // The socket may have ended the tunnel while it took the bytes: the state is read again.
    if ((this.#state as TunnelState) !== "closed") this.#io.pull(this.#stream, this.#io.maxPull);
  }

  /**
   * Bytes reached the client's socket: the window reopens by that much.
   *
   * @param bytes how many
   */
  credit(bytes: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - bytes);
    this.#deliveredBytes += bytes;
    this.#flush();
  }

  /** The connection is gone: the socket hears it, nothing more is sent. */
  abort(): void {
    if (this.#state === "closed") return;
    this.#close();
    this.#peer?.lost();
  }

  /** The server is shutting down: the socket closes as going away. */
  goAway(): void {
    if (this.#state === "open") this.#peer?.goAway();
  }

  /**
   * Queues bytes for the client.
   *
   * @param bytes the bytes; the caller must not change them afterwards
   */
  write(bytes: Uint8Array): void {
    if (this.#state !== "open" || bytes.byteLength === 0) return;
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.byteLength;
    this.#flush();
  }

  /** Closes the connection once every queued byte is out. */
  end(): void {
    if (this.#state !== "open") return;
    this.#state = "ending";
    this.#flush();
  }

  /** Sends queued bytes while the window allows, in records the ring can carry. */
  #flush(): void {
    if (this.#state === "closed") return;
    const { windowBytes, maxRecordBytes } = this.#io;
    while (this.#queue.length > 0 && this.#inFlight < windowBytes) {
      const first = this.#queue[0];
      const room = Math.min(windowBytes - this.#inFlight, maxRecordBytes);
      const piece = first.byteLength <= room ? first : first.subarray(0, room);
      if (piece === first) this.#queue.shift();
      else this.#queue[0] = first.subarray(room);
      this.#queuedBytes -= piece.byteLength;
      this.#inFlight += piece.byteLength;
      this.#io.send(this.#stream, piece);
    }
    if (this.#state === "ending" && this.#queue.length === 0) {
      this.#io.send(this.#stream, NOTHING, CLOSE_END);
      this.#close();
    }
  }

  #close(): void {
    this.#state = "closed";
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#closed();
  }
}
