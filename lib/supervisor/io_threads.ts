/**
 * The I/O threads as the supervisor runs them: starts `--io-threads` sandboxed threads that each
 * listen on the shared port, tells them of every handler worker that becomes ready or is lost,
 * and steps them through accepting, draining and closing. Listeners are closed one thread at a
 * time: Deno 2.9.5 and older could leave the port bound when duplicates closed at once.
 *
 * @module
 */
import type { ServerConfig } from "../config/settings.ts";
import type { FromIo, IoInit, ListenMode, ToIo, WorkerHandle } from "../wire/io_messages.ts";
import type { ChannelSizes } from "../wire/channel.ts";
import type { WorkerLoss } from "../io/workers.ts";
import { escapeControl } from "../wire/log_text.ts";
import { createIoThread, ioThreadPermissions } from "./sandbox.ts";

/** How long a thread gets to answer `drain` or `close` before it is stopped anyway. */
const ANSWER_WAIT_MS = 2000;
/** How long a thread gets to load and listen (its modules load from disk or the cache). */
const START_WAIT_MS = 60_000;

/** What the I/O threads report to the server. */
export interface IoThreadEvents {
  /** A lifecycle or refusal line. */
  onLog(line: string): void;
  /** A handler worker's record could not be read: replace it. */
  onBroken(id: number, reason: string): void;
  /** An I/O thread failed (a bug): the server cannot go on without it. */
  onFailed(index: number, reason: string): void;
}

/** Why the threads could not start: a reason, and whether this Deno shares no socket. */
export class IoStartError extends Error {
  /** True when the port is not shared between threads: the server falls back to one. */
  readonly unshared: boolean;

  /**
   * @param message what went wrong
   * @param unshared whether sharing the socket is what failed
   */
  constructor(message: string, unshared: boolean) {
    super(message);
    this.unshared = unshared;
  }
}

/** One I/O thread: the Web Worker, and who waits for its next answer. */
interface IoThread {
  index: number;
  thread: Worker;
  answer: ((message: FromIo) => void) | null;
}

/** The running I/O threads. */
export class IoThreads {
  #threads: IoThread[] = [];
  #events: IoThreadEvents;
  #stopped = false;

  /**
   * @param events where their lines and failures go
   */
  constructor(events: IoThreadEvents) {
    this.#events = events;
  }

  /**
   * Starts the threads and waits until each listens on the port.
   *
   * @param options the config, the bound address, how the port is shared, the TLS PEM text,
   *   the counts' memory and the channels' ring sizes
   * @throws {IoStartError} when a thread cannot listen
   */
  async start(options: {
    config: ServerConfig;
    listen: { hostname: string; port: number; mode: ListenMode };
    tls: { cert: string; key: string } | null;
    counts: SharedArrayBuffer;
    sizes: ChannelSizes;
  }): Promise<void> {
    const count = options.config.ioThreads;
    const permissions = ioThreadPermissions(options.listen);
    // One at a time: each duplicate is made from the supervisor's socket, in order.
    for (let index = 1; index <= count; index++) {
      const io: IoThread = { index, thread: createIoThread(index, permissions), answer: null };
      this.#threads.push(io);
      this.#listen(io);
      const init: IoInit = { type: "init", index, count, ...options };
      const answer = await this.#ask(io, init, START_WAIT_MS);
      if (answer.type === "fatal") {
        this.stop();
        throw new IoStartError(answer.message, answer.unshared);
      }
    }
  }

  /**
   * A handler worker is ready: every thread may dispatch to it, each over its own channel.
   *
   * @param worker its id, its channel to each thread (in thread order) and its board's memory
   */
  addWorker(
    worker: { id: number; channels: readonly SharedArrayBuffer[]; boardMemory: SharedArrayBuffer },
  ): void {
    const { id, channels, boardMemory: board } = worker;
    for (const io of this.#threads) {
      const handle: WorkerHandle = { id, channel: channels[io.index - 1], board };
      io.thread.postMessage({ type: "worker", worker: handle } satisfies ToIo);
    }
  }

  /**
   * A handler worker was lost: every thread fails its requests.
   *
   * @param id its slot
   * @param loss why
   */
  loseWorker(id: number, loss: WorkerLoss): void {
    for (const io of this.#threads) {
      io.thread.postMessage({ type: "lost", id, loss } satisfies ToIo);
    }
  }

  /**
   * Every thread begins accepting; with `--reuse-port`, each binds its socket first.
   *
   * @returns when each accepts
   * @throws {IoStartError} when a thread cannot bind its socket
   */
  async accept(): Promise<void> {
    for (const io of this.#threads) {
      const answer = await this.#ask(io, { type: "accept" }, START_WAIT_MS);
      if (answer.type === "fatal") throw new IoStartError(answer.message, false);
    }
  }

  /**
   * Every thread stops accepting, one after another, and closes its idle connections.
   *
   * @returns when each has closed its listener
   */
  async drain(): Promise<void> {
    for (const io of this.#threads) await this.#ask(io, { type: "drain" }, ANSWER_WAIT_MS);
  }

  /**
   * Every thread closes its connections, then the threads stop.
   *
   * @returns when they are stopped
   */
  async close(): Promise<void> {
    for (const io of this.#threads) await this.#ask(io, { type: "close" }, ANSWER_WAIT_MS);
    this.stop();
  }

  /** Stops every thread at once. */
  stop(): void {
    this.#stopped = true;
    for (const io of this.#threads) io.thread.terminate();
    this.#threads = [];
  }

  #listen(io: IoThread): void {
    io.thread.onmessage = (event: MessageEvent<FromIo>) => {
      const message = event.data;
      switch (message.type) {
        case "log":
          return this.#events.onLog(message.line);
        case "broken":
          return this.#events.onBroken(message.id, escapeControl(message.reason));
        default: {
          const answer = io.answer;
          io.answer = null;
          answer?.(message);
        }
      }
    };
    io.thread.onerror = (event) => {
      event.preventDefault();
      const reason = escapeControl(event.message || "uncaught error");
      const answer = io.answer;
      io.answer = null;
      if (answer !== null) return answer({ type: "fatal", message: reason, unshared: false });
      if (!this.#stopped) this.#events.onFailed(io.index, reason);
    };
  }

  /** Sends a message and waits for the thread's answer, or `waitMs`. */
  #ask(io: IoThread, message: ToIo, waitMs: number): Promise<FromIo> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        io.answer = null;
        const text = `no answer to ${message.type} within ${waitMs / 1000} s`;
        resolve({ type: "fatal", message: text, unshared: false });
      }, waitMs);
      io.answer = (answer) => {
        clearTimeout(timer);
        resolve(answer);
      };
      io.thread.postMessage(message);
    });
  }
}
