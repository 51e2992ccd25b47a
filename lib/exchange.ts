/**
 * One request and its response, as a worker handles it: parse the head, read or drain the body,
 * route, and stream the response back under a credit window.
 *
 * The exchange talks to the main thread only through {@linkcode ExchangeIo}, so flow control is
 * explicit: it pulls request bytes when the parser needs them, and it never has more than the
 * window's worth of response bytes unacknowledged, however large the file or slow the client.
 *
 * @module
 */
import { HttpError } from "./http/errors.ts";
import { type RequestHead, RequestParser } from "./http/parser.ts";
import { headText, writeHead } from "./http/serializer.ts";
import { httpDate } from "./http/date.ts";
import { type ResponseBody, serveStatic, type StaticResponse } from "./static/handler.ts";
import { errorPage } from "./static/pages.ts";
import type { FileCache } from "./static/cache.ts";
import { FILE_CHUNK_BYTES } from "./protocol.ts";

/** Where an exchange is: `head` → `body` → `responding` → `done`, or `aborted` from any. */
export type ExchangeState = "head" | "body" | "responding" | "done" | "aborted";

/** What an exchange needs from its worker: settings and the channel operations. */
export interface ExchangeIo {
  root: string;
  /** The worker's cache of hot files. */
  cache: FileCache;
  serverHeader: string;
  windowBytes: number;
  maxPayload: number;
  maxBodyBytes: number;
  /**
   * The worker's one scratch buffer (maxPayload bytes) for assembling a record; its contents
   * are copied into the ring by `send`, so it is free again as soon as `send` returns.
   */
  scratch: Uint8Array;
  parser: RequestParser;
  /** Whether sent records wait in the worker's local queue because the ring is full. */
  backlogged(): boolean;
  /** Resolves when the worker's local queue of records is empty. */
  whenFlushed(): Promise<void>;
  /** Asks the main thread for up to `bytes` more request bytes. */
  pull(bytes: number): void;
  /** Sends response bytes; with `end` the exchange is over and `leftover` goes back. */
  send(bytes: Uint8Array, end?: { close: boolean; leftover: Uint8Array }): void;
  /** Writes one access-log line. */
  log(entry: AccessEntry): void;
}

/** One access-log entry. */
export interface AccessEntry {
  requestLine: string;
  status: number;
  bytes: number;
  startedAt: number;
}

/** A request in progress on a worker; owns its open file until it ends. */
export class Exchange {
  #io: ExchangeIo;
  #state: ExchangeState = "head";
  #unacked = 0;
  #wake: (() => void) | null = null;
  #eof = false;
  #startedAt = performance.now();

  /**
   * Starts handling a request whose head bytes are `head`.
   *
   * @param io the worker's services for this request
   * @param head the request bytes the main thread dispatched (fed to the parser, which copies)
   */
  constructor(io: ExchangeIo, head: Uint8Array) {
    this.#io = io;
    io.parser.feed(head);
  }

  /** Where the exchange is. */
  get state(): ExchangeState {
    return this.#state;
  }

  /**
   * Request bytes the main thread sent after a pull.
   *
   * @param bytes the bytes (fed to the parser, which copies)
   * @param eof whether the client closed its sending side
   */
  receive(bytes: Uint8Array, eof: boolean): void {
    this.#io.parser.feed(bytes);
    if (eof) this.#eof = true;
    this.#resume();
  }

  /**
   * Response bytes reached the socket: reopen the window.
   *
   * @param bytes how many
   */
  credit(bytes: number): void {
    this.#unacked = Math.max(0, this.#unacked - bytes);
    this.#resume();
  }

