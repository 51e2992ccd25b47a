/**
 * Ending a handler worker's thread, for the pool: the worker is asked to stop first, and
 * terminated once it has (or after a bound), because terminating an app worker whose app's
 * thread still runs is not quiet (see `lib/handler/app/host.ts`).
 *
 * @module
 */
import type { WorkerEvent, WorkerStop } from "../wire/protocol.ts";

/**
 * How long a worker asked to stop has to answer (its app's thread ends itself, see
 * `lib/handler/app/host.ts`) before it is terminated anyway: an app that holds its event loop
 * cannot answer. Measured: an idle app worker answers in 5–30 ms.
 */
export const STOP_WAIT_MS = 1000;

/**
 * Ends a worker's thread: asks it to stop and terminates it once it answers "stopped", or after
 * `waitMs` (at once for 0: a stuck app cannot answer). An app worker answers once its app's
 * thread has ended itself, which Deno does quietly; terminated while that thread still runs, the
 * worker takes it down mid-turn, and Deno 2.9.6 may print `Uncaught (in worker
 * "heiretsu-app-N") Error: execution terminated` to the process's standard error. From the
 * request on, whatever else the worker says is ignored, and an error it raises only ends the
 * wait.
 *
 * @param thread the worker's thread, past its init message
 * @param waitMs how long it may take to answer, in ms; 0 to terminate it at once
 * @returns once the worker is terminated
 * @example
 * ```ts ignore
 * import { retire, STOP_WAIT_MS } from "./retire.ts";
 * await retire(thread, STOP_WAIT_MS);
 * ```
 */
export function retire(thread: Worker, waitMs: number): Promise<void> {
  if (waitMs === 0) {
    thread.terminate();
    return Promise.resolve();
  }
  const answered = Promise.withResolvers<void>();
  const timer = setTimeout(answered.resolve, waitMs);
  thread.onmessage = (event: MessageEvent<WorkerEvent>) => {
    if (event.data?.type === "stopped") answered.resolve();
  };
  thread.onerror = (event) => {
    event.preventDefault();
    answered.resolve();
  };
  thread.postMessage({ type: "stop" } satisfies WorkerStop);
  return answered.promise.then(() => {
    clearTimeout(timer);
    thread.terminate();
  });
}
