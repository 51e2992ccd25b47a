/**
 * The handler contract of a worker: the request a handler gets, and the response it plans
 * (status, headers and one of a few body shapes). Static files and apps both answer in these
 * terms, so one exchange runs them and one writer streams them all.
 *
 * @module
 */
import type { RequestHead } from "../http/parser.ts";
import type { RequestBody } from "./request_body.ts";

/** The request as a handler sees it. */
export interface IncomingRequest {
  head: RequestHead;
  /** Client address. */
  remote: string;
  /** Client port. */
  port: number;
  /** Settles when the response has been sent or the client went away. */
  completed: Promise<void>;
  /** The body, read on demand. */
  body: RequestBody;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
}

/** Answers a request: the static files, an app, or both. */
export type RequestHandler = (
  request: IncomingRequest,
) => PlannedResponse | Promise<PlannedResponse>;

/** A byte range of an open file. */
export interface FileRange {
  file: Deno.FsFile;
  /** Where the range starts in the file. */
  offset: number;
  /** How many bytes it has. */
  length: number;
}

/** One piece of a body made of several: bytes in memory or a range of a file. */
export type BodyPart = Uint8Array | FileRange;

/** What follows the head. */
export type ResponseBody =
  | { kind: "empty" }
  | { kind: "bytes"; bytes: Uint8Array }
  /** Opened read-only; the writer sends `length` bytes from `offset` and closes it. */
  | { kind: "file"; file: Deno.FsFile; offset: number; length: number }
  /** Pieces sent one after another (e.g. multipart/byteranges); every file in them is closed. */
  | { kind: "parts"; parts: BodyPart[] }
  /** Bytes as they come; without a content-length header they are sent chunked. */
  | { kind: "stream"; stream: ReadableStream<Uint8Array> };

/** A planned response; header names are lower-case. */
export interface PlannedResponse {
  status: number;
  /** Fields in sending order; kept responses freeze theirs (see `fieldsText()`). */
  headers: ReadonlyArray<readonly [string, string]>;
  body: ResponseBody;
  /** Set on a 101 that switches the connection to WebSocket (see {@linkcode Upgrade}). */
  upgrade?: Upgrade;
}

/** The socket side of a 101: told whether the switch happened. */
export interface Upgrade {
  /** The head is out and the connection a tunnel: returns who receives its bytes. */
  accept(link: TunnelLink): TunnelPeer;
  /** The switch did not happen (a bad request, or the client left first). */
  refuse(reason: string): void;
}

/** A connection after its 101, as seen by the socket that drives it (see `tunnel.ts`). */
export interface TunnelLink {
  /** Queues bytes for the client; they go out under the connection's window. */
  write(bytes: Uint8Array): void;
  /** Bytes written and not yet in the client's socket. */
  readonly bufferedBytes: number;
  /** Bytes that reached the client's socket so far: it grows while the client reads. */
  readonly deliveredBytes: number;
  /** Closes the connection once every written byte is out; nothing more is received. */
  end(): void;
}

/** What a tunnel tells the socket that drives it. */
export interface TunnelPeer {
  /** Bytes from the client: a view, valid only during the call. */
  receive(bytes: Uint8Array): void;
  /** The client closed its sending side. */
  ended(): void;
  /** The connection is gone (the client left, or its I/O thread cut it). */
  lost(): void;
  /** The server is shutting down: close now, as a server going away. */
  goAway(): void;
}

/**
 * Closes every file a body holds, for a response that will not be sent (or is done).
 *
 * @param body the body
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { releaseBody } from "./handler.ts";
 * let cancelled = false;
 * const stream = new ReadableStream<Uint8Array>({ cancel: () => void (cancelled = true) });
 * releaseBody({ kind: "stream", stream });
 * assert.equal(cancelled, true);
 * releaseBody({ kind: "empty" }); // nothing to release
 * ```
 */
export function releaseBody(body: ResponseBody): void {
  // Nearly every response: nothing is open, and no set needs making for it.
  if (body.kind === "empty" || body.kind === "bytes") return;
  const files = new Set<Deno.FsFile>();
  if (body.kind === "file") files.add(body.file);
  if (body.kind === "parts") {
    for (const part of body.parts) if (!(part instanceof Uint8Array)) files.add(part.file);
  }
  for (const file of files) {
    try {
      file.close();
    } catch {
      // Already closed: nothing to release.
    }
  }
  if (body.kind === "stream") body.stream.cancel().catch(() => {});
}

/**
 * Whether a status can never carry a body (RFC 9110 §6.4.1).
 *
 * @param status the status code
 * @returns true for 1xx, 204 and 304
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isBodiless } from "./handler.ts";
 * assert.equal(isBodiless(304), true);
 * assert.equal(isBodiless(404), false);
 * ```
 */
export function isBodiless(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}
