/**
 * One request and its response, as a worker handles it: parse the head, hand the request to the
 * handler, stream the answer back under the credit window, and finish the request body so the
 * next request on the connection is found.
 *
 * The exchange talks to its I/O thread only through {@linkcode ExchangeIo}, so flow control is
 * explicit: it pulls request bytes when someone reads them, and never has more than the window's
 * worth of response bytes unacknowledged, however large the file or slow the client.
 *
 * @module
 */
import { HttpError } from "../http/errors.ts";
import { type ParserLimits, type RequestHead, RequestParser } from "../http/parser.ts";
import { headText } from "../http/serializer.ts";
import { httpDate } from "../http/date.ts";
import { statusResponse, textResponse } from "../http/pages.ts";
import { preferredMedia } from "../http/qvalues.ts";
import {
  AbortedError,
  type ResponseEnd,
  ResponseWriter,
  type WriterIo,
} from "./response_writer.ts";
import type { BufferShelf } from "./shelf.ts";
import { type AccessRecord, CLIENT_CLOSED, type Ending } from "./access_log.ts";
import { RequestBody } from "./request_body.ts";
import {
  type IncomingRequest,
  isBodiless,
  type PlannedResponse,
  releaseBody,
  type RequestHandler,
  type Upgrade,
} from "./handler.ts";

/** Where an exchange is: `head` → `handling` → `responding` → `done`, or `aborted` from any. */
export type ExchangeState = "head" | "handling" | "responding" | "done" | "aborted";

/** What exchanges need from their worker, shared by all of them: one object per worker. */
export interface ExchangeIo extends WriterIo {
  handle: RequestHandler;
  serverHeader: string;
  maxBodyBytes: number;
  /** Largest pull the I/O thread can answer in one record. */
  maxPull: number;
  /** Limits for each request's parser. */
  limits: ParserLimits;
  /** Buffers lent to parsers, given back by exchanges whose request had no body. */
  parserStorage: BufferShelf;
  /** Asks the I/O thread for up to `bytes` more bytes of a request. */
  pull(stream: number, bytes: number): void;
  /** Writes one access-log line; absent when nothing is logged (--quiet). */
  log?: (entry: AccessEntry) => void;
  /** The exchange of a stream is over: its response is sent, or it was aborted or failed. */
  finished?: (stream: number, exchange: Exchange) => void;
  /** Logs a request that failed with an error that is not the client's (a bug, an app's throw). */
  logError(failure: Failure): void;
  /** Logs, at info, a response that went out with something to say of the app's doing. */
  logNotice(notice: { head: RequestHead | null; reason: string }): void;
  /** Sends a 101 head and makes the connection a tunnel driven by the handoff's socket. */
  upgrade?: (handoff: Handoff) => void;
}

/** A connection an app switched to WebSocket, handed from its exchange to a tunnel. */
export interface Handoff {
  stream: number;
  /** The 101 head. */
  head: Uint8Array;
  /** The app's socket: accepted once the switch is confirmed, else refused. */
  socket: Upgrade;
  /** The switch is confirmed: the 101 goes to the access log (a refused one never does). */
  switched: () => void;
  /** Client bytes received after the request head. */
  leftover: Uint8Array;
}

/** A request that failed: its head if parsed, the error, and whether its head had gone out. */
export interface Failure {
  head: RequestHead | null;
  error: unknown;
  afterHead: boolean;
}

/** One access-log entry: an `AccessRecord` with every field the exchange knows, less the worker. */
export type AccessEntry = Required<Omit<AccessRecord, "worker">>;

/** The request an exchange starts from. */
export interface ExchangeStart {
  stream: number;
  remote: string;
  port: number;
  /** The request bytes the I/O thread dispatched (fed to the parser, which copies). */
  head: Uint8Array;
}

const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");
const NOTHING = new Uint8Array();
const EMPTY: PlannedResponse["body"] = { kind: "empty" };
const headEncoder = new TextEncoder();
/** The body of every request without one: already at its end, shared. */
const NO_BODY = RequestBody.none();

