/**
 * @module
 * The incremental HTTP/1.1 request parser (RFC 9112): bytes in through {@link RequestParser.feed},
 * events out through {@link RequestParser.next}. Pure: no I/O, no timers; it answers "need-data"
 * instead of waiting. Every state change goes through one transition table.
 */

import { type ChunkedDecoder, newChunkedDecoder, readChunked } from "./chunked.ts";
import { HttpError } from "./errors.ts";
import { type BodyFraming, buildRequestHead, type RequestHead } from "./head.ts";
import { parseFieldSection } from "./headers.ts";
import { CR } from "./octets.ts";
import { findLineFeed } from "./line_feed.ts";
import { type FieldLimits, newSectionScan, scanFieldSection, type SectionScan } from "./section.ts";
import { readRequestLine, type RequestLine } from "./request_line.ts";

export type { BodyFraming, RequestHead };

/** Size limits of a request head; each one is breached as soon as the bytes prove it. */
export interface ParserLimits extends FieldLimits {
  /** Most bytes of the request line, its line end and any empty lines before it included (414). */
  maxRequestLineBytes: number;
}

/**
 * What {@link RequestParser.next} produced. Body data is a view into the parser's buffer, valid
 * until the next {@link RequestParser.feed}, {@link RequestParser.reset} or
 * {@link RequestParser.takeBuffered} call; copy it to keep it longer.
 */
export type ParserEvent =
  | { kind: "head"; head: RequestHead }
  | { kind: "body"; data: Uint8Array }
  | { kind: "end"; trailers: Array<[string, string]> }
  | { kind: "need-data" }
  | { kind: "paused" };

/**
 * Parser states and their next states:
 * - "head": reading the request line and headers -> "head" (need-data), "body" (head), "error"
 * - "body": reading the body (framing "none" ends at once) -> "body" (body, need-data),
 *   "done" (end), "error"
 * - "done": message complete, answering "paused" -> "head" (reset)
 * - "error": a HttpError was thrown; it is thrown again by every next() -> stays "error"
 *
 * takeBuffered() keeps every state as it is; reset() anywhere but "done" throws a 500 HttpError.
 */
export type ParserState = "head" | "body" | "done" | "error";

// Everything that can move the parser: the events it emits plus the calls that change it.
type ParserTransition = ParserEvent["kind"] | "reset" | "take-buffered" | "fail";

// The only place where the parser's legal moves are written down: state -> input -> next state.
const TRANSITIONS: {
  readonly [S in ParserState]: Readonly<Partial<Record<ParserTransition, ParserState>>>;
} = {
  head: { "need-data": "head", head: "body", "take-buffered": "head", fail: "error" },
  body: { "need-data": "body", body: "body", end: "done", "take-buffered": "body", fail: "error" },
  done: { paused: "done", reset: "head", "take-buffered": "done" },
  error: { "take-buffered": "error" },
};

const NEED_DATA: ParserEvent = Object.freeze({ kind: "need-data" });
const PAUSED: ParserEvent = Object.freeze({ kind: "paused" });
const EMPTY = new Uint8Array(0);
// Room for a typical request head in the first allocation; larger feeds get their own size.
const MIN_CAPACITY = 1024;

function advance(state: ParserState, input: ParserTransition): ParserState {
  const next = TRANSITIONS[state][input];
  if (next === undefined) {
    throw new HttpError(
      500,
      "illegal-parser-transition",
      `Cannot apply "${input}" to a request parser in state "${state}"`,
    );
  }
  return next;
}

function checkLimit(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new HttpError(500, "invalid-parser-limits", `Cannot use ${name} ${value}`);
  }
}

