/**
 * `Response` → wire: status, headers (each Set-Cookie kept apart) and the body, sent with a
 * Content-Length when it is all there at once, streamed (chunked) otherwise. The app cannot
 * break framing: hop-by-hop headers and its own Content-Length are the server's business.
 *
 * @module
 */
import { isBodiless, type PlannedResponse } from "../worker/handler.ts";

/** Headers that describe one connection or the framing: the server sets them itself. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "content-length",
]);

/**
 * The response's headers as the server sends them: lower-case names, hop-by-hop dropped, every
 * Set-Cookie its own field.
 *
 * @param headers the app's headers
 * @returns name/value pairs
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { responseHeaders } from "./response.ts";
 * const headers = new Headers([["set-cookie", "a=1"], ["set-cookie", "b=2"], ["connection", "close"]]);
 * assert.deepEqual(responseHeaders(headers), [["set-cookie", "a=1"], ["set-cookie", "b=2"]]);
 * ```
 */
export function responseHeaders(headers: Headers): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let cookies = false;
  // forEach, not for…of: the same sorted, combined pairs, without an iterator and a result
  // record per field: 0.70 µs → 0.15 µs for one field, 1.46 µs → 0.31 µs for four.
  headers.forEach((value, name) => {
    if (name === "set-cookie") cookies = true;
    else if (!HOP_BY_HOP.has(name)) out.push([name, value]);
  });
  if (!cookies) return out;
  for (const cookie of headers.getSetCookie()) out.push(["set-cookie", cookie]);
  return out;
}

/**
 * Plans the wire response for an app's `Response`. A body that is complete at once (a string,
 * bytes, JSON) is sent with its Content-Length; one still being written is streamed, and each
 * piece goes out as the app writes it.
 *
 * @param response the app's response
 * @param options the request method (HEAD sends no body)
 * @returns the planned response; it rejects with an Error for a 1xx status, which only the
 * server may send, and never as the response
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromResponse } from "./response.ts";
 * const planned = await fromResponse(new Response("hi"), { method: "GET" });
 * assert.equal(planned.status, 200);
 * assert.deepEqual(planned.body, { kind: "bytes", bytes: new TextEncoder().encode("hi") });
 * const head = await fromResponse(new Response("hi"), { method: "HEAD" });
 * assert.equal(head.body.kind, "empty");
 * ```
 */
export function fromResponse(
  response: Response,
  options: { method: string },
): Promise<PlannedResponse> {
  const { status } = response;
  if (status < 200) {
    response.body?.cancel().catch(() => {});
    // 101 would switch protocols on a connection the app does not own; 100 and 103 are interim.
    return Promise.reject(
      new Error(
        `the app answered with status ${status}: an informational (1xx) status cannot be a response`,
      ),
    );
  }
  const headers = responseHeaders(response.headers);
  // Fast path: plan's own promise is the answer, with no second async function awaiting it
  // (with the reads and the headers below: 3.5 µs → 2.5 µs for `new Response("hello\n")`).
  if (options.method !== "HEAD" && !isBodiless(status)) return plan(response, headers);
  return plan(response, headers).then((planned) => withoutBody(planned, response));
}

/** HEAD gets GET's headers and no body: the length when it was known at once, else none. */
function withoutBody(planned: PlannedResponse, response: Response): PlannedResponse {
  const { status } = planned;
  const headers = planned.headers as Array<[string, string]>;
  if (planned.body.kind === "stream") planned.body.stream.cancel().catch(() => {});
  const declared = response.headers.get("content-length");
  if (planned.body.kind === "stream" && declared !== null && !isBodiless(status)) {
    headers.push(["content-length", declared]);
  }
  if (isBodiless(status)) removeHeader(headers, "content-length");
  return { status, headers, body: { kind: "empty" } };
}

/**
 * How many microtasks a body whose second read is still pending once the first is in gets to
 * report its end. Two is the window the earlier code gave (a second read made then, raced
 * against an async function that awaited once): a body that ends by what is already queued
 * gets its length, one that ends later is streamed.
 */