/**
 * A request in progress on a worker.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Exchange, type ExchangeIo } from "./exchange.ts";
 * import { BufferShelf } from "./shelf.ts";
 * const sent: string[] = [];
 * const io: ExchangeIo = {
 *   handle: () => ({ status: 204, headers: [], body: { kind: "empty" } }),
 *   serverHeader: "heiretsu/0",
 *   windowBytes: 65536,
 *   maxBodyBytes: 1024,
 *   maxPull: 65536,
 *   limits: { maxRequestLineBytes: 8192, maxHeaderBytes: 32768, maxHeaderCount: 100 },
 *   parserStorage: new BufferShelf(4096, 4),
 *   scratch: new Uint8Array(65536),
 *   backlogged: () => false,
 *   whenFlushed: () => Promise.resolve(),
 *   pull: () => {},
 *   log: () => {},
 *   logError: () => {},
 *   logNotice: () => {},
 *   send: (_stream, bytes) => void sent.push(new TextDecoder().decode(bytes)),
 * };
 * const head = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
 * const exchange = new Exchange(io, { stream: 1, remote: "127.0.0.1", port: 1, head });
 * await exchange.run();
 * assert.equal(exchange.state, "done");
 * assert.match(sent.join(""), /^HTTP\/1.1 204 No Content\r\n/);
 * ```
 */
export class Exchange {
  #io: ExchangeIo;
  #stream: number;
  #remote: string;
  #port: number;
  #parser: RequestParser;
  /** Made on first use, like the abort signal. */
  #completed: PromiseWithResolvers<void> | null = null;
  #state: ExchangeState = "head";
  #writer: ResponseWriter | null = null;
  #wake: (() => void) | null = null;
  #eof = false;
  /** Made on first use: most handlers never look at the signal. */
  #aborted: AbortController | null = null;
  /** For the access log's duration; 0 when nothing is logged (a clock read costs ~90 ns). */
  #startedAt: number;
  /** For the access log: the request, the status and head size sent, and whether it is out. */
  #head: RequestHead | null = null;
  #status = 0;
  #headBytes = 0;
  #logged = false;
  /** Lent to the parser; null once given back, after which nothing may feed the parser. */
  #storage: Uint8Array | null;

  /**
   * Starts handling a request.
   *
   * @param io the worker's services, shared by its exchanges
   * @param start the request's stream, client address and head bytes
   */
  constructor(io: ExchangeIo, start: ExchangeStart) {
    this.#io = io;
    this.#startedAt = io.log === undefined ? 0 : performance.now();
    this.#stream = start.stream;
    this.#remote = start.remote;
    this.#port = start.port;
    this.#storage = io.parserStorage.take();
    this.#parser = new RequestParser(io.limits, this.#storage);
    this.#parser.feed(start.head);
  }

  /** Where the exchange is. */
  get state(): ExchangeState {
    return this.#state;
  }

