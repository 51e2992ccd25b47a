/**
 * The typed messages between the workers and the threads that drive them: the main thread (start, stop,
 * crash) and the I/O threads (every request).
 *
 * Two paths: the one-off {@linkcode WorkerCommand} / {@linkcode WorkerEvent} go through
 * `postMessage` (or, for an app, node's `workerData` and `parentPort`); everything per request travels as ring records (see `channel.ts`), encoded and
 * decoded here so that both sides agree on one discriminated union per direction.
 *
 * Records carry a stream id: one per request dispatch, never reused for a later request on the
 * same connection, so a late credit or abort can never be taken for the next request's.
 *
 * @module
 */
import type { RecordHeader, RingRecord } from "./ring.ts";
import type { ChannelSizes } from "./channel.ts";
import type { LogFormat, StaticSettings } from "../config/settings.ts";
import { unreachable } from "../http/unreachable.ts";

/** Largest file chunk a worker reads and sends at once; ~256 KiB keeps syscalls few and the window full. */
export const FILE_CHUNK_BYTES = 256 * 1024;

/** Record kinds on the wire. */
const KIND = {
  request: 1,
  body: 2,
  credit: 3,
  abort: 4,
  goaway: 5,
  switched: 6,
  data: 16,
  pull: 17,
  upgrade: 18,
} as const;

/** Flag on a `body` record: the client closed its sending side. */
export const FLAG_EOF = 1;
/** Flag on a `data` record: the response is complete. */
export const FLAG_END = 1;
/** Flag on a `data` record: close the connection once the bytes are written. */
export const FLAG_CLOSE = 2;
/** Flag on a `data` record: the client left; drop the bytes still queued and close at once. */
export const FLAG_RESET = 4;

/** I/O thread → worker. */
export type ToWorker =
  /** A new request: its head (and nothing after it), and the client's address and port. */
  | { kind: "request"; stream: number; remote: string; port: number; head: Uint8Array }
  /** Request bytes the worker pulled; `eof` when the client closed its side. */
  | { kind: "body"; stream: number; bytes: Uint8Array; eof: boolean }
  /** This many response bytes reached the socket: the window reopens by that much. */
  | { kind: "credit"; stream: number; bytes: number }
  /** The connection is gone: stop the response and free its resources. */
  | { kind: "abort"; stream: number }
  /** The server is shutting down: close this stream's WebSocket as going away (1001). */
  | { kind: "goaway"; stream: number }
  /**
   * The 101 of this stream's `upgrade` is queued and the connection is a tunnel: its socket
   * opens. (A refused upgrade gets `abort` instead, and its socket never opens.)
   */
  | { kind: "switched"; stream: number };

/** Worker → I/O thread. */
export type ToMain =
  /**
   * Response bytes. With `end`, the response is complete and `leftover` holds request bytes the
   * worker received but did not use (the start of a pipelined request). With `reset` (and `end`
   * and `close`), the response was cut short because the client left: bytes still queued for
   * the socket are dropped and it closes at once.
   */
  | {
    kind: "data";
    stream: number;
    bytes: Uint8Array;
    end: boolean;
    close: boolean;
    reset: boolean;
    leftover: Uint8Array;
  }
  /** The worker wants up to `bytes` more request bytes (a body, or a tunnel's bytes). */
  | { kind: "pull"; stream: number; bytes: number }
  /**
   * The app accepted a WebSocket: `bytes` is the 101 head, the request is over, and the
   * connection becomes a tunnel on this stream, whose bytes go to this worker, once the main
   * thread answers `switched` (or `abort`: refused, 503).
   */
  | { kind: "upgrade"; stream: number; bytes: Uint8Array };

