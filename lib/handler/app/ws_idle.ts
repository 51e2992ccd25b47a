/**
 * Deno's idle timeout of a server WebSocket: after half the timeout without a frame from the
 * client, a ping; after the other half still without one, the socket is closed. One timer per
 * socket, re-armed only when it fires: a frame only stamps the time.
 *
 * @module
 */

/** What the watch does when the client stays silent. */
export interface IdleActions {
  /** Half the timeout passed without a frame: send a ping. */
  ping(): void;
  /** The whole timeout passed, the ping unanswered: close. */
  expire(): void;
}

/**
 * Watches a socket for silence.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IdleWatch } from "./ws_idle.ts";
 * const seen: string[] = [];
 * const watch = new IdleWatch(40, { ping: () => seen.push("ping"), expire: () => seen.push("expire") });
 * watch.start();
 * await new Promise((resolve) => setTimeout(resolve, 120));
 * assert.deepEqual(seen, ["ping", "expire"]);
 * watch.stop();
 * ```
 */
export class IdleWatch {
  #halfMs: number;
  #actions: IdleActions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastFrameAt = 0;
  #pinged = false;

  /**
   * Prepares a watch; {@linkcode IdleWatch.start} starts it.
   *
   * @param timeoutMs the idle timeout; 0 turns the watch off
   * @param actions what to do on silence
   */
  constructor(timeoutMs: number, actions: IdleActions) {
    this.#halfMs = timeoutMs / 2;
    this.#actions = actions;
  }

  /** Starts watching, from now. */
  start(): void {
    if (this.#halfMs <= 0) return;
    this.#lastFrameAt = Date.now();
    this.#arm(this.#halfMs);
  }

  /** A frame came from the client. */
  touch(): void {
    if (this.#timer === undefined) return;
    this.#lastFrameAt = Date.now();
    this.#pinged = false;
  }

  /** Stops watching. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(() => this.#check(), Math.max(1, delayMs));
  }

  #check(): void {
    const silentMs = Date.now() - this.#lastFrameAt;
    if (silentMs < this.#halfMs) return this.#arm(this.#halfMs - silentMs);
    if (!this.#pinged) {
      this.#pinged = true;
      this.#lastFrameAt = Date.now();
      this.#arm(this.#halfMs);
      return this.#actions.ping();
    }
    this.#timer = undefined;
    this.#actions.expire();
  }
}
