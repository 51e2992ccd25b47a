/**
 * An app's node worker thread (started by `host.ts`, entered at `../app_entry.ts`): serves
 * requests as any worker does, after making each way the thread can end report why, so the log
 * names the cause.
 *
 * A node worker thread has no `self`; apps written for `deno serve` may use it, so it is the
 * global object here, as in Deno's main thread. `Deno.exit()`, `process.exit()` (which calls
 * it) and `self.close()` still end the thread, and an uncaught error or unhandled rejection
 * still crashes it, but each first reports itself; the pool then replaces the worker and its
 * requests get 502, where in a Web Worker they ended it silently. A signal to the server's own
 * process ends the thread the same way, the app may start no threads nor inspector sessions
 * (see `guards.ts`), and it may not listen on the server's address, share or adopt the server's
 * socket, nor ask for unstable network options Deno would end the process for (`net_guards.ts`). A
 * heap watch catches the one out-of-memory case Deno misses, and ArrayBuffer memory, which the
 * heap limit does not count. All of this is in place before the app module loads.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { getHeapStatistics } from "node:v8";
import process from "node:process";
import type { WorkerEvent, WorkerInit } from "../../wire/protocol.ts";
import type { PostEvent } from "../serve.ts";
import { errorText } from "../../wire/log_text.ts";
import { appFailureLine } from "../access_log.ts";
import { type AppThreadInit, outOfBufferMemory, outOfMemory } from "./host.ts";
import { guardSignals, refuseInspector, refuseThreads } from "./guards.ts";
import { guardListen, refuseDescriptors } from "./net_guards.ts";
import { installUpgrade } from "./upgrade.ts";

/**
 * How often the thread checks whether V8 reached its heap limit (see `watchHeap`), and stamps its
 * progress; the pool counts an idle app worker as stalled after a few of these (`IDLE_STALL_MS`).
 */
const HEAP_CHECK_MS = 100;

/** How the thread reports and ends: kept from before the app can replace `Deno.exit`. */
interface ThreadEnd {
  post: PostEvent;
  exit: (code?: number) => never;
  /** `self.close()`: ends the thread without running the app's `unload` listeners. */
  close: () => void;
  /** This thread's CPU time (RUSAGE_THREAD), kept before the app loads and could replace it. */
  threadCpu: () => { user: number; system: number };
}

/**
 * Makes this node thread safe to run an app in (every end reported; the host's stop heard;
 * signals, threads, inspector sessions, the server's address and socket and unstable options
 * refused; the stop lock held; WebSocket upgrades installed), then starts the serve loop,
 * watches the heap on the loop's progress stamp and withholds the channel's memory and the stop
 * word from the app. Call it before the app module loads.
 *
 * @param init the worker's configuration and stop word: the thread's `workerData`, which the app
 *   can read too
 * @param serveLoop starts the serve loop with where to post; returns its stamp of progress and
 *   of the thread's system CPU time
 * @example
 * ```ts ignore
 * import { workerData } from "node:worker_threads";
 * import { runAppThread } from "./thread.ts";
 * runAppThread(workerData, (post) => serve(workerData, { post, build: composeHandler }));
 * ```
 */
export function runAppThread(
  init: AppThreadInit,
  serveLoop: (post: PostEvent) => (systemUs: number) => void,
): void {
  const end: ThreadEnd = {
    post: (event: WorkerEvent) => parentPort!.postMessage(event),
    exit: Deno.exit,
    close: (globalThis as unknown as { close: () => void }).close.bind(globalThis),
    threadCpu: process.threadCpuUsage.bind(process),
  };
  guardEnds(init, end);
  listenForStop(new Int32Array(init.stopWord), end.close);
  guardSignals((reason) => {
    end.post({ type: "crashed", id: init.id, reason });
    return end.exit(1);
  });
  refuseThreads();
  refuseInspector();
  guardListen(init.serverAddress);
  refuseDescriptors();
  holdStopLock(init.id);
  installUpgrade(init.websocket);
  watchHeap(init, { ...end, beat: serveLoop(end.post) });
  withholdChannel(init);
}

/**
 * Takes the channels' and the board's memory, and the stop word, out of `workerData` once the
 * worker's ends hold them: the app reads the same `workerData`, and with that memory it could
 * stamp progress while it spins (the watchdog and the stall check would never see it stuck) or
 * write the rings. The app loads after this (`serve` imports it asynchronously).
 */
function withholdChannel(init: AppThreadInit): void {
  Reflect.deleteProperty(init, "channels");
  Reflect.deleteProperty(init, "board");
  Reflect.deleteProperty(init, "stopWord");
}

/**
 * Ends the thread once its host sets the stop word (the pool stops or replaces its worker, see
 * `host.ts`): by `self.close()`, which Deno marks as the thread's own end before halting it, so
 * nothing is printed, and which runs none of the app's code. An app that holds the event loop
 * never sees the word: its worker is terminated after the pool's bound instead.
 */
