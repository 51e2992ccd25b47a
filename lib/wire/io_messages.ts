/**
 * The messages between the supervisor and an I/O thread, through `postMessage`: few and rare
 * (start, a worker ready or lost, drain, close), never one per request.
 *
 * @module
 */
import type { ServerConfig } from "../config/settings.ts";
import type { ChannelSizes } from "./channel.ts";

/** How I/O threads share the port. */
export type ListenMode =
  /** Each thread holds a duplicate of one socket, bound by the supervisor (`loadBalanced`). */
  | "shared"
  /** Each thread binds its own socket with SO_REUSEPORT (Linux, `--reuse-port`). */
  | "reuse-port";

/** A handler worker an I/O thread may dispatch to: its channel to that thread, and its board. */
export interface WorkerHandle {
  id: number;
  channel: SharedArrayBuffer;
  board: SharedArrayBuffer;
}

/** What an I/O thread gets at start. */
export interface IoInit {
  type: "init";
  /** The thread's number, 1-based, as printed in logs. */
  index: number;
  /** How many I/O threads there are (connection ids are numbered apart per thread). */
  count: number;
  config: ServerConfig;
  /** Where to listen: the address the supervisor bound, and how to share it. */
  listen: { hostname: string; port: number; mode: ListenMode };
  /** The certificate and key as PEM text, when serving HTTPS. */
  tls: { cert: string; key: string } | null;
  /** The server-wide counts (`counts.ts`). */
  counts: SharedArrayBuffer;
  /** The rings' sizes of the channels to the workers. */
  sizes: ChannelSizes;
}

/** Supervisor → I/O thread. */
export type ToIo =
  | IoInit
  /** A worker is ready (at start, or a replacement): requests may go to it. */
  | { type: "worker"; worker: WorkerHandle }
  /** A worker was lost: its requests fail (502, or 503 after the watchdog), its sockets close. */
  | { type: "lost"; id: number; loss: { cause: "crash" | "timeout"; reason: string } }
  /** Every worker is ready: begin accepting (with `--reuse-port`, bind first). */
  | { type: "accept" }
  /** Stop accepting and close idle connections; the others close after their response. */
  | { type: "drain" }
  /** Close every connection now. */
  | { type: "close" };

/** I/O thread → supervisor. */
export type FromIo =
  /**
   * Listening on the shared port; with `--reuse-port`, ready to bind a socket of its own at
   * `accept` (bound earlier, it would hold the connections the kernel gave it while the workers
   * start).
   */
  | { type: "listening" }
  /** Answer to `accept`: accepting. */
  | { type: "accepting" }
  /**
   * Could not listen (answer to `init`, or to `accept` with `--reuse-port`). `unshared`: the
   * thread got no duplicate of the supervisor's socket (the port was reported taken, or it got a
   * socket on another port: this Deno does not share a listening socket between threads), so the
   * server falls back to one I/O thread.
   */
  | { type: "fatal"; message: string; unshared: boolean }
  /** A lifecycle or refusal line for the server's log. */
  | { type: "log"; line: string }
  /** A worker's record could not be read: that worker must be replaced. */
  | { type: "broken"; id: number; reason: string }
  /** Answer to `drain`: the listener is closed. */
  | { type: "drained" }
  /** Answer to `close`: every connection is closed. */
  | { type: "closed" };