/**
 * Incremental request parser for one connection. Feed bytes as they arrive and call next()
 * until it answers "need-data"; after "end" it answers "paused" until reset().
 *
 * @example Parse a GET request
 * ```ts
 * import assert from "node:assert/strict";
 * import { RequestParser } from "./parser.ts";
 * const parser = new RequestParser({
 *   maxRequestLineBytes: 8192,
 *   maxHeaderBytes: 32768,
 *   maxHeaderCount: 100,
 * });
 * parser.feed(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
 * const event = parser.next();
 * assert.equal(event.kind, "head");
 * assert.equal(event.kind === "head" && event.head.target, "/");
 * assert.equal(parser.next().kind, "end");
 * assert.equal(parser.next().kind, "paused");
 * ```
 */
export class RequestParser {
  #limits: ParserLimits;
  #state: ParserState = "head";
  #failure: HttpError | null = null;
  // Unconsumed input is #buf[#start, #end); scan offsets are relative to #start.
  #buf: Uint8Array = EMPTY;
  #start = 0;
  #end = 0;
  #section: SectionScan = newSectionScan();
  #requestLine: RequestLine | null = null;
  #requestLineEnd = 0;
  #framing: BodyFraming = { kind: "none" };
  #remaining = 0;
  #chunked: ChunkedDecoder = newChunkedDecoder(this.#section);

  /**
   * Creates a parser in state "head".
   *
   * @param limits Size limits; each must be a positive integer.
   * @param storage Optional buffer the caller lends for input while it fits (input that does not
   *   fit moves to a buffer of the parser's own), so a short-lived parser allocates nothing. The
   *   caller must not reuse it while the parser may still be fed or read.
   */
  constructor(limits: ParserLimits, storage?: Uint8Array) {
    if (storage !== undefined) this.#buf = storage;
    const { maxRequestLineBytes, maxHeaderBytes, maxHeaderCount } = limits;
    checkLimit("maxRequestLineBytes", maxRequestLineBytes);
    checkLimit("maxHeaderBytes", maxHeaderBytes);
    checkLimit("maxHeaderCount", maxHeaderCount);
    this.#limits = { maxRequestLineBytes, maxHeaderBytes, maxHeaderCount };
  }

  /** The current state; see {@link ParserState} for the moves out of each one. */
  get state(): ParserState {
    return this.#state;
  }

  /** Number of bytes fed but not yet consumed. */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  /**
   * Appends bytes (copied, so the caller may reuse its array). Ignored in state "error".
   *
   * @param bytes Bytes read from the connection.
   */
  feed(bytes: Uint8Array): void {
    if (bytes.length === 0 || this.#state === "error") return;
    const live = this.#end - this.#start;
    if (this.#end + bytes.length > this.#buf.length) {
      const needed = live + bytes.length;
      // Slide the live bytes to the front when that makes room; grow otherwise.
      if (needed <= this.#buf.length) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        const grown = new Uint8Array(Math.max(needed, 2 * this.#buf.length, MIN_CAPACITY));
        grown.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = grown;
      }
      this.#start = 0;
      this.#end = live;
    }
    this.#buf.set(bytes, this.#end);
    this.#end += bytes.length;
  }

  /**
   * Produces the next event.
   *
   * @returns "head", "body", "end", "need-data" (feed more) or "paused" (call reset()).
   * @throws {HttpError} On bad input; the parser then stays in "error" and throws it again.
   */
  next(): ParserEvent {
    if (this.#failure !== null) throw this.#failure;
    let event: ParserEvent;
    try {
      event = this.#read();
    } catch (error) {
      this.#failure = error instanceof HttpError ? error : new HttpError(
        500,
        "parser-bug",
        `Request parser failed unexpectedly: ${error}`,
      );
      this.#state = advance(this.#state, "fail");
      throw this.#failure;
    }
    this.#state = advance(this.#state, event.kind);
    return event;
  }

  /** Moves from "done" back to "head" for the next request, keeping buffered bytes. */
  reset(): void {
    this.#state = advance(this.#state, "reset");
    this.#section = newSectionScan();
    this.#requestLine = null;
    this.#chunked = newChunkedDecoder(this.#section);
  }

  /**
   * Removes and returns the bytes fed but not consumed: pipelined leftovers once the message is
   * done, or everything after the head when its body is not going to be read. A partly read line
   * (request line, header, chunk-size line or trailer) goes with the bytes and restarts from the
   * next byte fed.
   *
   * @returns A copy of the unconsumed bytes (a shared empty array when there are none).
   */
  takeBuffered(): Uint8Array {
    this.#state = advance(this.#state, "take-buffered");
    // Nothing left over is the common case: no allocation for it.
    const taken = this.#start === this.#end ? EMPTY : this.#buf.slice(this.#start, this.#end);
    this.#start = this.#end = 0;
    this.#section.scan = this.#section.lineStart = 0;
    this.#chunked.scan = 0;
    if (this.#state === "head") {
      this.#section.fieldLines = this.#section.fieldBytes = 0;
      this.#requestLine = null;
    }
    return taken;
  }

  #read(): ParserEvent {
    switch (this.#state) {
      case "head":
        return this.#readHead();
      case "body":
        return this.#readBody();
      case "done":
        return PAUSED;
      case "error":
        throw this.#failure;
      default:
        throw new Error(`Unknown parser state ${this.#state satisfies never}`);
    }
  }

