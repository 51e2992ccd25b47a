/**
 * A request body as a worker reads it: parser events pulled from the I/O thread on demand,
 * so a body is never read faster than its consumer takes it, and never past `maxBodyBytes`.
 *
 * @module
 */
import { HttpError } from "../http/errors.ts";
import type { RequestParser } from "../http/parser.ts";

/** A stream that pulls only when its reader asks, never ahead. */
const ON_DEMAND: QueuingStrategy<Uint8Array> = { highWaterMark: 0 };

/** Where a body is: `unread` → `reading` → `done`. */
export type BodyState = "unread" | "reading" | "done";

/** What a body needs from its exchange. */
export interface BodySource {
  parser: RequestParser;
  maxBodyBytes: number;
  /** Resolves true once more bytes were fed (or the client ended), false if aborted. */
  needData(): Promise<boolean>;
  /** Called before the first read, e.g. to send 100 Continue. */
  onFirstRead(): void;
}

/** The body of one request. */
export class RequestBody {
  #source: BodySource;
  #state: BodyState;
  #received = 0;
  /** Settles once the last read asked for is over; the next one waits for it. */
  #turn: Promise<void> | null = null;

  /**
   * Wraps the parser's body events of a request that has a body.
   *
   * @param source the parser and the pull operation
   */
  constructor(source: BodySource | null) {
    this.#source = source!;
    this.#state = source === null ? "done" : "unread";
  }

  /**
   * The body of a request without one: already done. One can be shared by every such request.
   *
   * @returns an empty, finished body
   */
  static none(): RequestBody {
    return new RequestBody(null);
  }

  /** Where the body is. */
  get state(): BodyState {
    return this.#state;
  }

  /**
   * The next piece of the body (a copy), or null at its end. Reads take turns: one the app left
   * pending while the server drains the rest must not lose its bytes to the drain, nor wait on
   * a wake-up the drain took.
   *
   * @returns the bytes, or null when the body is complete
   * @throws {HttpError} 413 past the size limit, 400 when the client ends mid-body
   */
  read(): Promise<Uint8Array | null> {
    return this.#inTurn(true);
  }

  /**
   * Reads and discards the rest of the body, so the next request on the connection is found.
   *
   * @returns when the body is complete
   * @throws {HttpError} as {@linkcode RequestBody.read}
   */
  async drain(): Promise<void> {
    // Discarded: nobody asked for it, so no copy is made of it.
    while ((await this.#inTurn(false)) !== null);
  }

  /** Reads now when no read is under way (the state moves at once), else after it. */
  #inTurn(copy: boolean): Promise<Uint8Array | null> {
    const previous = this.#turn;
    const read = previous === null ? this.#next(copy) : previous.then(() => this.#next(copy));
    const over = () => {
      if (this.#turn === turn) this.#turn = null;
    };
    const turn = read.then(over, over);
    this.#turn = turn;
    return read;
  }

  async #next(copy: boolean): Promise<Uint8Array | null> {
    if (this.#state === "done") return null;
    if (this.#state === "unread") this.#source.onFirstRead();
    this.#state = "reading";
    for (;;) {
      const event = this.#source.parser.next();
      if (event.kind === "end") {
        this.#state = "done";
        return null;
      }
      if (event.kind === "body") {
        this.#received += event.data.byteLength;
        if (this.#received > this.#source.maxBodyBytes) {
          throw new HttpError(
            413,
            "body-too-large",
            `Request body exceeds ${this.#source.maxBodyBytes} bytes`,
          );
        }
        return copy ? event.data.slice() : event.data;
      }
      if (!(await this.#source.needData())) {
        throw new HttpError(400, "incomplete-body", "Client closed the connection mid-body");
      }
    }
  }

  /**
   * The body as a stream for a `Request`; errors with the HttpError a read throws. Nothing is
   * read until the app reads: with the default high-water mark the stream pulled once as it was
   * made, which sent `100 Continue` to a client whose body the app never wanted.
   *
   * @returns a byte stream that pulls from the client as it is read
   */
  stream(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const bytes = await this.read();
        if (bytes === null) controller.close();
        else controller.enqueue(bytes);
      },
    }, ON_DEMAND);
  }
}
