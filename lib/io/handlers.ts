/**
 * The handler workers as one I/O thread sees them: its channel to each, pumped here, and each
 * worker's board, which every I/O thread shares. The supervisor says when a worker is ready (with
 * this thread's channel to it) and when it is lost; in between, this thread picks among them by
 * what every thread has given them, so a worker busy with another thread's requests is not
 * picked as if idle.
 *
 * @module
 */
import { ChannelEnd, type ChannelSizes } from "../wire/channel.ts";
import { decodeToMain, type ToMain } from "../wire/protocol.ts";
import { IDLE_STALL_MS, progressAt } from "./progress.ts";
import type { WorkerLink, Workers, WorkerState } from "./workers.ts";

/** What the links report: a worker's record, or a record this thread cannot read. */
export interface LinkEvents {
  /** A record from a worker. Byte fields are views valid only during the call. */
  onMessage(worker: WorkerLink, message: ToMain): void;
  /** A worker's record could not be read (its bug, or an app writing its ring): it must go. */
  onBroken(worker: WorkerLink, reason: string): void;
}

/** One worker as this thread holds it. */
interface Link extends WorkerLink {
  state: WorkerState;
}

/** The handler workers of one I/O thread. */
export class HandlerLinks implements Workers {
  #links: (Link | undefined)[] = [];
  #events: LinkEvents;
  #sizes: ChannelSizes;
  #stallMs: number;
  #idleChecked: boolean;
  #next = 0;

  /**
   * Prepares an empty set; {@linkcode HandlerLinks.add} fills it.
   *
   * @param events where records go
   * @param options the channels' ring sizes, the stall bound (`--stall-timeout`), whether idle
   *   workers are checked for stalls too (they run an app, which can hold its event loop), and
   *   where this thread's turn among equals starts (its number less one: threads that pick at
   *   the same moment start from different workers)
   */
  constructor(
    events: LinkEvents,
    options: { sizes: ChannelSizes; stallMs: number; idleChecked: boolean; firstTurn?: number },
  ) {
    this.#events = events;
    this.#sizes = options.sizes;
    this.#stallMs = options.stallMs;
    this.#idleChecked = options.idleChecked;
    this.#next = options.firstTurn ?? 0;
  }

  /**
   * A worker is ready: its channel to this thread is pumped from now on.
   *
   * @param id its slot, 1-based
   * @param memory this thread's channel to it
   * @param board its board's memory
   * @returns its link
   */
  add(id: number, memory: SharedArrayBuffer, board: SharedArrayBuffer): WorkerLink {
    this.#links[id - 1]?.channel.close();
    const channel = new ChannelEnd(memory, { side: "io", sizes: this.#sizes, board });
    const link: Link = { id, channel, state: "ready" };
    this.#links[id - 1] = link;
    channel.pump((record) => this.#events.onMessage(link, decodeToMain(record)))
      .catch((error) => {
        link.state = "lost";
        channel.close();
        this.#events.onBroken(link, error instanceof Error ? error.message : String(error));
      });
    return link;
  }

  /**
   * A worker is lost: nothing more goes to it or comes from it.
   *
   * @param id its slot
   * @returns its link, for the relay to fail its requests; null if it was not here
   */
  lose(id: number): WorkerLink | null {
    const link = this.#links[id - 1];
    if (link === undefined) return null;
    this.#links[id - 1] = undefined;
    link.state = "lost";
    link.channel.close();
    return link;
  }

  /** Closes every channel: the thread is stopping. */
  closeAll(): void {
    for (let i = 0; i < this.#links.length; i++) this.lose(i + 1);
  }

  /**
   * The least-loaded ready worker that is making progress; among equals one holding fewer
   * WebSockets, then an awake one (waking a sleeping worker preempts this thread on a busy
   * machine), else the next in turn. Null when every worker is stalled, starting or lost.
   *
   * @returns the worker to give the next request to, or null
   */
  pick(): WorkerLink | null {
    // Idle workers serving files only cannot be stalled: the clock is read for the others alone.
    let now = 0;
    const count = this.#links.length;
    let best: Link | null = null;
    let bestLoad = 0;
    for (let i = 0; i < count; i++) {
      const link = this.#links[(this.#next + i) % count];
      if (link === undefined || link.state !== "ready") continue;
      const board = link.channel.board;
      const load = board.inFlight;
      if ((load > 0 || this.#idleChecked) && this.isStalled(link, now ||= Date.now())) continue;
      if (best === null || load < bestLoad) [best, bestLoad] = [link, load];
      else if (load > bestLoad) continue;
      else if (board.tunnels !== best.channel.board.tunnels) {
        if (board.tunnels < best.channel.board.tunnels) best = link;
      } else if (best.channel.board.asleep && !board.asleep) best = link;
    }
    this.#next = count === 0 ? this.#next : (this.#next + 1) % count;
    return best;
  }

  /**
   * Counts a request given to a worker, on its board.
   *
   * @param worker a worker from {@linkcode HandlerLinks.pick}
   */
  claim(worker: WorkerLink): void {
    worker.channel.board.claim();
  }

  /**
   * Counts a request of a worker as finished; nothing for a lost worker, whose board is gone
   * with it.
   *
   * @param worker the worker it was given to
   */
  release(worker: WorkerLink): void {
    if (worker.state === "lost") return;
    worker.channel.board.release();
  }

  /**
   * Counts a WebSocket a worker holds.
   *
   * @param worker the worker whose app accepted it
   */
  openTunnel(worker: WorkerLink): void {
    worker.channel.board.openTunnel();
  }

  /**
   * Counts a WebSocket of a worker as closed.
   *
   * @param worker the worker that held it
   */
  closeTunnel(worker: WorkerLink): void {
    if (worker.state !== "lost") worker.channel.board.closeTunnel();
  }

  /**
   * Whether a worker should get no new request now: unanswered requests (from any I/O thread)
   * and no progress for `--stall-timeout`, or, idle and running an app, no progress for
   * `IDLE_STALL_MS`. An idle worker serving files only runs no code, and is never stalled.
   *
   * @param worker the worker
   * @param now the current time in ms since the epoch
   * @returns true when it should get no new request now
   */
  isStalled(worker: WorkerLink, now: number): boolean {
    const board = worker.channel.board;
    const silentMs = now - progressAt(board, now);
    if (board.inFlight > 0) return silentMs > this.#stallMs;
    return this.#idleChecked && silentMs > Math.max(this.#stallMs, IDLE_STALL_MS);
  }
}
