/**
 * The server side of a WebSocket as an app sees it: the `socket` that `Deno.upgradeWebSocket`
 * returns, shaped like Deno's (an EventTarget with `open`, `message`, `close` and `error`, the
 * `on…` properties, `send`, `close`, `readyState`, `bufferedAmount`, `binaryType`). It runs the
 * protocol over a tunnel (`lib/handler/tunnel.ts`) with the pure reader of `lib/http/`: pings are
 * answered, the close handshake is carried out, protocol errors close with their code, and an
 * idle socket is pinged and closed as Deno's is.
 *
 * @module
 */
import type { TunnelLink, TunnelPeer } from "../handler.ts";
import { CLOSE_CODE, closePayload, encodeFrame, OPCODE } from "../../http/ws_frames.ts";
import { WsReader } from "../../http/ws_reader.ts";
import { IdleWatch } from "./ws_idle.ts";

/** How the socket behaves; from `upgradeWebSocket`'s options and the server's limits. */
export interface SocketOptions {
  /** The subprotocol chosen, or "". */
  protocol: string;
  /** Seconds without a frame from the client before a ping, and as long again before closing. */
  idleTimeoutS: number;
  /** Largest message the app is handed, in bytes. */
  maxMessageBytes: number;
  /** How long a close waits for the client's, in ms. */
  closeTimeoutMs: number;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
type ReadyState = typeof CONNECTING | typeof OPEN | typeof CLOSING | typeof CLOSED;

/** Bytes waiting for the client beyond which a ping gets no pong. */
export const PONG_BACKLOG_BYTES = 64 * 1024;

const encoder = new TextEncoder();
const HANDLERS = ["open", "message", "close", "error"] as const;
type HandlerName = `on${typeof HANDLERS[number]}`;

/**
 * The socket of one upgraded request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ServerWebSocket } from "./websocket.ts";
 * const socket = new ServerWebSocket({ protocol: "", idleTimeoutS: 0, maxMessageBytes: 1024, closeTimeoutMs: 1000 });
 * const written: Uint8Array[] = [];
 * socket.attach({
 *   write: (bytes) => void written.push(bytes),
 *   bufferedBytes: 0,
 *   deliveredBytes: 0,
 *   end: () => {},
 * });
 * socket.send("hi");
 * assert.deepEqual(written[0], Uint8Array.of(0x81, 2, 0x68, 0x69));
 * ```
 */
export class ServerWebSocket extends EventTarget {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  readonly CONNECTING = CONNECTING;
  readonly OPEN = OPEN;
  readonly CLOSING = CLOSING;
  readonly CLOSED = CLOSED;
  /** Always "" on a server socket, as in Deno. */
  readonly url = "";
  readonly extensions = "";
  readonly protocol: string;
  #binaryType: BinaryType = "arraybuffer";
  #state: ReadyState = CONNECTING;
  #link: TunnelLink | null = null;
  #options: SocketOptions;
  #reader: WsReader;
  #idle: IdleWatch;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  /** A close asked for before the socket opened, made once it does. */
  #pendingClose: { code: number; reason: string } | null = null;
  /** Sends wait behind a Blob being read, to keep their order. */
  #sending: Promise<void> | null = null;
  #handlers = new Map<HandlerName, EventListener>();
  /** The link's delivered bytes when the last pong was queued. */
  #deliveredAtPong = -1;

