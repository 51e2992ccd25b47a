/**
 * The app's host: an app worker's Web Worker runs the app in a node worker thread of its own,
 * because a Web Worker's heap cannot be capped, and an app that allocates without end would grow
 * it until V8 aborts the whole process. The thread gets a heap limit (`--app-heap`), inherits the
 * Web Worker's sandbox, and shares its channel memory; the host relays its "ready" and "fatal"
 * and reports its end (out of memory, `Deno.exit`, `self.close()`, an uncaught error) as a
 * crash, so the pool replaces the worker as it does any crashed one.
 *
 * Stopping goes through the thread: asked to stop, the host sets the thread's stop word (see
 * {@linkcode AppThreadInit}), the thread ends itself, and the host answers "stopped" once it has
 * exited; the pool terminates the worker only then. Terminating the worker first would take the
 * running thread down with it: the thread holds a Web Lock (see `thread.ts`), so Deno 2.9.6
 * interrupts it before marking it as terminating (`WorkerThread`'s drop in
 * `runtime/ops/worker_host.rs`), and an interrupted turn that fails before the mark is set is
 * printed as `Uncaught (in worker "heiretsu-app-N") Error: execution terminated` on the process's
 * standard error: noise in a passing run, and not JSON under `--log-format json`. A thread that
 * closes itself is marked first, and nothing is printed. A stuck app cannot end itself: the pool
 * terminates its worker at once (the watchdog, the memory backstop) or after a bound.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import type { WorkerEvent, WorkerInit } from "../../wire/protocol.ts";
import type { PostEvent } from "../serve.ts";

/**
 * What the app's thread gets as its `workerData`: the worker's configuration, and the word its
 * host sets to ask it to stop. A word, not a message: Deno 2.9.6 holds a node thread started
 * from a Web Worker for 500 ms on the first message it receives (it waits that long for a
 * debugger, `op_worker_maybe_wait_for_debugger`; measured), and a stop should not cost that.
 */
export interface AppThreadInit extends WorkerInit {
  /** One Int32: 0, then 1 (and notified) once the thread is asked to end itself. */
  stopWord: SharedArrayBuffer;
}

/**
 * The app's thread, as its host sees it. Next states:
 * - `running` (serving): to `crashing` when it reports its end or fails, to `exited` when it
 *   exits unannounced, to `stopping` when the pool asks;
 * - `crashing` (its end is reported, its exit awaited): to `exited`, or to `stopping`;
 * - `stopping` (asked to end itself): to `exited`, answering "stopped";
 * - `exited`: nothing of it runs; a stop is answered at once.
 */
type ThreadState = "running" | "crashing" | "stopping" | "exited";

/**
 * Starts the app's thread and relays what it reports; posts one "crashed" when it ends, unless
 * asked to stop first.
 *
 * @param init the worker's configuration, passed on whole (its shared memory included)
 * @param parts where events for the main thread go, and the thread's entry module (it sits above
 *   `app/`, beside the Web Worker's entry, because it wires files and app to the serve loop)
 * @returns the stop: asks the thread to end itself, then posts "stopped" once it has exited
 * @example
 * ```ts ignore
 * import { hostApp } from "./host.ts";
 * const entry = new URL("../app_entry.ts", import.meta.url);
 * const stop = hostApp(init, { post: (message) => self.postMessage(message), entry });
 * ```
 */
export function hostApp(init: WorkerInit, parts: { post: PostEvent; entry: URL }): () => void {
  const { post, entry } = parts;
  const { id } = init;
  const stopWord = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  let thread: Worker;
  try {
    thread = new Worker(entry, {
      workerData: { ...init, stopWord: stopWord.buffer } satisfies AppThreadInit,
      name: `heiretsu-app-${id}`,
      resourceLimits: { maxOldGenerationSizeMb: init.appHeapMib },
    });
  } catch (error) {
    post({ type: "fatal", id, message: `cannot start the app's thread: ${error}` });
    return () => post({ type: "stopped", id });
  }
  return watchThread(thread, { init, post, stopWord });
}

/** Follows the thread through its states (see {@linkcode ThreadState}); returns the stop. */
function watchThread(
  thread: Worker,
  parts: { init: WorkerInit; post: PostEvent; stopWord: Int32Array },
): () => void {
  const { init, post, stopWord } = parts;
  const { id } = init;
  let state: ThreadState = "running";
  const crash = (reason: string) => {
    if (state !== "running") return;
    state = "crashing";
    post({ type: "crashed", id, reason });
  };
  // The app can post here too (it may import `parentPort`): an event is rebuilt with this
  // worker's id and text only, since the pool reads its fields as such in the main thread, and
  // only the first start outcome passes, so that a flood of them stays in this worker.
  let started = false;
  thread.on("message", (event: WorkerEvent) => {
    if (event?.type === "crashed") return crash(postedText(event.reason));
    if (started || (event?.type !== "ready" && event?.type !== "fatal")) return;
    started = true;
    if (event.type === "ready") post({ type: "ready", id });
    else post({ type: "fatal", id, message: postedText(event.message) });
  });
  thread.on("error", (error: Error & { code?: string }) => crash(errorReason(error, init)));
  thread.on("exit", (code: number) => {
    crash(`the app's thread ended with exit code ${code}`);
    if (state === "stopping") post({ type: "stopped", id });
    state = "exited";
  });
  return () => {
    if (state === "exited") return post({ type: "stopped", id });
    if (state === "stopping") return;
    state = "stopping";
    Atomics.store(stopWord, 0, 1);
    Atomics.notify(stopWord, 0);
  };
}

/**
 * The longest reason or message passed on, in UTF-16 code units: the thread's own are far
 * shorter, and the main thread escapes and logs each (200 MiB of line feeds, posted by an app,
 * ended the process there).
 */
const POSTED_TEXT_MAX = 4096;

/** A reason or message the thread posted, as text of bounded length (an app may post anything). */
function postedText(value: unknown): string {
  if (typeof value !== "string") return "the app's thread posted an event that is not text";
  return value.length > POSTED_TEXT_MAX ? `${value.slice(0, POSTED_TEXT_MAX)}…` : value;
}

/** Why the thread failed: out of its heap, or an error the thread itself could not report. */
function errorReason(error: Error & { code?: string }, init: WorkerInit): string {
  if (error?.code === "ERR_WORKER_OUT_OF_MEMORY") return outOfMemory(init.appHeapMib);
  return `the app's thread failed: ${error}`;
}

/**
 * The crash reason of an app's thread that reached its heap limit.
 *
 * @param heapMib the limit, from `--app-heap`
 * @returns the reason, naming the flag
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { outOfMemory } from "./host.ts";
 * assert.equal(outOfMemory(512), "the app ran out of memory (--app-heap 512 MiB)");
 * ```
 */
export function outOfMemory(heapMib: number): string {
  return `the app ran out of memory (--app-heap ${heapMib} MiB)`;
}

/**
 * The crash reason of an app's thread that holds more ArrayBuffer memory than its heap may hold.
 *
 * @param heapMib the limit, from `--app-heap`
 * @returns the reason, naming the flag
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { outOfBufferMemory } from "./host.ts";
 * assert.equal(
 *   outOfBufferMemory(64),
 *   "the app holds over 64 MiB of ArrayBuffer memory (--app-heap 64 MiB)",
 * );
 * ```
 */
export function outOfBufferMemory(heapMib: number): string {
  return `the app holds over ${heapMib} MiB of ArrayBuffer memory (--app-heap ${heapMib} MiB)`;
}