/** Configuration a worker gets at start, through `postMessage`. */
export interface WorkerInit {
  type: "init";
  /** Small number naming the worker in logs, stable across restarts of that slot. */
  id: number;
  /** Memory of its channel to each I/O thread (`channel.ts`), in I/O thread order. */
  channels: SharedArrayBuffer[];
  /** Memory of its board (`board.ts`): its doorbell, counts and progress stamp. */
  board: SharedArrayBuffer;
  sizes: ChannelSizes;
  /** Folder of static files, or null when only the app answers. */
  root: string | null;
  /** file: URL of the app module, or null. */
  app: string | null;
  /** JavaScript heap of the app's thread, in MiB (see `lib/handler/app/host.ts`). */
  appHeapMib: number;
  /** Static-file options (compression, listings, dotfiles, CORS, headers, ...). */
  static: StaticSettings;
  quiet: boolean;
  limits: {
    maxRequestLineBytes: number;
    maxHeaderBytes: number;
    maxHeaderCount: number;
    maxBodyBytes: number;
  };
  /** WebSocket limits: the largest message, and how long a close waits for the client's. */
  websocket: { maxMessageBytes: number; closeTimeoutMs: number };
  /** Response bytes in flight per request before the worker waits for credit. */
  windowBytes: number;
  /** Largest pull an I/O thread answers in one record (its ring's record limit). */
  maxPull: number;
  /** Bytes of small files the worker keeps in memory (0: none). */
  fileCacheBytes: number;
  /** How often a worker with requests in hand stamps its progress, in ms. */
  heartbeatMs: number;
  /** Value of the `Server` response header. */
  serverHeader: string;
  /** "https" behind TLS, else "http": the scheme of the URLs apps see. */
  scheme: "http" | "https";
  /** Access-log format. */
  logFormat: LogFormat;
  /** Path of the health check, or null. */
  healthPath: string | null;
  /** Whether requests answered by the health check are written to the access log. */
  logHealth: boolean;
  /**
   * The address the server listens on, for the app's `onListen`: given to worker 1 when the
   * server starts, null for the others and for every replacement, so it is called once.
   */
  listening: Deno.NetAddr | null;
  /**
   * The address the server listens on, for every worker and every start: an app's thread
   * refuses to listen there (`lib/handler/app/net_guards.ts`). Null when the pool was started
   * without one.
   */
  serverAddress: Deno.NetAddr | null;
}

/**
 * The pool's request that a worker stop: it answers "stopped" once nothing of it runs but the Web
 * Worker itself, which the pool then terminates. An app worker first has its app's thread end
 * itself: Deno halts an app's thread that still runs when its worker is terminated, and may
 * print `Uncaught (in worker "heiretsu-app-N") Error: execution terminated` to the process's
 * standard error as it does (see `lib/handler/app/host.ts`).
 */
export interface WorkerStop {
  type: "stop";
}

/** What the pool posts to a worker: its init message first, then at most a stop. */
export type WorkerCommand = WorkerInit | WorkerStop;

/**
 * What a worker tells the main thread through `postMessage`: ready to serve, unable to start,
 * (an app worker, at any time) that its app ended its thread, so its requests are lost, or, once
 * asked to stop, that it has.
 */
export type WorkerEvent =
  | { type: "ready"; id: number }
  | { type: "fatal"; id: number; message: string }
  | { type: "crashed"; id: number; reason: string }
  | { type: "stopped"; id: number };

const encoder = new TextEncoder();
const NO_BYTES = new Uint8Array();
const decoder = new TextDecoder();

/**
 * The record header and payload parts for a message to a worker.
 *
 * @param message the message
 * @returns the header and payload parts to pass to `ChannelEnd.send`
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeToWorker } from "./protocol.ts";
 * const [header, ...payload] = encodeToWorker({ kind: "abort", stream: 7 });
 * assert.deepEqual(header, { kind: 4, flags: 0, stream: 7, arg: 0 });
 * assert.equal(payload.length, 0);
 * ```
 */
export function encodeToWorker(message: ToWorker): [RecordHeader, ...Uint8Array[]] {
  // Each header is made whole, not spread from a shared one: a spread per record showed in
  // the I/O thread's profile.
  const { stream } = message;
  switch (message.kind) {
    case "request":
      return [
        { kind: KIND.request, flags: 0, stream, arg: message.port },
        encodeRemote(message.remote),
        message.head,
      ];
    case "body":
      return [
        { kind: KIND.body, flags: message.eof ? FLAG_EOF : 0, stream, arg: 0 },
        message.bytes,
      ];
    case "credit":
      return [{ kind: KIND.credit, flags: 0, stream, arg: message.bytes }];
    case "abort":
      return [{ kind: KIND.abort, flags: 0, stream, arg: 0 }];
    case "goaway":
      return [{ kind: KIND.goaway, flags: 0, stream, arg: 0 }];
    case "switched":
      return [{ kind: KIND.switched, flags: 0, stream, arg: 0 }];
    default:
      return unreachable(message);
  }
}

let lastRemote = "";
let lastRemoteBytes = Uint8Array.of(0);

/** Length-prefixed client address; the last one is kept, as requests come in runs per client. */
function encodeRemote(remote: string): Uint8Array {
  if (remote !== lastRemote) {
    const bytes = encoder.encode(remote).subarray(0, 255);
    lastRemoteBytes = new Uint8Array(1 + bytes.byteLength);
    lastRemoteBytes[0] = bytes.byteLength;
    lastRemoteBytes.set(bytes, 1);
    lastRemote = remote;
  }
  return lastRemoteBytes;
}

let lastRemoteText = "";
const lastRemoteSeen = new Uint8Array(256);
let lastRemoteLength = -1;

