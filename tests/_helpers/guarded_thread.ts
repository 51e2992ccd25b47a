/**
 * Test helper: runs code in a fresh node thread behind the app thread's guards
 * (`lib/handler/app/guards.ts` and `net_guards.ts`), as an app's thread is: the guards change the
 * globals of the thread they run in, so each case gets its own.
 *
 * @module
 */
import { Worker } from "node:worker_threads";

const GUARDS = new URL("../../lib/handler/app/guards.ts", import.meta.url).href;
const NET_GUARDS = new URL("../../lib/handler/app/net_guards.ts", import.meta.url).href;
/** Generous: a cold thread loads the guards and node:os, on a shared 2-core machine. */
const CASE_MS = 30_000;

/**
 * Runs `body` (the inside of an async function) in a fresh node thread after the guards; `end`
 * posts its reason and throws, as the thread's end would stop it.
 *
 * @param body the code to run; what it returns is posted
 * @param server the address the guards keep the app off (`guardListen`); none by default
 * @returns what the thread posted: "returned: …", "threw: …" (the message) or "ended: …"
 */
export function inGuardedThread(body: string, server: Deno.NetAddr | null = null): Promise<string> {
  const code = `
    const { parentPort } = require("node:worker_threads");
    Promise.all([import(${JSON.stringify(GUARDS)}), import(${JSON.stringify(NET_GUARDS)})])
      .then(async ([guards, net]) => {
        guards.guardSignals((reason) => {
          parentPort.postMessage("ended: " + reason);
          throw new Error("ended");
        });
        guards.refuseThreads();
        net.guardListen(${JSON.stringify(server)});
        net.refuseDescriptors();
        try {
          parentPort.postMessage("returned: " + String(await (async () => { ${body} })()));
        } catch (error) {
          if (error?.message !== "ended") parentPort.postMessage("threw: " + error.message);
        }
      });
  `;
  const thread = new Worker(code, { eval: true });
  const { promise, resolve, reject } = Promise.withResolvers<string>();
  const timer = setTimeout(() => reject(new Error(`no answer in ${CASE_MS} ms`)), CASE_MS);
  thread.once("message", resolve);
  thread.once("error", reject);
  return promise.finally(() => {
    clearTimeout(timer);
    thread.terminate();
  });
}
