/**
 * TLS on the main thread, over a TCP connection the server owns.
 *
 * `Deno.listenTls` runs each handshake in a task of its own that holds the socket until the
 * handshake ends, and a client that never sends a ClientHello never ends it: closing the
 * connection from JavaScript released nothing (20,000 silent clients exhausted the file
 * descriptors). Here the server accepts plain TCP and runs TLS through `node:tls` over it, so
 * closing the TCP connection always releases it, and the header timeout covers the handshake.
 *
 * @module
 */
import tls from "node:tls";
import { Duplex } from "node:stream";

/** What a connection needs from its socket: `Deno.Conn`, or a TLS session over one. */
export interface Transport {
  readonly remoteAddr: Deno.Addr;
  /** Reads into `buffer`; null at the end of the stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes some of `bytes`; resolves with how many were taken. */
  write(bytes: Uint8Array): Promise<number>;
  /** Closes at once, releasing the socket. */
  close(): void;
}

/** Decrypted bytes a session holds before it stops reading from the socket. */
const READ_AHEAD_BYTES = 64 * 1024;
/** Most time a closing session waits for its close_notify to be written. */
const CLOSE_NOTIFY_MS = 1000;

/**
 * Loads a certificate and key into a context every session shares.
 *
 * @param pem the certificate chain and private key, PEM text
 * @returns the context
 * @throws {Error} when the PEM text is not a certificate and a matching key
 * @example
 * ```ts ignore
 * import { tlsContext } from "./tls.ts";
 * const context = tlsContext({ cert: Deno.readTextFileSync("cert.pem"), key: Deno.readTextFileSync("key.pem") });
 * ```
 */
export function tlsContext(pem: { cert: string; key: string }): tls.SecureContext {
  return tls.createSecureContext({ cert: pem.cert, key: pem.key });
}

/** A server-side TLS session over an accepted TCP connection. */
export class TlsTransport implements Transport {
  readonly remoteAddr: Deno.Addr;
  #conn: Deno.Conn;
  #socket: tls.TLSSocket;
  #chunks: Uint8Array[] = [];
  #held = 0;
  #ended = false;
  #failure: Error | null = null;
  #wake: (() => void) | null = null;
  #closing = false;

  /**
   * Starts the server side of a handshake; reads wait for it.
   *
   * @param conn the accepted TCP connection, owned from now on
   * @param context from {@linkcode tlsContext}
   */
  constructor(conn: Deno.Conn, context: tls.SecureContext) {
    this.#conn = conn;
    this.remoteAddr = conn.remoteAddr;
    const raw = Duplex.fromWeb(
      { readable: conn.readable, writable: conn.writable },
    );
    this.#socket = new tls.TLSSocket(raw, { isServer: true, secureContext: context });
    this.#socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    this.#socket.on("end", () => this.#settle(null));
    this.#socket.on("close", () => this.#settle(null));
    this.#socket.on("error", (error: Error) => this.#settle(error));
  }

  read(buffer: Uint8Array): Promise<number | null> {
    if (this.#chunks.length > 0) return Promise.resolve(this.#take(buffer));
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#ended) return Promise.resolve(null);
    return new Promise<void>((resolve) => (this.#wake = resolve)).then(() => this.read(buffer));
  }

  write(bytes: Uint8Array): Promise<number> {
    // The caller reuses its buffers once the write resolves; TLS keeps what it is given.
    const copy = new Uint8Array(bytes);
    return new Promise((resolve, reject) => {
      this.#socket.write(copy, (error) => error ? reject(error) : resolve(copy.byteLength));
    });
  }

  /**
   * Sends close_notify, so a client can tell a complete body framed by the connection's end
   * from a cut one, then releases the socket; at once if the client does not take it.
   */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#settle(null);
    const timer = setTimeout(() => this.#release(), CLOSE_NOTIFY_MS);
    this.#socket.end(() => {
      clearTimeout(timer);
      this.#release();
    });
  }

  #release(): void {
    this.#socket.destroy();
    try {
      this.#conn.close();
    } catch {
      // Already closed with the TLS socket.
    }
  }

  #onData(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#held += chunk.byteLength;
    if (this.#held >= READ_AHEAD_BYTES) this.#socket.pause();
    this.#resume();
  }

  #take(buffer: Uint8Array): number {
    const chunk = this.#chunks[0];
    const n = Math.min(chunk.byteLength, buffer.byteLength);
    buffer.set(chunk.subarray(0, n));
    if (n === chunk.byteLength) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(n);
    this.#held -= n;
    if (this.#held < READ_AHEAD_BYTES) this.#socket.resume();
    return n;
  }

  #settle(error: Error | null): void {
    if (error && !this.#ended) this.#failure = error;
    this.#ended = true;
    this.#resume();
  }

  #resume(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