  #view(): Uint8Array {
    return this.#buf.subarray(this.#start, this.#end);
  }

  #consume(count: number): void {
    this.#start += count;
    if (this.#start === this.#end) this.#start = this.#end = 0;
  }

  #readHead(): ParserEvent {
    const view = this.#view();
    if (this.#requestLine === null && !this.#scanRequestLine(view)) return NEED_DATA;
    const end = scanFieldSection(view, { scan: this.#section, limits: this.#limits });
    if (end === -1) return NEED_DATA;
    const section = { start: this.#requestLineEnd, end: this.#section.lineStart };
    const fields = parseFieldSection(view, section);
    const head = buildRequestHead(this.#requestLine!, fields);
    this.#consume(end);
    this.#framing = head.framing;
    this.#remaining = head.framing.kind === "length" ? head.framing.length : 0;
    return { kind: "head", head };
  }

  // Skips empty lines before the request line, then parses it as soon as its line end arrives.
  #scanRequestLine(view: Uint8Array): boolean {
    const scan = this.#section;
    const max = this.#limits.maxRequestLineBytes;
    for (;;) {
      const lf = findLineFeed(view, scan.scan);
      if (lf === -1 ? view.length >= max : lf >= max) {
        throw new HttpError(414, "request-line-too-long", `Request line exceeds ${max} bytes`);
      }
      if (lf === -1) {
        scan.scan = view.length;
        return false;
      }
      const start = scan.lineStart;
      const end = lf > start && view[lf - 1] === CR ? lf - 1 : lf;
      scan.scan = scan.lineStart = lf + 1;
      if (end === start) continue;
      this.#requestLine = readRequestLine(view, { start, end });
      this.#requestLineEnd = lf + 1;
      return true;
    }
  }

  #readBody(): ParserEvent {
    switch (this.#framing.kind) {
      case "none":
        return { kind: "end", trailers: [] };
      case "length":
        return this.#readLengthBody();
      case "chunked": {
        const event = readChunked(this.#chunked, { view: this.#view(), limits: this.#limits });
        this.#consume(this.#chunked.pos);
        return event;
      }
      default:
        throw new Error(`Unknown framing ${this.#framing satisfies never}`);
    }
  }

  #readLengthBody(): ParserEvent {
    if (this.#remaining === 0) return { kind: "end", trailers: [] };
    const count = Math.min(this.#remaining, this.#end - this.#start);
    if (count === 0) return NEED_DATA;
    const data = this.#buf.subarray(this.#start, this.#start + count);
    this.#remaining -= count;
    this.#consume(count);
    return { kind: "body", data };
  }
}