  /**
   * Request bytes the I/O thread sent after a pull.
   *
   * @param bytes the bytes (fed to the parser, which copies)
   * @param eof whether the client closed its sending side
   */
  receive(bytes: Uint8Array, eof: boolean): void {
    if (this.#storage === null) return;
    this.#parser.feed(bytes);
    if (eof) {
      this.#eof = true;
      this.#aborted?.abort(new AbortedError("the client closed its side"));
      if (this.#writer?.streaming && !this.#isAborted()) return this.#hangUp();
    }
    this.#resume();
  }

  /**
   * Response bytes reached the socket: reopen the window.
   *
   * @param bytes how many
   */
  credit(bytes: number): void {
    this.#writer?.credit(bytes);
  }

  /** The connection is gone: stop at the next step and release resources. */
  abort(): void {
    if (this.#state === "done") return;
    // Logged here, not when run() unwinds: a handler may never settle, and at the end of the
    // shutdown grace period the worker is stopped right after this.
    if (this.#head !== null) this.#log("aborted");
    this.#state = "aborted";
    this.#writer?.abort();
    this.#aborted?.abort(new AbortedError("the client went away"));
    this.#completed?.resolve();
    this.#resume();
  }

  /**
   * The client closed its sending side while a streamed body goes out, or before it began: the
   * exchange ends at once, as if the connection were gone (the app's stream is cancelled, its
   * signal aborts, `completed` settles, the access line says 499) and the I/O thread closes the
   * connection. TCP cannot tell a client that half-closed from one that left, and a stream may
   * never end (server-sent events), nor write again to find out. A body whose length is known
   * (bytes, a file) is still sent whole: `nc -q` half-closes after its request and reads on.
   */
  #hangUp(): void {
    this.abort();
    // Bytes still queued on the I/O thread would hold the socket for a client that may not
    // read them, until the send timeout: they are dropped.
    this.#io.send(this.#stream, NOTHING, { close: true, reset: true, leftover: NOTHING });
  }

  /**
   * Handles the request to its end; never throws.
   *
   * @returns when the response is sent, or the exchange aborted
   */
  async run(): Promise<void> {
    let head: RequestHead | null = null;
    try {
      const reading = this.#readHead();
      head = reading instanceof Promise ? await reading : reading;
      if (head === null) return this.#finish({ close: true, leftover: NOTHING });
      const body = head.framing.kind === "none" ? NO_BODY : new RequestBody(this.#bodySource(head));
      const { framing } = head;
      if (framing.kind === "length" && framing.length > this.#io.maxBodyBytes) {
        throw new HttpError(
          413,
          "body-too-large",
          `Request body of ${framing.length} bytes is too large`,
        );
      }
      if (!this.#enter("handling")) return;
      const handled = this.#io.handle(this.#incoming(head, body));
      const response = handled instanceof Promise ? await handled : handled;
      if (response.upgrade !== undefined) return this.#upgrade(head, response);
      // A response sent at once (a small file) costs no await: its turn was a tenth of a request.
      const responding = this.#respond(head, response, body);
      if (responding !== undefined) await responding;
    } catch (error) {
      await this.#fail(head, error);
    } finally {
      this.#completed?.resolve();
      // As `Deno.serve` does: an app that cleans up on abort cleans up after every response.
      this.#aborted?.abort(responseDone());
      // A body's stream may be read after the response (an app can keep it), so only a request
      // without one is sure never to touch the parser again.
      if (head === null || head.framing.kind === "none") {
        this.#io.parserStorage.give(this.#storage!);
        this.#storage = null;
      }
      this.#io.finished?.(this.#stream, this);
    }
  }

  #incoming(head: RequestHead, body: RequestBody): IncomingRequest {
    return new Incoming({ head, remote: this.#remote, port: this.#port, body, exchange: this });
  }

  /**
   * A promise that settles when the exchange is over (sent or aborted), made on first use.
   *
   * @returns the promise
   */
  completed(): Promise<void> {
    this.#completed ??= Promise.withResolvers<void>();
    if (this.#state === "done" || this.#isAborted()) this.#completed.resolve();
    return this.#completed.promise;
  }

  /**
   * The signal that aborts when the client goes away or the response is done, made on first use.
   *
   * @returns the signal
   */
  signal(): AbortSignal {
    if (this.#aborted !== null) return this.#aborted.signal;
    this.#aborted = new AbortController();
    if (this.#isAborted() || this.#eof) {
      this.#aborted.abort(new AbortedError("the client went away"));
    } else if (this.#state === "done") this.#aborted.abort(responseDone());
    return this.#aborted.signal;
  }

  /** The head, at once when its bytes are all here (as the I/O thread sends them). */
  #readHead(): RequestHead | null | Promise<RequestHead | null> {
    const event = this.#parser.next();
    return event.kind === "head" ? (this.#head = event.head) : this.#readRestOfHead();
  }

  async #readRestOfHead(): Promise<RequestHead | null> {
    for (;;) {
      if (!(await this.#needData())) return null;
      const event = this.#parser.next();
      if (event.kind === "head") return (this.#head = event.head);
    }
  }

  #bodySource(head: RequestHead) {
    return {
      parser: this.#parser,
      maxBodyBytes: this.#io.maxBodyBytes,
      needData: () => this.#needData(),
      onFirstRead: () => {
        if (head.expectContinue && this.#state === "handling") {
          this.#io.send(this.#stream, CONTINUE);
        }
      },
    };
  }

  /** Pulls more request bytes; false when the client has closed or the exchange aborted. */
  async #needData(): Promise<boolean> {
    if (this.#eof || this.#isAborted()) return false;
    const before = this.#parser.bufferedBytes;
    this.#io.pull(this.#stream, this.#io.maxPull);
    while (this.#parser.bufferedBytes === before && !this.#eof && !this.#isAborted()) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    return !this.#isAborted() && (this.#parser.bufferedBytes > before || !this.#eof);
  }

  /**
   * Sends the response. When the body was read to its end, the last record also ends the
   * exchange; otherwise the rest of the body is drained first (or the connection closed).
   */
  #respond(
    head: RequestHead | null,
    response: PlannedResponse,
    body: RequestBody | null,
  ): void | Promise<void> {
    // A client still waiting for 100 Continue never sends its body: say the connection ends.
    const unsentBody = head?.expectContinue === true && body?.state === "unread";
    let close = head === null || !head.keepAlive || body === null || unsentBody;
    const { status } = response;
    const bodiless = head?.method === "HEAD" || isBodiless(status) ||
      response.body.kind === "empty";
    const streamed = !bodiless && response.body.kind === "stream" &&
      !hasHeader(response.headers, "content-length");
    const chunked = streamed && head?.version === "HTTP/1.1";
    // Without a length or chunking, the end of the body is the end of the connection.
    if (streamed && !chunked) close = true;
    // The client closed its side before a streamed body began: see #hangUp.
    if (this.#eof && !bodiless && response.body.kind === "stream" && !this.#isAborted()) {
      releaseBody(response.body);
      this.#hangUp();
      throw new AbortedError();
    }
    const early = body === null || body.state === "done";
    const text = this.#headText(head, response, { close, chunked });
    if (!this.#enter("responding")) {
      // The client left while the handler worked: nothing will credit a writer now.
      releaseBody(response.body);
      throw new AbortedError();
    }
    this.#writer = new ResponseWriter(this.#io, this.#stream);
    this.#status = status;
    this.#headBytes = text.length;
    const end = early ? this.#end(close) : undefined;
    const after = { head, body, close, end };
    // The writer never throws: a failure comes as a rejected promise.
    // A stream with its length (an app's Content-Length) must give exactly that many bytes.
    const length = streamed || bodiless ? undefined : declaredLength(response);
    const sending = this.#sendBody(text, bodiless ? EMPTY : response.body, {
      chunked,
      length,
      end,
    });
    if (sending === undefined) {
      releaseBody(response.body);
      return this.#sent(after);
    }
    return sending.finally(() => releaseBody(response.body)).then(() => this.#sent(after));
  }

  /** A 101 from `Deno.upgradeWebSocket`: the head goes out, the connection becomes a tunnel. */
  #upgrade(head: RequestHead, response: PlannedResponse): void {
    const socket = response.upgrade!;
    const upgrade = this.#io.upgrade;
    if (head.framing.kind !== "none" || head.version !== "HTTP/1.1" || upgrade === undefined) {
      const reason = "A WebSocket upgrade must be an HTTP/1.1 GET without a body";
      socket.refuse(reason);
      throw new HttpError(400, "bad-upgrade", reason);
    }
    if (!this.#enter("done")) {
      // The client left while the app worked: its socket hears it at once.
      socket.refuse("the client went away before the upgrade");
      throw new AbortedError();
    }
    const text = headText(response, this.#serverHeaders(head, { close: false, chunked: false }));
    this.#status = 101;
    this.#headBytes = text.length;
    const leftover = this.#parser.takeBuffered();
    const switched = () => this.#log("complete");
    upgrade({ stream: this.#stream, head: headEncoder.encode(text), socket, leftover, switched });
  }

  /** The response is out: the exchange is done, or the rest of the request body is drained. */
  #sent(after: {
    head: RequestHead | null;
    body: RequestBody | null;
    close: boolean;
    end: ResponseEnd | undefined;
  }): void | Promise<void> {
    if (after.end) this.#enter("done");
    this.#log("complete");
    // No end yet: the request body was still coming when the response went out.
    if (after.end === undefined) return this.#finishBody(after.head!, after.body!, after.close);
  }

  /**
   * The response head's text. One that cannot be sent (larger than the record a worker sends,
   * its scratch buffer: 512 KiB) fails here, before any byte went out, so the client gets a 500.
   */
  #headText(
    head: RequestHead | null,
    response: PlannedResponse,
    framing: { close: boolean; chunked: boolean },
  ): string {
    try {
      const text = headText(response, this.#serverHeaders(head, framing));
      const limit = this.#io.scratch.byteLength;
      if (text.length > limit) {
        throw new Error(
          `a response head of ${text.length} bytes cannot be sent: a worker sends at most ${limit} bytes in one record`,
        );
      }
      return text;
    } catch (error) {
      releaseBody(response.body);
      throw error;
    }
  }

  #sendBody(
    text: string,
    body: PlannedResponse["body"],
    options: { chunked: boolean; length: number | undefined; end: ResponseEnd | undefined },
  ): void | Promise<void> {
    const writer = this.#writer!;
    const { end, length } = options;
    switch (body.kind) {
      case "empty":
        return writer.sendParts(text, { parts: [], end });
      case "bytes":
        return writer.sendParts(text, { parts: [body.bytes], end });
      case "file":
        return writer.sendParts(text, { parts: [body], end });
      case "parts":
        return writer.sendParts(text, { parts: body.parts, end });
      case "stream":
        return writer.sendStream(text, {
          stream: body.stream,
          chunked: options.chunked,
          length,
          end,
          onUnended: (reason) => this.#io.logNotice({ head: this.#head, reason }),
        });
    }
  }

  /** After a response sent before its request body ended: drain it, or close if that fails. */
  async #finishBody(head: RequestHead, body: RequestBody, close: boolean): Promise<void> {
    // A client still waiting for 100 Continue never sends its body: the connection cannot go on.
    let drained = !(head.expectContinue && body.state === "unread");
    if (drained && !close) drained = await body.drain().then(() => true, () => false);
    this.#finish(this.#end(close || !drained));
  }

  #end(close: boolean): ResponseEnd {
    return { close, leftover: close ? NOTHING : this.#parser.takeBuffered() };
  }

  /** The fields the server adds to every response: framing, Date, Server, Connection. */
  #serverHeaders(
    head: RequestHead | null,
    framing: { close: boolean; chunked: boolean },
  ): [string, string][] {
    const { close, chunked } = framing;
    const headers: [string, string][] = [["date", httpDate()], ["server", this.#io.serverHeader]];
    if (chunked) headers.unshift(["transfer-encoding", "chunked"]);
    if (close) headers.push(["connection", "close"]);
    else if (head?.version === "HTTP/1.0") headers.push(["connection", "keep-alive"]);
    return headers;
  }

  /** The request's one access-log line: the bytes the way it ended counts, once. */
  #log(ended: Ending): void {
    if (this.#logged) return;
    this.#logged = true;
    const log = this.#io.log;
    // --quiet: the line is not even made.
    if (log === undefined) return;
    const head = this.#head;
    const writer = this.#writer;
    const sent = writer === null ? 0 : ended === "aborted" ? writer.writtenBytes : writer.sentBytes;
    const headBytes = Math.min(sent, this.#headBytes);
    log({
      remote: this.#remote,
      requestLine: head ? `${head.method} ${head.target} ${head.version}` : "-",
      status: writer === null && this.#status === 0 ? CLIENT_CLOSED : this.#status,
      bytes: sent - headBytes,
      headBytes,
      ended,
      startedAt: this.#startedAt,
      referer: head ? headerValue(head, "referer") : null,
      userAgent: head ? headerValue(head, "user-agent") : null,
    });
  }

  /** Ends the exchange without (more) response bytes. */
  #finish(end: ResponseEnd): void {
    if (this.#isAborted() || this.#state === "done") return;
    this.#state = "done";
    this.#io.send(this.#stream, NOTHING, end);
  }

  async #fail(head: RequestHead | null, error: unknown): Promise<void> {
    if (this.#isAborted()) return;
    // The app gave up with the reason of its request's signal: the client closed its side (as
    // `fetch(upstream, { signal })` rejects). No error of the app's, and the client sends no
    // more: end with a close, or the connection would wait for the watchdog.
    if (error instanceof AbortedError) {
      this.#log(this.#writer === null ? "aborted" : "failed");
      return this.#finish({ close: true, leftover: NOTHING });
    }
    if (this.#state === "responding") {
      this.#io.logError({ head, error, afterHead: true });
      this.#log("failed");
      return this.#finish({ close: true, leftover: NOTHING });
    }
    const status = error instanceof HttpError ? error.status : 500;
    // A 500 is ours (an app's throw, a header it set that cannot be sent): its reason goes to
    // the error log. A 4xx, 501 or 505 answers what the client sent, and its access line says so.
    if (status === 500) this.#io.logError({ head, error, afterHead: false });
    try {
      await this.#respond(head, errorResponse(status, head), null);
    } catch {
      // The client left before its error page went out: nothing more to tell it.
    }
  }

  /**
   * Moves on to `next` unless the exchange has already ended (the client left, or the response
   * is done): an abort that arrives while the handler runs must stick.
   */
  #enter(next: "handling" | "responding" | "done"): boolean {
    if (this.#state === "aborted" || this.#state === "done") return false;
    this.#state = next;
    return true;
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

/**
 * The request a handler gets. A class, not an object literal with a getter: a literal's getter
 * is a new closure per request, and that made every request 40% slower on the worker.
 */
class Incoming implements IncomingRequest {
  readonly head: RequestHead;
  readonly remote: string;
  readonly port: number;
  readonly body: RequestBody;
  #exchange: Exchange;

  constructor(
    parts: {
      head: RequestHead;
      remote: string;
      port: number;
      body: RequestBody;
      exchange: Exchange;
    },
  ) {
    this.head = parts.head;
    this.remote = parts.remote;
    this.port = parts.port;
    this.body = parts.body;
    this.#exchange = parts.exchange;
  }

  get signal(): AbortSignal {
    return this.#exchange.signal();
  }

  get completed(): Promise<void> {
    return this.#exchange.completed();
  }
}

/** The body of a 500 for a client that does not prefer HTML, as `Deno.serve` sends it. */
const INTERNAL_ERROR_TEXT = "Internal Server Error";
const ERROR_MEDIA = ["text/plain", "text/html"];

/**
 * The answer to a failed request: the status page, but for a 500 (an app's error) plain text
 * unless the client's Accept prefers HTML (a browser's does; curl's and fetch's do not).
 */
function errorResponse(status: number, head: RequestHead | null): PlannedResponse {
  if (status !== 500 || head === null) return statusResponse(status);
  const accept = headerValue(head, "accept") ?? undefined;
  if (preferredMedia(accept, ERROR_MEDIA) === "text/html") return statusResponse(status);
  return textResponse(status, { text: INTERNAL_ERROR_TEXT });
}

/** The reason a request's signal aborts when its response is done, as `Deno.serve` gives it. */
function responseDone(): DOMException {
  return new DOMException("The request has been completed: its response is sent", "AbortError");
}

/** The Content-Length of a streamed response, which the writer holds it to; else undefined. */
function declaredLength(response: PlannedResponse): number | undefined {
  if (response.body.kind !== "stream") return undefined;
  for (const [name, value] of response.headers) if (name === "content-length") return Number(value);
  return undefined;
}

function headerValue(head: RequestHead, name: string): string | null {
  for (const [key, value] of head.headers) if (key === name) return value;
  return null;
}

function hasHeader(headers: ReadonlyArray<readonly [string, string]>, name: string): boolean {
  return headers.some(([key]) => key === name);
}
