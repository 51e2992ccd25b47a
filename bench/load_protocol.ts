/**
 * @module load_protocol
 * Messages between `load.ts` and its workers (`load_worker.ts`), and the
 * one request every connection of a run repeats.
 */

/** Main → worker: open `connections` connections and hammer `url`. */
export interface StartMessage {
  kind: "start";
  /** Absolute `http:` URL to request. */
  url: string;
  /** Connections this worker opens. */
  connections: number;
  /** How long to send requests, in milliseconds. */
  durationMs: number;
}

/** Worker → main: the module loaded and waits for `"start"`. */
export interface ReadyMessage {
  kind: "ready";
}

/** Worker → main: the run ended; raw counters of this worker. */
export interface DoneMessage {
  kind: "done";
  /** Completed responses. */
  requests: number;
  /** Bytes read, headers included. */
  bytes: number;
  /** Socket errors and non-2xx/3xx responses. */
  errors: number;
  /** Time from start to the deadline, in milliseconds. */
  elapsedMs: number;
  /** One latency per completed response, in milliseconds. */
  latenciesMs: Float64Array;
}

/** Worker → main: the worker could not run (bad URL, etc.). */
export interface FailedMessage {
  kind: "failed";
  /** Why, for the report. */
  message: string;
}

/** Every message main sends to a load worker. */
export type ToLoadWorker = StartMessage;

/** Every message a load worker sends to main. */
export type FromLoadWorker = ReadyMessage | DoneMessage | FailedMessage;

/**
 * Encodes the keep-alive `GET` request for `url` once, to be written again
 * and again without allocating.
 *
 * @param url An absolute `http:` URL.
 * @returns The request bytes, head only.
 * @example Build a request
 * ```ts
 * buildGetRequest("http://127.0.0.1:8000/1k.bin");
 * ```
 */
export function buildGetRequest(url: string): Uint8Array<ArrayBuffer> {
  const parsed = new URL(url);
  if (parsed.protocol !== "http:") {
    throw new TypeError(`Cannot load "${url}": only http: URLs are supported`);
  }
  const head = `GET ${parsed.pathname}${parsed.search} HTTP/1.1\r\n` +
    `Host: ${parsed.host}\r\nUser-Agent: heiretsu-bench\r\nAccept: */*\r\n\r\n`;
  return new TextEncoder().encode(head);
}
