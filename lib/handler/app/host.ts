/**
 * The app's host: an app worker's Web Worker runs the app in a node worker thread of its own,
 * because a Web Worker's heap cannot be capped, and an app that allocates without end would grow
 * it until V8 aborts the whole process. The thread gets a heap limit (`--app-heap`), inherits the
 * Web Worker's sandbox, and shares its channel memory; the host relays its "ready" and "fatal"
 * and reports its end (out of memory, `Deno.exit`, `self.close()`, an uncaught error) as a
 * crash, so the pool replaces the worker as it does any crashed one.
 *
 * Terminating the host (the watchdog, a shutdown) ends the thread with it.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import type { WorkerEvent, WorkerInit } from "../../wire/protocol.ts";
import type { PostEvent } from "../serve.ts";

/**
 * Starts the app's thread and relays what it reports; posts one "crashed" when it ends.
 *
 * @param init the worker's configuration, passed on whole (its shared memory included)
 * @param parts where events for the main thread go, and the thread's entry module (it sits above
 *   `app/`, beside the Web Worker's entry, because it wires files and app to the serve loop)
 * @example
 * ```ts ignore
 * import { hostApp } from "./host.ts";
 * const entry = new URL("../app_entry.ts", import.meta.url);
 * self.onmessage = (event) =>
 *   hostApp(event.data, { post: (message) => self.postMessage(message), entry });
 * ```
 */
export function hostApp(init: WorkerInit, parts: { post: PostEvent; entry: URL }): void {
  const { post, entry } = parts;
  const { id } = init;
  let thread: Worker;
  try {
    thread = new Worker(entry, {
      workerData: init,
      name: `heiretsu-app-${id}`,
      resourceLimits: { maxOldGenerationSizeMb: init.appHeapMib },
    });
  } catch (error) {
    return post({ type: "fatal", id, message: `cannot start the app's thread: ${error}` });
  }
  let ended = false;
  const end = (reason: string) => {
    if (ended) return;
    ended = true;
    post({ type: "crashed", id, reason });
  };
  thread.on("message", (event: WorkerEvent) => {
    if (event?.type === "crashed") end(event.reason);
    else if (event?.type === "ready" || event?.type === "fatal") post(event);
  });
  thread.on("error", (error: Error & { code?: string }) => end(errorReason(error, init)));
  thread.on("exit", (code: number) => end(`the app's thread ended with exit code ${code}`));
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