  /**
   * A socket waiting for its 101 to go out.
   *
   * @param options subprotocol, idle timeout and limits
   */
  constructor(options: SocketOptions) {
    super();
    this.#options = options;
    this.protocol = options.protocol;
    this.#reader = new WsReader({ maxMessageBytes: options.maxMessageBytes });
    this.#idle = new IdleWatch(options.idleTimeoutS * 1000, {
      ping: () => this.#frame(OPCODE.ping, new Uint8Array()),
      expire: () => this.#expire(),
    });
  }

  /** CONNECTING (0), OPEN (1), CLOSING (2) or CLOSED (3). */
  get readyState(): number {
    return this.#state;
  }

  /** Bytes sent and not yet in the client's socket. */
  get bufferedAmount(): number {
    return this.#link?.bufferedBytes ?? 0;
  }

  /** How binary messages are handed over: "arraybuffer" (the default here, as in Deno) or "blob". */
  get binaryType(): BinaryType {
    return this.#binaryType;
  }

  set binaryType(value: BinaryType) {
    if (value === "arraybuffer" || value === "blob") this.#binaryType = value;
  }

  /**
   * Sends a message: a string as text, bytes or a Blob as binary.
   *
   * @param data the message
   */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    if (this.#state === CONNECTING) {
      throw new DOMException("'readyState' not OPEN", "InvalidStateError");
    }
    if (this.#state !== OPEN) return;
    if (data instanceof Blob || this.#sending !== null) return this.#sendLater(data);
    this.#sendNow(data);
  }

  /**
   * Starts the closing handshake.
   *
   * @param code 1000 or 3000–4999
   * @param reason at most 123 bytes of UTF-8
   */
  close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) {
      throw new DOMException(
        `The close code must be either 1000 or in the range of 3000 to 4999. Received ${code}`,
        "InvalidAccessError",
      );
    }
    const text = reason ?? "";
    if (encoder.encode(text).byteLength > 123) {
      throw new DOMException("The close reason may not be longer than 123 bytes", "SyntaxError");
    }
    if (this.#state === CONNECTING) this.#pendingClose = { code: code ?? 1000, reason: text };
    else if (this.#state === OPEN) this.#startClose(code ?? null, text);
  }

  /**
   * The tunnel's side of the socket, made once its 101 is out.
   *
   * @param link the connection
   * @returns what the tunnel reports to
   */
  attach(link: TunnelLink): TunnelPeer {
    if (this.#state !== CONNECTING) {
      throw new Error("a socket not CONNECTING cannot be attached: it was attached or refused");
    }
    this.#link = link;
    this.#state = OPEN;
    // After the app returned its response, as in Deno; before any message.
    this.#opened();
    return {
      receive: (bytes) => this.#receive(bytes),
      ended: () => this.#gone("the client closed the connection without a close frame"),
      lost: () => this.#gone("the connection was lost"),
      goAway: () => {
        if (this.#state === OPEN) this.#startClose(CLOSE_CODE.goingAway, "server shutting down");
      },
    };
  }

  /**
   * The switch did not happen: the socket never opens; it reports an error and closes (1006).
   *
   * @param reason why
   */
  refuse(reason: string): void {
    if (this.#state !== CONNECTING) return;
    this.#state = CLOSING;
    this.dispatchEvent(new ErrorEvent("error", { message: reason }));
    this.#finish({ wasClean: false, code: CLOSE_CODE.abnormal, reason: "" });
  }

  #opened(): void {
    if (this.#state !== OPEN) return;
    this.dispatchEvent(new Event("open"));
    this.#idle.start();
    const pending = this.#pendingClose;
    if (pending !== null) this.#startClose(pending.code, pending.reason);
  }

  #receive(bytes: Uint8Array): void {
    this.#reader.push(bytes);
    this.#idle.touch();
    for (let event = this.#reader.next(); event !== null; event = this.#reader.next()) {
      switch (event.kind) {
        case "text":
          if (this.#state === OPEN) this.#dispatchMessage(event.text);
          break;
        case "binary":
          if (this.#state === OPEN) this.#dispatchMessage(this.#binary(event.bytes));
          break;
        case "ping":
          if (this.#state === OPEN) this.#pong(event.bytes);
          break;
        case "pong":
          break;
        case "close":
          return this.#closeReceived(event.code, event.reason);
        case "fail":
          return this.#fail(event.code, event.reason);
      }
    }
  }

  /**
   * Answers a ping, unless a client that does not read would make pongs pile up: while
   * PONG_BACKLOG_BYTES wait, a ping is answered only if the client read something since the
   * last pong (RFC 6455 §5.5.3 allows answering the latest ping only).
   */
  #pong(payload: Uint8Array): void {
    const link = this.#link!;
    const backlogged = link.bufferedBytes >= PONG_BACKLOG_BYTES;
    if (backlogged && link.deliveredBytes === this.#deliveredAtPong) return;
    this.#deliveredAtPong = link.deliveredBytes;
    this.#frame(OPCODE.pong, payload);
  }

  #dispatchMessage(data: unknown): void {
    this.dispatchEvent(new MessageEvent("message", { data }));
  }

  #binary(bytes: Uint8Array): ArrayBuffer | Blob {
    // The reader's payloads are fresh buffers of their exact size (an empty one is shared).
    const buffer = bytes.byteLength === 0 ? new ArrayBuffer(0) : bytes.buffer as ArrayBuffer;
    return this.#binaryType === "blob" ? new Blob([buffer]) : buffer;
  }

  /** The client's close: answered with the same code unless ours went first; then closed. */
  #closeReceived(code: number, reason: string): void {
    if (this.#state === OPEN) {
      this.#frame(OPCODE.close, closePayload(code === CLOSE_CODE.noStatus ? null : code, reason));
    }
    this.#finish({ wasClean: true, code, reason });
  }

  /** The client broke the protocol: close with the code, say why, and end. */
  #fail(code: number, reason: string): void {
    if (this.#state === OPEN) this.#frame(OPCODE.close, closePayload(code, reason));
    this.dispatchEvent(new ErrorEvent("error", { message: reason }));
    this.#finish({ wasClean: false, code, reason });
  }

  /** Deno's idle timeout: no frame after the ping either. */
  #expire(): void {
    const reason = "No response from ping frame.";
    if (this.#state === OPEN) {
      this.#frame(OPCODE.close, closePayload(CLOSE_CODE.goingAway, reason));
    }
    this.dispatchEvent(new ErrorEvent("error", { message: reason }));
    this.#finish({ wasClean: false, code: CLOSE_CODE.goingAway, reason });
  }

  #gone(reason: string): void {
    if (this.#state === CLOSED) return;
    this.dispatchEvent(new ErrorEvent("error", { message: reason }));
    this.#finish({ wasClean: false, code: CLOSE_CODE.abnormal, reason: "" });
  }

  #startClose(code: number | null, reason: string): void {
    this.#frame(OPCODE.close, closePayload(code, reason));
    this.#state = CLOSING;
    this.#closeTimer = setTimeout(() => {
      this.#finish({ wasClean: false, code: CLOSE_CODE.abnormal, reason: "" });
    }, this.#options.closeTimeoutMs);
  }

  #finish(close: { wasClean: boolean; code: number; reason: string }): void {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    clearTimeout(this.#closeTimer);
    this.#idle.stop();
    this.#link?.end();
    this.dispatchEvent(new CloseEvent("close", close));
  }

  #frame(opcode: number, payload: Uint8Array): void {
    this.#link?.write(encodeFrame(opcode, payload));
  }

  #sendNow(data: string | ArrayBufferLike | ArrayBufferView): void {
    if (typeof data === "string") return this.#frame(OPCODE.text, encoder.encode(data));
    const bytes = ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);
    this.#frame(OPCODE.binary, bytes);
  }

  /** A Blob is read first; whatever is sent after it waits its turn. */
  #sendLater(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    const previous = this.#sending ?? Promise.resolve();
    const bytes = data instanceof Blob ? data.arrayBuffer() : Promise.resolve(data);
    const sending = previous.then(() => bytes).then((value) => {
      if (this.#state === OPEN) this.#sendNow(value);
    }, () => {});
    this.#sending = sending.finally(() => {
      if (this.#sending === sending) this.#sending = null;
    });
  }

  #handler(name: HandlerName): EventListener | null {
    return this.#handlers.get(name) ?? null;
  }

  #setHandler(name: HandlerName, handler: EventListener | null): void {
    const old = this.#handlers.get(name);
    if (old) this.removeEventListener(name.slice(2), old);
    if (typeof handler !== "function") return void this.#handlers.delete(name);
    this.#handlers.set(name, handler);
    this.addEventListener(name.slice(2), handler);
  }

  get onopen(): EventListener | null {
    return this.#handler("onopen");
  }
  set onopen(handler: EventListener | null) {
    this.#setHandler("onopen", handler);
  }
  get onmessage(): EventListener | null {
    return this.#handler("onmessage");
  }
  set onmessage(handler: EventListener | null) {
    this.#setHandler("onmessage", handler);
  }
  get onclose(): EventListener | null {
    return this.#handler("onclose");
  }
  set onclose(handler: EventListener | null) {
    this.#setHandler("onclose", handler);
  }
  get onerror(): EventListener | null {
    return this.#handler("onerror");
  }
  set onerror(handler: EventListener | null) {
    this.#setHandler("onerror", handler);
  }
}
