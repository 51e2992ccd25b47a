/**
 * Worker entry: the sandboxed Web Worker the pool starts. It waits for its init message, then
 * serves files itself, or, with an app, hosts the app in a node worker thread whose heap is
 * capped (see `lib/handler/app/host.ts`). Asked to stop, it answers "stopped" once nothing of it
 * runs but itself: at once when serving files, after the app's thread has exited with an app.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import type { WorkerCommand, WorkerEvent } from "../wire/protocol.ts";
import { serve } from "./serve.ts";
import { composeHandler } from "./compose.ts";
import { hostApp } from "./app/host.ts";

/** The entry of an app's node worker thread, which `hostApp` starts. */
const APP_ENTRY = new URL("./app_entry.ts", import.meta.url);

self.onmessage = (event: MessageEvent<WorkerCommand>) => {
  if (event.data?.type !== "init") {
    throw new Error(
      `protocol violation: worker expected an init message, got ${JSON.stringify(event.data)}`,
    );
  }
  const init = event.data;
  const post = (message: WorkerEvent) => self.postMessage(message);
  let stop = () => post({ type: "stopped", id: init.id });
  // No user code runs in a files-only worker: it needs no heap cap, nor the thread's start cost.
  if (init.app === null) serve(init, { post, build: composeHandler });
  else stop = hostApp(init, { post, entry: APP_ENTRY });
  self.onmessage = (late: MessageEvent<WorkerCommand>) => {
    if (late.data?.type !== "stop") {
      throw new Error(
        `protocol violation: unexpected message after init: ${JSON.stringify(late.data)}`,
      );
    }
    stop();
  };
};