const END_WAIT_TICKS = 2;

/** The response with its body: bytes with a length when complete at once, else a stream. */
async function plan(
  response: Response,
  headers: Array<[string, string]>,
): Promise<PlannedResponse> {
  const { status, body } = response;
  if (body === null) {
    headers.push(["content-length", "0"]);
    return { status, headers, body: { kind: "empty" } };
  }
  const reader = body.getReader();
  // Fast path: the first two reads are asked for together. A body complete at once (a string,
  // bytes, JSON) has settled both by the time the first is awaited, with no race and no extra
  // async function: body, reader and reads of `new Response("hello\n")` 2.1 µs → 1.8 µs.
  const pending = reader.read();
  const next = watch(reader.read());
  const read = await pending;
  if (read.done) {
    headers.push(["content-length", "0"]);
    return { status, headers, body: { kind: "empty" } };
  }
  const first = bodyBytes(read.value, reader);
  // A body whose first piece came later may have ended just after it. A body the app is still
  // writing (server-sent events) is not held back for its next piece.
  for (let tick = 0; tick < END_WAIT_TICKS && next.outcome.state === "pending"; tick++) {
    await null;
  }
  const { outcome } = next;
  if (outcome.state === "rejected") throw outcome.error;
  if (outcome.state === "fulfilled" && outcome.result.done) {
    headers.push(["content-length", String(first.byteLength)]);
    return { status, headers, body: { kind: "bytes", bytes: first } };
  }
  return { status, headers, body: { kind: "stream", stream: resume(reader, first, next.read) } };
}

/** Where a read is: not settled yet, or settled with its result or its error. */
type ReadOutcome =
  | { state: "pending" }
  | { state: "fulfilled"; result: ReadableStreamReadResult<Uint8Array> }
  | { state: "rejected"; error: unknown };

/** A read, and its outcome to look at without awaiting it. */
interface WatchedRead {
  read: Promise<ReadableStreamReadResult<Uint8Array>>;
  outcome: ReadOutcome;
}

/** Watches a read: its outcome is set when it settles (a rejection counts as handled). */
function watch(read: Promise<ReadableStreamReadResult<Uint8Array>>): WatchedRead {
  const watched: WatchedRead = { read, outcome: { state: "pending" } };
  read.then(
    (result) => void (watched.outcome = { state: "fulfilled", result }),
    (error) => void (watched.outcome = { state: "rejected", error }),
  );
  return watched;
}

/**
 * A body chunk as bytes. `Deno.serve` takes any ArrayBuffer view; an ArrayBuffer is taken too. A
 * string or another value fails the response with a message naming it, where a wrong guess at its
 * length would announce bytes that never come.
 */
function bodyBytes(
  chunk: unknown,
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) {
    return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  const what = typeof chunk === "string"
    ? "a string"
    : String(chunk?.constructor?.name ?? typeof chunk);
  reader.cancel().catch(() => {});
  throw new TypeError(
    `the app's response body gave ${what}: each chunk of a body stream must be a Uint8Array`,
  );
}

function removeHeader(headers: Array<[string, string]>, name: string): void {
  for (let i = headers.length - 1; i >= 0; i--) if (headers[i][0] === name) headers.splice(i, 1);
}

/** A stream that yields the piece already read, then the pending read, then the rest. */
function resume(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  first: Uint8Array,
  pending: Promise<ReadableStreamReadResult<Uint8Array>>,
): ReadableStream<Uint8Array> {
  let waiting: Uint8Array | null = first;
  let next: Promise<ReadableStreamReadResult<Uint8Array>> | null = pending;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (waiting !== null) {
        controller.enqueue(waiting);
        waiting = null;
        return;
      }
      const result = await (next ?? reader.read());
      next = null;
      if (result.done) controller.close();
      else controller.enqueue(bodyBytes(result.value, reader));
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
