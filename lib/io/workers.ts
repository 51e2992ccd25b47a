/**
 * The handler workers as the I/O code sees them: a link per worker (its id, its channel end and
 * whether it is up) and the few calls the relay makes on the pool (pick one, count what each has
 * in hand). The pool (`lib/supervisor/pool.ts`) implements them; the I/O code imports nothing of
 * the supervisor. When connections move into I/O threads, this is the seam that crosses.
 *
 * @module
 */
import type { ChannelEnd } from "../wire/channel.ts";

/** Life of a worker: `starting` → `ready` → `lost` (then a new worker starts in its slot). */
export type WorkerState = "starting" | "ready" | "lost";

/** Why a worker went away: it crashed, or the watchdog ended it after no progress. */
export interface WorkerLoss {
  cause: "crash" | "timeout";
  reason: string;
}

/** One worker as the I/O code sees it. */
export interface WorkerLink {
  /** Slot number, 1-based, as printed in logs. */
  readonly id: number;
  /** This side's end of the worker's channel. */
  readonly channel: ChannelEnd;
  readonly state: WorkerState;
}

/**
 * What the relay asks of the pool. Every `claim` is matched by one `release`, every `openTunnel`
 * by one `closeTunnel`, so the pool's counts of what each worker has in hand stay true.
 *
 * @example
 * ```ts ignore
 * const worker = workers.pick();
 * if (worker !== null) workers.claim(worker); // … workers.release(worker) when it is done
 * ```
 */
export interface Workers {
  /** The least-loaded worker that is making progress, or null when none can take a request. */
  pick(): WorkerLink | null;
  /** A request (or a tunnel's record) went to the worker. */
  claim(worker: WorkerLink): void;
  /** The worker is done with it. */
  release(worker: WorkerLink): void;
  /** The worker holds one more WebSocket. */
  openTunnel(worker: WorkerLink): void;
  /** The worker holds one WebSocket fewer. */
  closeTunnel(worker: WorkerLink): void;
}