function listenForStop(word: Int32Array, close: () => void): void {
  const wait = Atomics.waitAsync(word, 0, 0);
  if (wait.async) wait.value.then(close);
  else close();
}

/**
 * Holds a Web Lock for the thread's whole life. Terminating a thread only wakes its event loop,
 * so an app stuck in a loop would spin on after the watchdog replaced its worker, a core lost
 * for good (Deno 2.9.6); but a node thread that holds a lock is halted mid-loop when it is
 * dropped, so that its lock can be handed on. The lock is never asked for elsewhere, but Web
 * Locks are shared by the whole process: any app thread can list them (`navigator.locks.query()`)
 * and steal one. A stolen lock is taken again under a new name, so the thread stays one that a
 * termination halts, and the steal's AbortError is not reported as this thread's app failing
 * (it was: one app thread stealing the others' locks crashed every other app worker). Deno
 * halts such a thread before marking it as terminating, and may then print "execution
 * terminated" (see `host.ts`): so a stop goes through {@linkcode listenForStop}, and only a
 * thread that does not end itself (a stuck app) is halted.
 */
function holdStopLock(id: number): void {
  const name = `heiretsu-app-thread-${id}-${crypto.randomUUID()}`;
  // Typed here: Deno's own libs leave `locks` to "dom", which a user's type check may lack.
  const { locks } = navigator as unknown as {
    locks: { request(n: string, f: () => unknown): Promise<unknown> };
  };
  locks.request(name, () => new Promise<never>(() => {})).catch(() => holdStopLock(id));
}

/**
 * Ends the thread as out of memory when V8 has reached its heap limit. V8 then raises the limit a
 * little so the thread can be stopped, and Deno stops it, except when the limit is reached in a
 * callback of a promise that a timer or I/O resolved (an app's `await`, then allocations): then
 * the stop is lost, and the thread goes on without the request it was serving and with its heap
 * full (Deno 2.9.6). A raised limit is the trace that remains.
 *
 * Its timer also keeps the thread alive: a node thread ends once its event loop is empty, and
 * the channel pump's pending `Atomics.waitAsync` does not count. Each tick stamps the worker's
 * progress (`beat`): an app that holds the event loop between requests (a synchronous job on a
 * timer, `Atomics.wait` as a sleep) stops the stamps, and the pool sends it no requests. One
 * timer for both: waking a thread costs ~80 µs of CPU, so an idle server pays for no more wakes.
 * The stamp carries the thread's system CPU time: memory V8 does not count (a WebAssembly memory,
 * a SharedArrayBuffer) is paid for in kernel time as its pages are first touched, by the thread
 * touching them (measured: ~2 ms per MiB), which is how the pool's memory backstop finds it.
 */
function watchHeap(
  init: WorkerInit,
  parts: ThreadEnd & { beat: (systemUs: number) => void },
): void {
  const { post, exit, threadCpu, beat } = parts;
  const limit = getHeapStatistics().heap_size_limit;
  const externalLimit = init.appHeapMib * 1024 * 1024;
  setInterval(() => {
    beat(threadCpu().system);
    const stats = getHeapStatistics();
    // ArrayBuffer contents live outside the heap V8 caps: held to the same size here.
    const external = stats.external_memory > externalLimit;
    if (stats.heap_size_limit <= limit && !external) return;
    const reason = external ? outOfBufferMemory(init.appHeapMib) : outOfMemory(init.appHeapMib);
    post({ type: "crashed", id: init.id, reason });
    exit(1);
  }, HEAP_CHECK_MS);
}

/** Makes every way of ending the thread report why, then end it as it would have. */
function guardEnds(init: WorkerInit, end: ThreadEnd): void {
  const { id, logFormat } = init;
  const { post, exit, close } = end;
  const global = globalThis as unknown as Record<string, unknown>;
  const crash = (reason: string) => post({ type: "crashed", id, reason });
  global.self ??= globalThis;
  (Deno as { exit: (code?: number) => never }).exit = (code?: number) => {
    const shown = code ?? "";
    crash(`the app called Deno.exit(${shown}) or process.exit(${shown})`);
    return exit(code);
  };
  global.close = () => {
    crash("the app called self.close()");
    close();
  };
  const uncaught = (what: string, error: unknown) => {
    const text = errorText(error);
    console.error(appFailureLine({ worker: id, what, error: text }, logFormat));
    crash(`${what}: ${text.split("\n")[0]}`);
    exit(1);
  };
  // Handled here, the error is neither printed raw by Deno (an app's message could forge log
  // lines) nor left to end the thread without a word.
  addEventListener("error", (event) => {
    event.preventDefault();
    uncaught("uncaught error in the app", event.error ?? event.message);
  });
  addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    uncaught("unhandled rejection in the app", event.reason);
  });
}
