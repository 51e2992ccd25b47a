/**
 * TLS on an I/O thread, over a TCP connection the server owns.
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
import { createPrivateKey, X509Certificate } from "node:crypto";

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
/** Bytes of one read from the socket: one TLS record, at most, over the read-ahead. */
const RAW_READ_BYTES = 16 * 1024;
/**
 * Most plaintext given to TLS per write: one record. A write resolves when its bytes are in the
 * socket, and the send timeout counts progress per write, so a slow but steady reader is never
 * taken for one that stopped.
 */
const WRITE_PIECE_BYTES = 16 * 1024;
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

/**
 * Reads `--cert` and `--key` (the supervisor does: I/O threads may read nothing but their own
 * code) and checks that they make a context, saying in words what is wrong when they do not: no
 * certificate in the file, no key, a key that does not match.
 *
 * @param files the certificate and key file paths
 * @returns the PEM text of both, for {@linkcode tlsContext} in each I/O thread
 * @throws {Error} with a line a person can act on
 * @example
 * ```ts ignore
 * import { readTlsFiles, tlsContext } from "./tls.ts";
 * const context = tlsContext(readTlsFiles({ cert: "cert.pem", key: "key.pem" }));
 * ```
 */
export function readTlsFiles(files: { cert: string; key: string }): { cert: string; key: string } {
  const cert = Deno.readTextFileSync(files.cert);
  const key = Deno.readTextFileSync(files.key);
  if (!/-----BEGIN CERTIFICATE-----/.test(cert)) {
    const swapped = /PRIVATE KEY-----/.test(cert) ? " (it holds a private key: swapped?)" : "";
    throw new Error(
      `no certificate found in ${files.cert}${swapped}: --cert takes the PEM file with "-----BEGIN CERTIFICATE-----"`,
    );
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) {
    const swapped = /BEGIN CERTIFICATE/.test(key) ? " (it holds a certificate: swapped?)" : "";
    throw new Error(
      `no private key found in ${files.key}${swapped}: --key takes the PEM file with "-----BEGIN PRIVATE KEY-----"`,
    );
  }
  if (/ENCRYPTED/.test(key)) {
    throw new Error(
      `the key in ${files.key} is encrypted with a passphrase: decrypt it first (openssl pkey -in ${files.key} -out plain-key.pem)`,
    );
  }
  try {
    // createSecureContext does not compare them here: check that the first certificate (the
    // server's own, before any chain) was made for this key.
    // One file may hold both (as node:tls allows): each check reads only its own PEM block.
    const ownCert = pemBlock(cert, "CERTIFICATE") ?? cert;
    const ownKey = pemBlock(key, "[A-Z ]*PRIVATE KEY") ?? key;
    if (!new X509Certificate(ownCert).checkPrivateKey(createPrivateKey(ownKey))) {
      throw new Error("key values mismatch");
    }
    tlsContext({ cert, key });
    return { cert, key };
  } catch (error) {
    const message = (error as Error).message;
    if (/mismatch|does not match|KEY_VALUES_MISMATCH/i.test(message)) {
      throw new Error(
        `the key in ${files.key} does not match the certificate in ${files.cert}: give the key the certificate was made for`,
      );
    }
    throw new Error(`cannot use ${files.cert} and ${files.key} for HTTPS: ${message}`);
  }
}

/** The first PEM block of a kind (a label pattern) in `text`, or null. */
function pemBlock(text: string, label: string): string | null {
  const block = new RegExp(`-----BEGIN (${label})-----[\\s\\S]*?-----END \\1-----`).exec(text);
  return block === null ? null : block[0];
}

/** A plain HTTP request line starts with a method: an upper-case letter, never a TLS record. */
function looksLikePlainHttp(first: number): boolean {
  return first >= 0x41 && first <= 0x5a;
}

