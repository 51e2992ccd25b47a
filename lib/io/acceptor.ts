/**
 * An I/O thread's accept loop. The threads share one listening socket by default, and whichever
 * asks first gets the next connection: a thread holding more connections than the others (by
 * `ACCEPT_SLACK`) leaves the next accepts to them, so the connections spread evenly. With
 * `--reuse-port` each thread has a socket of its own and accepts all that the kernel queued on it.
 *
 * @module
 */
import type { SharedCounts } from "../wire/counts.ts";
import type { ListenMode } from "../wire/io_messages.ts";

/** Pause after a failed accept that is not one client's doing (out of file descriptors). */
const ACCEPT_BACKOFF_MS = 50;

/** Connections a thread may hold over the least-loaded I/O thread and still accept. */
const ACCEPT_SLACK = 2;
/**
 * How soon a thread that holds more than the others first looks again whether it may accept,
 * unless the gate bell wakes it first (another thread was held back, or this one closed a
 * connection); each look that finds it still holding more doubles the wait, up to
 * `ACCEPT_GATE_MAX_MS`.
 */
const ACCEPT_GATE_MS = 2;
/**
 * The longest wait between two looks of a held-back thread. A thread holding a few idle
 * connections more than the others on a server nobody connects to stays held back; looking
 * every 2 ms, it used 5% of a core doing nothing (25 ticks in 5 s).
 */
const ACCEPT_GATE_MAX_MS = 250;

/** What an acceptor is given besides its listener. */
export interface AcceptorOptions {
  /** The server-wide counts, with each thread's connections. */
  counts: SharedCounts;
  /** This thread's number, how many I/O threads there are, and how they share the port. */
  thread: { index: number; count: number; mode: ListenMode };
  /** Where a line about failing accepts goes. */
  log: (line: string) => void;
  /** An accepted connection, for the loop to count and serve (or refuse). */
  onConn: (conn: Deno.Conn) => void;
}

/**
 * Accepts from one listener until {@linkcode Acceptor.stop}.
 *
 * @example
 * ```ts ignore
 * import { Acceptor } from "./acceptor.ts";
 * const acceptor = new Acceptor(listener, { counts, thread, log, onConn: serve });
 * acceptor.run();
 * ```
 */
export class Acceptor {
  #listener: Deno.Listener;
  #options: AcceptorOptions;
  #stopped = false;
  /** Whether the loop waits for the other threads (see `#waitForOthers`). */
  #heldBack = false;
  #failedAt = 0;

  /**
   * @param listener the listener, which the acceptor owns from now on
   * @param options the counts, this thread, where lines and connections go
   */
  constructor(listener: Deno.Listener, options: AcceptorOptions) {
    this.#listener = listener;
    this.#options = options;
  }

  /**
   * Accepts until stopped.
   *
   * @returns when stopped
   */
  async run(): Promise<void> {
    while (!this.#stopped) {
      if (this.#holdsMore()) {
        await this.#waitForOthers();
        continue;
      }
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#stopped) return;
        // A client that reset its connection while it waited to be accepted: only that one is
        // lost. Backing off for it let 30 resets a second hold up everyone's accept by seconds.
        if (isClientGone(error)) continue;
        // Out of file descriptors and the like: say so (once a second), back off, go on.
        const now = Date.now();
        if (now - this.#failedAt >= 1000) {
          this.#failedAt = now;
          this.#options.log(`Server: accept failed: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, ACCEPT_BACKOFF_MS));
        continue;
      }
      this.#options.onConn(conn);
    }
  }

  /** Stops accepting and closes the listener. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#listener.close();
  }

  /** One of this thread's connections closed: held back, it may be within the slack now. */
  connectionClosed(): void {
    if (this.#heldBack) this.#options.counts.ringGate();
  }

  /**
   * Whether this thread leaves the next accepts to the others: it holds more than the least
   * loaded (by `ACCEPT_SLACK`), and they accept from the same socket. A socket of its own
   * (`--reuse-port`) holds the connections the kernel gave this thread alone: held back, it
   * left them unanswered until the others caught up, which on a quiet server was never.
   */
  #holdsMore(): boolean {
    const { index, count, mode } = this.#options.thread;
    if (mode !== "shared") return false;
    return this.#options.counts.holdsMore(index, count, ACCEPT_SLACK);
  }

  /**
   * Waits while this thread is held back, looking again less and less often, or at once when the
   * gate bell rings. It rings the bell first: a thread that waited here may no longer be ahead,
   * and with this one held back too, no thread would accept until its next look.
   */
  async #waitForOthers(): Promise<void> {
    const { counts } = this.#options;
    counts.ringGate();
    this.#heldBack = true;
    let waitMs = ACCEPT_GATE_MS;
    for (;;) {
      const seen = counts.gateRings;
      if (this.#stopped || !this.#holdsMore()) break;
      await counts.waitGate(seen, waitMs);
      waitMs = Math.min(2 * waitMs, ACCEPT_GATE_MAX_MS);
    }
    this.#heldBack = false;
  }
}

/** Whether an accept failed because of that one client (it reset or left first). */
function isClientGone(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.NotConnected;
}