  /** The connection is gone: stop at the next step and release resources. */
  abort(): void {
    if (this.#state === "done") return;
    this.#state = "aborted";
    this.#resume();
  }

  /**
   * Handles the request to its end; never throws.
   *
   * @returns when the response is sent, or the exchange aborted
   */
  async run(): Promise<void> {
    let head: RequestHead | null = null;
    try {
      head = await this.#readHead();
      if (head === null) return this.#finish({ close: true, leftover: new Uint8Array() });
      let close = !head.keepAlive;
      let response: StaticResponse | null = null;
      if (head.framing.kind !== "none") {
        // A client waiting for 100-continue is answered without its body being read.
        response = head.expectContinue ? null : await this.#drainBody(head);
        close ||= head.expectContinue || response !== null;
      }
      response ??= this.#route(head);
      await this.#respond(head, response, close);
    } catch (error) {
      await this.#fail(head, error);
    }
  }

  async #readHead(): Promise<RequestHead | null> {
    for (;;) {
      const event = this.#io.parser.next();
      if (event.kind === "head") return event.head;
      if (!(await this.#needData())) return null;
    }
  }

  /** Reads and discards the body (static routes use none), or returns the 413 that refuses it. */
  async #drainBody(head: RequestHead): Promise<StaticResponse | null> {
    const { framing } = head;
    if (framing.kind === "length" && framing.length > this.#io.maxBodyBytes) {
      return errorResponse(413);
    }
    this.#state = "body";
    let received = 0;
    for (;;) {
      const event = this.#io.parser.next();
      if (event.kind === "end") return null;
      if (event.kind === "body") {
        received += event.data.byteLength;
        if (received > this.#io.maxBodyBytes) return errorResponse(413);
      } else if (!(await this.#needData())) {
        throw new HttpError(400, "incomplete-body", "Client closed the connection mid-body");
      }
    }
  }

  /** Pulls more request bytes; false when the client has closed or the exchange aborted. */
  async #needData(): Promise<boolean> {
    if (this.#eof || this.#isAborted()) return false;
    const before = this.#io.parser.bufferedBytes;
    this.#io.pull(this.#io.maxPayload);
    while (this.#io.parser.bufferedBytes === before && !this.#eof && !this.#isAborted()) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    return !this.#isAborted() && (this.#io.parser.bufferedBytes > before || !this.#eof);
  }

  #route(head: RequestHead): StaticResponse {
    return serveStatic(
      { method: head.method, target: head.target, headers: head.headers },
      { root: this.#io.root, cache: this.#io.cache },
    );
  }

  async #respond(
    head: RequestHead | null,
    response: StaticResponse,
    close: boolean,
  ): Promise<void> {
    this.#state = "responding";
    const headers = [...response.headers, ...this.#commonHeaders(head, close)];
    const text = headText({ status: response.status, headers });
    const end = { close, leftover: close ? new Uint8Array() : this.#io.parser.takeBuffered() };
    const sent = text.length + await this.#sendBody(text, response.body, { head, end });
    this.#io.log({
      requestLine: head ? `${head.method} ${head.target} ${head.version}` : "-",
      status: response.status,
      bytes: sent,
      startedAt: this.#startedAt,
    });
  }

  #commonHeaders(head: RequestHead | null, close: boolean): [string, string][] {
    const headers: [string, string][] = [["date", httpDate()], ["server", this.#io.serverHeader]];
    if (close) headers.push(["connection", "close"]);
    else if (head?.version === "HTTP/1.0") headers.push(["connection", "keep-alive"]);
    return headers;
  }

  /**
   * Sends the head (as text) and the body, ending the exchange; returns the body bytes sent.
   * Every record is assembled in the worker's scratch buffer, so a response allocates nothing.
   */
  async #sendBody(head: string, body: ResponseBody, options: SendOptions): Promise<number> {
    const { end } = options;
    if (options.head?.method === "HEAD" || body.kind === "empty") {
      if (body.kind === "file") body.file.close();
      await this.#sendBytes(head, new Uint8Array(), end);
      return 0;
    }
    if (body.kind === "bytes") {
      await this.#sendBytes(head, body.bytes, end);
      return body.bytes.byteLength;
    }
    try {
      return await this.#streamFile(head, body, end);
    } finally {
      body.file.close();
    }
  }

  /**
   * Streams a file in chunks read straight into the worker's scratch buffer, the first one
   * after the head. The window is awaited before each read, and read and send follow with no
   * await between them, so one scratch buffer serves every exchange of the worker.
   */
  async #streamFile(head: string, body: FileBody, end: ExchangeEnd): Promise<number> {
    const { file, length } = body;
    const scratch = this.#io.scratch;
    let sent = 0;
    let first = true;
    while (first || sent < length) {
      const at = first ? head.length : 0;
      const want = Math.min(FILE_CHUNK_BYTES, scratch.byteLength - at, length - sent);
      await this.#waitWindow(at + want);
      if (this.#io.backlogged()) await this.#io.whenFlushed();
      if (this.#isAborted()) throw new AbortedError();
      if (first) writeHead(head, scratch);
      first = false;
      // Sync read: see locate.ts on why worker file I/O is synchronous.
      const n = want === 0 ? 0 : file.readSync(scratch.subarray(at, at + want));
      if (n === null) throw new Error(`file ended after ${sent} of ${length} bytes`);
      sent += n;
      this.#send(scratch.subarray(0, at + n), sent === length ? end : undefined);
    }
    return sent;
  }

  /** Sends the head and then `bytes`, in records of at most the scratch buffer's size. */
  async #sendBytes(head: string, bytes: Uint8Array, end: ExchangeEnd): Promise<void> {
    const scratch = this.#io.scratch;
    let sent = 0;
    let first = true;
    while (first || sent < bytes.byteLength) {
      const at = first ? head.length : 0;
      const n = Math.min(scratch.byteLength - at, bytes.byteLength - sent);
      await this.#waitWindow(at + n);
      if (first) writeHead(head, scratch);
      first = false;
      scratch.set(bytes.subarray(sent, sent + n), at);
      sent += n;
      this.#send(scratch.subarray(0, at + n), sent === bytes.byteLength ? end : undefined);
    }
  }

  /** Resolves once `bytes` more fit the window; throws when the exchange was aborted. */
  async #waitWindow(bytes: number): Promise<void> {
    while (
      this.#unacked > 0 && this.#unacked + bytes > this.#io.windowBytes && !this.#isAborted()
    ) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    if (this.#isAborted()) throw new AbortedError();
  }

  #send(bytes: Uint8Array, end: ExchangeEnd | undefined): void {
    this.#unacked += bytes.byteLength;
    if (end) this.#state = "done";
    this.#io.send(bytes, end);
  }

  /** Ends the exchange without (more) response bytes. */
  #finish(end: ExchangeEnd): void {
    if (this.#isAborted() || this.#state === "done") return;
    this.#state = "done";
    this.#io.send(new Uint8Array(), end);
  }

  async #fail(head: RequestHead | null, error: unknown): Promise<void> {
    if (this.#isAborted() || error instanceof AbortedError) return;
    if (this.#state === "responding") {
      console.error(`response failed after its head was sent: ${describe(error)}`);
      return this.#finish({ close: true, leftover: new Uint8Array() });
    }
    if (!(error instanceof HttpError)) console.error(`request failed: ${describe(error)}`);
    const status = error instanceof HttpError ? error.status : 500;
    await this.#respond(head, errorResponse(status), true).catch(() => {});
  }

  /** A method, not a field test, so the compiler does not narrow it across awaits. */
  #isAborted(): boolean {
    return this.#state === "aborted";
  }

  #resume(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}

/** How an exchange ends: close the connection or not, and the request bytes it did not use. */
interface ExchangeEnd {
  close: boolean;
  leftover: Uint8Array;
}

interface SendOptions {
  head: RequestHead | null;
  end: ExchangeEnd;
}

type FileBody = Extract<ResponseBody, { kind: "file" }>;

/** Thrown inside an exchange to unwind once the connection is gone. */
class AbortedError extends Error {}

function errorResponse(status: number): StaticResponse {
  const bytes = errorPage(status);
  return {
    status,
    headers: [["content-type", "text/html; charset=utf-8"], [
      "content-length",
      String(bytes.byteLength),
    ]],
    body: { kind: "bytes", bytes },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