/** The answer to plain HTTP on the HTTPS port, as nginx gives one; then the connection closes. */
const PLAIN_HTTP_ANSWER = (() => {
  const body = "This port speaks HTTPS: open it with https:// instead of http://.\n";
  return new TextEncoder().encode(
    `HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
  );
})();

/**
 * A server-side TLS session over an accepted TCP connection. The socket is read only while the
 * session holds less than {@linkcode READ_AHEAD_BYTES} of decrypted bytes: node:tls reads its
 * stream for as long as bytes come, whatever its own pause says (a client sending without pause
 * took a server to 2.8 GB), so the reading is done here, under that bound.
 */
export class TlsTransport implements Transport {
  readonly remoteAddr: Deno.Addr;
  #conn: Deno.Conn;
  #raw: Duplex;
  #socket: tls.TLSSocket;
  #chunks: Uint8Array[] = [];
  #held = 0;
  #ended = false;
  #failure: Error | null = null;
  #wake: (() => void) | null = null;
  #wakeReader: (() => void) | null = null;
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
    this.#raw = new Duplex({
      // A client that half-closes after its request still gets the response.
      allowHalfOpen: true,
      read: () => this.#resumeReader(),
      write: (chunk: Uint8Array, _encoding, done) => {
        writeAll(conn, chunk).then(() => done(), done);
      },
      final: (done) => {
        conn.closeWrite().then(() => done(), () => done());
      },
    });
    this.#socket = new tls.TLSSocket(this.#raw, {
      isServer: true,
      secureContext: context,
      allowHalfOpen: true,
    } as tls.TLSSocketOptions);
    this.#socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    this.#socket.on("end", () => this.#settle(null));
    this.#socket.on("close", () => this.#settle(null));
    this.#socket.on("error", (error: Error) => this.#settle(error));
    this.#readSocket();
  }

  read(buffer: Uint8Array): Promise<number | null> {
    if (this.#chunks.length > 0) return Promise.resolve(this.#take(buffer));
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#ended) return Promise.resolve(null);
    return new Promise<void>((resolve) => (this.#wake = resolve)).then(() => this.read(buffer));
  }

  write(bytes: Uint8Array): Promise<number> {
    const piece = bytes.subarray(0, WRITE_PIECE_BYTES);
    return new Promise((resolve, reject) => {
      this.#socket.write(piece, (error) => error ? reject(error) : resolve(piece.byteLength));
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
    this.#resumeReader();
    const timer = setTimeout(() => this.#release(), CLOSE_NOTIFY_MS);
    this.#socket.end(() => {
      clearTimeout(timer);
      this.#release();
    });
  }

  /** Feeds the socket's bytes to TLS while there is room for what they decrypt to. */
  async #readSocket(): Promise<void> {
    const buffer = new Uint8Array(RAW_READ_BYTES);
    let first = true;
    while (!this.#closing) {
      if (this.#held >= READ_AHEAD_BYTES || this.#raw.readableLength >= RAW_READ_BYTES) {
        await new Promise<void>((resolve) => (this.#wakeReader = resolve));
        continue;
      }
      let n: number | null;
      try {
        n = await this.#conn.read(buffer);
      } catch (error) {
        this.#raw.destroy(error as Error);
        return;
      }
      if (this.#closing) return;
      if (n === null) {
        this.#raw.push(null);
        return;
      }
      // A ClientHello starts with 0x16; a request line with a method. Answer that in plain
      // text rather than drop it, and never hand it to TLS.
      if (first && looksLikePlainHttp(buffer[0])) return this.#answerPlainHttp();
      first = false;
      this.#raw.push(buffer.slice(0, n));
    }
  }

  async #answerPlainHttp(): Promise<void> {
    try {
      await writeAll(this.#conn, PLAIN_HTTP_ANSWER);
    } catch {
      // The client left already.
    }
    this.#settle(new Error("plain HTTP on the HTTPS port"));
  }

  #release(): void {
    this.#socket.destroy();
    this.#raw.destroy();
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  #onData(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#held += chunk.byteLength;
    this.#resume();
  }

  #take(buffer: Uint8Array): number {
    const chunk = this.#chunks[0];
    const n = Math.min(chunk.byteLength, buffer.byteLength);
    buffer.set(chunk.subarray(0, n));
    if (n === chunk.byteLength) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(n);
    this.#held -= n;
    if (this.#held < READ_AHEAD_BYTES) this.#resumeReader();
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

  #resumeReader(): void {
    const wake = this.#wakeReader;
    this.#wakeReader = null;
    wake?.();
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.byteLength;) at += await conn.write(bytes.subarray(at));
}
