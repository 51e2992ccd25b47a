/**
 * The app's host (lib/handler/app/host.ts), run on the test's thread: it starts a real app
 * thread, relays what the thread says, and, asked to stop, has the thread end itself and says
 * "stopped" once it has exited, never reporting that end as a crash. Bound: each wait 30 s (a
 * cold thread loads the serve loop and the app on a shared 2-core machine).
 */
import assert from "node:assert/strict";
import { hostApp } from "../../../lib/handler/app/host.ts";
import { workerInit } from "../../../lib/supervisor/worker_init.ts";
import { createBoardMemory } from "../../../lib/wire/board.ts";
import { createChannelMemory } from "../../../lib/wire/channel.ts";
import type { WorkerEvent } from "../../../lib/wire/protocol.ts";
import { DEFAULTS } from "../../../lib/config/settings.ts";
import { waitFor } from "../../_helpers/wait.ts";

const APP_ENTRY = new URL("../../../lib/handler/app_entry.ts", import.meta.url);
const WAIT_MS = 30_000;

/** Hosts `app` as worker 1 would be; returns the stop and the events posted so far. */
function host(app: string): { stop: () => void; events: WorkerEvent[] } {
  const sizes = { toWorkerBytes: 1 << 18, toIoBytes: 1 << 21 };
  const worker = {
    id: 1,
    channels: [createChannelMemory(sizes)],
    boardMemory: createBoardMemory(),
  };
  const parts = { worker, sizes, listening: null, serverAddress: null };
  const init = workerInit({ ...DEFAULTS, app, quiet: true }, parts);
  const events: WorkerEvent[] = [];
  const stop = hostApp(init, { post: (event) => events.push(event), entry: APP_ENTRY });
  return { stop, events };
}

/** Waits for an event of the type; returns every type posted by then. */
async function until(events: WorkerEvent[], type: WorkerEvent["type"]): Promise<string[]> {
  await waitFor(() => events.some((event) => event.type === type), {
    timeoutMs: WAIT_MS,
    what: `a "${type}" event, after ${JSON.stringify(events)}`,
  });
  return events.map((event) => event.type);
}

/** An app module as a data: URL. */
function appSource(source: string): string {
  return `data:application/javascript,${encodeURIComponent(source)}`;
}

Deno.test("hostApp() has a serving app's thread end itself on a stop, then answers stopped, not crashed", async () => {
  const { stop, events } = host(appSource(`export default { fetch: () => new Response("ok") };`));
  await until(events, "ready");
  stop();
  assert.deepEqual(await until(events, "stopped"), ["ready", "stopped"]);
  // Asked again, it answers again, at once.
  stop();
  assert.deepEqual(events.map((event) => event.type), ["ready", "stopped", "stopped"]);
});

Deno.test("hostApp() reports an app that ends its thread as crashed at once, and answers a later stop once it has exited", async () => {
  const exits = `setTimeout(() => Deno.exit(3), 50);
    export default { fetch: () => new Response("ok") };`;
  const { stop, events } = host(appSource(exits));
  await until(events, "crashed");
  stop();
  assert.deepEqual(await until(events, "stopped"), ["ready", "crashed", "stopped"]);
  const crashed = events.find((event) => event.type === "crashed");
  assert.deepEqual(crashed, {
    type: "crashed",
    id: 1,
    reason: "the app called Deno.exit(3) or process.exit(3)",
  });
});

Deno.test("hostApp() has a thread whose app failed to load end itself on a stop, with no crash", async () => {
  const { stop, events } = host(appSource(`throw new Error("no app here");`));
  await until(events, "fatal");
  stop();
  assert.deepEqual(await until(events, "stopped"), ["fatal", "stopped"]);
});

Deno.test("hostApp() stops a thread still starting: it ends itself as soon as it runs, with no crash", async () => {
  const { stop, events } = host(appSource(`export default { fetch: () => new Response("ok") };`));
  stop();
  assert.deepEqual(await until(events, "stopped"), ["stopped"]);
});

Deno.test("hostApp() passes on only well-formed events from the thread: an app posting to parentPort cannot hand the pool a reason that is not text", async () => {
  // The app shares the thread's parentPort; a forged event's fields reached the pool as they
  // were, and a reason that was not a string threw in the server's main thread, ending it.
  const forges = `import { parentPort } from "node:worker_threads";
    parentPort.postMessage({ type: "fatal", id: 9, message: { toString: 1, valueOf: 1 } });
    parentPort.postMessage({ type: "crashed", id: 9, reason: { not: "text" } });
    export default { fetch: () => new Response("ok") };`;
  const { stop, events } = host(appSource(forges));
  await until(events, "crashed");
  stop();
  await until(events, "stopped");
  const fatal = events.find((event) => event.type === "fatal");
  const crashed = events.find((event) => event.type === "crashed");
  assert.deepEqual(fatal, {
    type: "fatal",
    id: 1,
    message: "the app's thread posted an event that is not text",
  });
  assert.deepEqual(crashed, {
    type: "crashed",
    id: 1,
    reason: "the app's thread posted an event that is not text",
  });
});

Deno.test("hostApp() passes on one start outcome: an app posting ready or fatal again and again does not flood the main thread", async () => {
  // Relayed one for one, a flood of them kept the server's main thread busy and its memory
  // growing (measured: 800 MiB in 15 s).
  const floods = `import { parentPort } from "node:worker_threads";
    for (let i = 0; i < 1000; i++) {
      parentPort.postMessage({ type: "ready", id: 1 });
      parentPort.postMessage({ type: "fatal", id: 1, message: "forged" });
    }
    export default { fetch: () => new Response("ok") };`;
  const { stop, events } = host(appSource(floods));
  await until(events, "ready");
  // The thread's own "ready" comes after the app loaded, behind the forged ones.
  await new Promise((resolve) => setTimeout(resolve, 500));
  stop();
  assert.deepEqual(await until(events, "stopped"), ["ready", "stopped"]);
});

Deno.test("hostApp() cuts a long reason from the thread: an app cannot hand the main thread text to escape for minutes", async () => {
  // 200 MiB of line feeds ended the whole server (a V8 fatal error escaping them in the main
  // thread), and 50 MiB held the main thread for 17 s.
  const posts = `import { parentPort } from "node:worker_threads";
    parentPort.postMessage({ type: "crashed", id: 1, reason: "\\n".repeat(1 << 20) });
    export default { fetch: () => new Response("ok") };`;
  const { stop, events } = host(appSource(posts));
  await until(events, "crashed");
  stop();
  await until(events, "stopped");
  const crashed = events.find((event) => event.type === "crashed");
  assert.ok(crashed?.type === "crashed" && crashed.reason.length <= 4097, `${crashed}`);
  assert.match(crashed.reason, /^\n+…$/);
});
