/**
 * Worker entry: the sandboxed Web Worker the pool starts. It waits for its init message, then
 * serves (see `serve.ts`).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import type { WorkerEvent, WorkerInit } from "./protocol.ts";
import { serve } from "./serve.ts";

self.onmessage = (event: MessageEvent<WorkerInit>) => {
  if (event.data?.type !== "init") {
    throw new Error(
      `protocol violation: worker expected an init message, got ${JSON.stringify(event.data)}`,
    );
  }
  self.onmessage = (late: MessageEvent) => {
    throw new Error(
      `protocol violation: unexpected message after init: ${JSON.stringify(late.data)}`,
    );
  };
  const init = event.data;
  const post = (message: WorkerEvent) => self.postMessage(message);
  serve(init, post);
};
