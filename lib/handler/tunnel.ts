/**
 * A connection after a 101, on the worker that accepted it: raw bytes between the I/O thread
 * and the socket that drives it (the app's WebSocket). The socket opens only once the main
 * thread confirms the switch (it owns `--max-websockets` and may answer 503 instead, in which
 * case the socket is refused and never opens). Bytes from the client come one record at
 * a time, pulled again only once the socket has taken the last; bytes to the client go out under
 * the connection's window, the rest waits here (what the app sees as `bufferedAmount`).
 *
 * @module
 */
import type { TunnelLink, TunnelPeer, Upgrade } from "./handler.ts";

/** What a tunnel needs from its worker. */
export interface TunnelIo {
  /** Bytes to the client in flight before the tunnel waits for credit. */
  windowBytes: number;
  /** Largest pull the I/O thread answers in one record. */
  maxPull: number;
  /** Largest payload of one record to the I/O thread. */
  maxRecordBytes: number;
  /** Sends bytes; with `end`, the I/O thread closes the connection after them. */
  send(stream: number, bytes: Uint8Array, end?: { close: boolean; leftover: Uint8Array }): void;
  /** Asks for up to `bytes` more client bytes. */
  pull(stream: number, bytes: number): void;
}

/**
 * Where a tunnel is:
 * - `switching`: the 101 went to the I/O thread, which has not confirmed it (→ open
 *   [switched], closed [abort: the upgrade was refused, or the connection lost])
 * - `open`: the socket is open (→ ending [end], closed [abort])
 * - `ending`: the socket is done; queued bytes go out, then the connection closes (→ closed)
 * - `closed`: nothing more is sent or received
 */
export type TunnelState = "switching" | "open" | "ending" | "closed";

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
 * const socket = {
 *   accept: () => ({ receive() {}, ended() {}, lost() {}, goAway() {} }),
 *   refuse: () => {},
 * };
 * const tunnel = new Tunnel(io, { stream: 1, closed: () => {}, socket });
 * tunnel.switched();
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
  #state: TunnelState = "switching";
  /** The app's socket until the switch is confirmed. */
  #socket: Upgrade;
  #leftover: Uint8Array;
  #peer: TunnelPeer | null = null;
  #closed: () => void;
  /** Told once the switch is confirmed (the exchange's access log line). */
  #switched: (() => void) | undefined;
  /** Bytes sent to the I/O thread and not yet credited. */
  #inFlight = 0;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #deliveredBytes = 0;

  /**
   * Prepares a tunnel whose 101 went to the I/O thread; {@linkcode Tunnel.switched} opens it.
   *
   * @param io the worker's services
   * @param options its stream, the app's socket, client bytes that came with the request (owned
   *   by the tunnel from now on), what to call once it is closed, and once it is switched
   */
  constructor(
    io: TunnelIo,
    options: {
      stream: number;
      socket: Upgrade;
      leftover?: Uint8Array;
      closed: () => void;
      switched?: () => void;
    },
  ) {
    this.#io = io;
    this.#stream = options.stream;
    this.#socket = options.socket;
    this.#leftover = options.leftover ?? NOTHING;
    this.#closed = options.closed;
    this.#switched = options.switched;
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
   * The I/O thread confirmed the switch: the socket opens (its `open` event may send or close
   * at once), gets the client bytes that came with the request, and the tunnel asks for more.
   */
  switched(): void {
    if (this.#state !== "switching") return;
    this.#state = "open";
    this.#switched?.();
    const peer = this.#socket.accept(this);
    this.#peer = peer;
    const leftover = this.#leftover;
    this.#leftover = NOTHING;
    if (leftover.byteLength > 0) peer.receive(leftover);
    if (this.#state === "open") this.#io.pull(this.#stream, this.#io.maxPull);
  }

  /**
   * Client bytes the I/O thread sent after a pull: to the socket, then the next pull.
   *
   * @param bytes the bytes (a view of the ring)
   * @param eof whether the client closed its sending side
   */
  receive(bytes: Uint8Array, eof: boolean): void {
    const peer = this.#peer;
    if (peer === null || this.#state === "closed") return;
    if (bytes.byteLength > 0) peer.receive(bytes);
    if (eof) return peer.ended();
    // Pulled again even while ending: the I/O thread counts an unanswered record as work.
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

  /**
   * The connection is gone, or the switch was refused (503): the socket hears it, nothing more
   * is sent. A socket not yet open is refused: it never opens.
   */
  abort(): void {
    const state = this.#state;
    if (state === "closed") return;
    this.#close();
    if (state === "switching") {
      this.#socket.refuse("the server refused the upgrade, or the client left");
    } else this.#peer?.lost();
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
