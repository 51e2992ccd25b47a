/**
 * `Response` → wire: status, headers (each Set-Cookie kept apart) and the body, sent with a
 * Content-Length when it is all there at once, streamed (chunked) otherwise. The app cannot
 * break framing: hop-by-hop headers and its own Content-Length are the server's business.
 *
 * @module
 */
import { isBodiless, type PlannedResponse } from "../worker/handler.ts";

/** Headers that describe one connection or the framing: the server sets them itself. */
const HOP_BY_HOP = new Set([
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
  for (const [name, value] of headers) {
    if (name === "set-cookie" || HOP_BY_HOP.has(name)) continue;
    out.push([name, value]);
  }
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
 * @returns the planned response
 * @throws {Error} for a 1xx status, which only the server may send, and never as the response
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
export async function fromResponse(
  response: Response,
  options: { method: string },
): Promise<PlannedResponse> {
  const { status } = response;
  if (status < 200) {
    response.body?.cancel().catch(() => {});
    // 101 would switch protocols on a connection the app does not own; 100 and 103 are interim.
    throw new Error(
      `the app answered with status ${status}: an informational (1xx) status cannot be a response`,
    );
  }
  const headers = responseHeaders(response.headers);
  const planned = await plan(response, headers);
  if (options.method !== "HEAD" && !isBodiless(status)) return planned;
  // HEAD gets GET's headers and no body: the length when it was known at once, else none.
  if (planned.body.kind === "stream") planned.body.stream.cancel().catch(() => {});
  const declared = response.headers.get("content-length");
  if (planned.body.kind === "stream" && declared !== null && !isBodiless(status)) {
    headers.push(["content-length", declared]);
  }
  if (isBodiless(status)) removeHeader(headers, "content-length");
  return { status, headers, body: { kind: "empty" } };
}

/** The response with its body: bytes with a length when complete at once, else a stream. */
async function plan(
  response: Response,
  headers: Array<[string, string]>,
): Promise<PlannedResponse> {
  const { status } = response;
  if (response.body === null) {
    headers.push(["content-length", "0"]);
    return { status, headers, body: { kind: "empty" } };
  }
  const reader = response.body.getReader();
  const read = await reader.read();
  if (read.done) {
    headers.push(["content-length", "0"]);
    return { status, headers, body: { kind: "empty" } };
  }
  const first = { value: bodyBytes(read.value, reader) };
  // One microtask is enough for a body that is already complete to report its end; a body the
  // app is still writing (server-sent events) is not held back waiting for its next piece.
  const next = reader.read();
  const settled = await Promise.race([next, afterOneTick()]);
  if (settled !== PENDING && settled.done) {
    headers.push(["content-length", String(first.value.byteLength)]);
    return { status, headers, body: { kind: "bytes", bytes: first.value } };
  }
  return { status, headers, body: { kind: "stream", stream: resume(reader, [first.value], next) } };
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

const PENDING = Symbol("pending");

async function afterOneTick(): Promise<typeof PENDING> {
  await null;
  return PENDING;
}

/** A stream that yields what was already read, then the pending read, then the rest. */
function resume(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  read: Uint8Array[],
  pending: Promise<ReadableStreamReadResult<Uint8Array>>,
): ReadableStream<Uint8Array> {
  let next: Promise<ReadableStreamReadResult<Uint8Array>> | null = pending;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const waiting = read.shift();
      if (waiting) return controller.enqueue(waiting);
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