/** The client address of a request record; the last one is kept, as on the sending side. */
function decodeRemote(bytes: Uint8Array): string {
  if (bytes.byteLength === lastRemoteLength && sameBytes(bytes, lastRemoteSeen)) {
    return lastRemoteText;
  }
  lastRemoteText = decoder.decode(bytes);
  lastRemoteSeen.set(bytes);
  lastRemoteLength = bytes.byteLength;
  return lastRemoteText;
}

function sameBytes(bytes: Uint8Array, seen: Uint8Array): boolean {
  for (let i = 0; i < bytes.byteLength; i++) if (bytes[i] !== seen[i]) return false;
  return true;
}

/**
 * Decodes a record received by a worker. Byte fields are views of shared memory, valid only
 * while the record handler runs.
 *
 * @param record a record from the worker's inbound ring
 * @returns the message
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeToWorker } from "./protocol.ts";
 * const record = { kind: 4, flags: 0, stream: 7, arg: 0, payload: new Uint8Array() };
 * assert.deepEqual(decodeToWorker(record), { kind: "abort", stream: 7 });
 * assert.throws(() => decodeToWorker({ ...record, kind: 16 }), /protocol violation/);
 * ```
 */
export function decodeToWorker(record: RingRecord): ToWorker {
  const stream = record.stream;
  switch (record.kind) {
    case KIND.request: {
      const length = record.payload[0];
      const remote = decodeRemote(record.payload.subarray(1, 1 + length));
      const head = record.payload.subarray(1 + length);
      return { kind: "request", stream, remote, port: record.arg, head };
    }
    case KIND.body:
      return { kind: "body", stream, bytes: record.payload, eof: (record.flags & FLAG_EOF) !== 0 };
    case KIND.credit:
      return { kind: "credit", stream, bytes: record.arg };
    case KIND.abort:
      return { kind: "abort", stream };
    case KIND.goaway:
      return { kind: "goaway", stream };
    case KIND.switched:
      return { kind: "switched", stream };
    default:
      throw new Error(
        `protocol violation: record kind ${record.kind} is not a message to a worker`,
      );
  }
}

/**
 * The record header and payload parts for a message to an I/O thread.
 *
 * @param message the message
 * @returns the header and payload parts to pass to `ChannelEnd.send`
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeToMain } from "./protocol.ts";
 * const [header] = encodeToMain({ kind: "pull", stream: 7, bytes: 65536 });
 * assert.deepEqual(header, { kind: 17, flags: 0, stream: 7, arg: 65536 });
 * ```
 */
export function encodeToMain(message: ToMain): [RecordHeader, ...Uint8Array[]] {
  const { stream } = message;
  switch (message.kind) {
    case "data": {
      const flags = (message.end ? FLAG_END : 0) | (message.close ? FLAG_CLOSE : 0) |
        (message.reset ? FLAG_RESET : 0);
      const header = { kind: KIND.data, flags, stream, arg: message.bytes.byteLength };
      return [header, message.bytes, message.leftover];
    }
    case "pull":
      return [{ kind: KIND.pull, flags: 0, stream, arg: message.bytes }];
    case "upgrade":
      return [{ kind: KIND.upgrade, flags: 0, stream, arg: 0 }, message.bytes];
    default:
      return unreachable(message);
  }
}

/**
 * Decodes a record received by an I/O thread. Byte fields are views of shared memory, valid
 * only while the record handler runs.
 *
 * @param record a record from the I/O thread's inbound ring
 * @returns the message
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeToMain } from "./protocol.ts";
 * const record = { kind: 17, flags: 0, stream: 7, arg: 10, payload: new Uint8Array() };
 * assert.deepEqual(decodeToMain(record), { kind: "pull", stream: 7, bytes: 10 });
 * ```
 */
export function decodeToMain(record: RingRecord): ToMain {
  const stream = record.stream;
  switch (record.kind) {
    case KIND.data:
      return {
        kind: "data",
        stream,
        bytes: record.payload.subarray(0, record.arg),
        end: (record.flags & FLAG_END) !== 0,
        close: (record.flags & FLAG_CLOSE) !== 0,
        reset: (record.flags & FLAG_RESET) !== 0,
        // Nearly every response leaves nothing over: no view to make for it.
        leftover: record.arg === record.payload.byteLength
          ? NO_BYTES
          : record.payload.subarray(record.arg),
      };
    case KIND.pull:
      return { kind: "pull", stream, bytes: record.arg };
    case KIND.upgrade:
      return { kind: "upgrade", stream, bytes: record.payload };
    default:
      throw new Error(
        `protocol violation: record kind ${record.kind} is not a message to an I/O thread`,
      );
  }
}
