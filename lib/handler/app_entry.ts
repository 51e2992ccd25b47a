/**
 * Entry of an app's node worker thread, which `app/host.ts` starts from the Web Worker: guards
 * the thread (`app/thread.ts`), then serves files and app as `compose.ts` wires them. It sits
 * here, beside `entry.ts`, because it imports both `app/` and the wiring above it.
 *
 * @module
 */
import { workerData } from "node:worker_threads";
import { serve } from "./serve.ts";
import { composeHandler } from "./compose.ts";
import { runAppThread } from "./app/thread.ts";
import type { AppThreadInit } from "./app/host.ts";

const init = workerData as AppThreadInit;
runAppThread(init, (post) => serve(init, { post, build: composeHandler }));
