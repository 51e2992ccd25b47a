/**
 * The app thread's guards (lib/handler/app/guards.ts), each run in a node thread of its own, as
 * an app's thread is (`inGuardedThread`): they change the globals of the thread they run in. The
 * signals tried are ones whose default action is to be ignored (SIGURG, SIGWINCH), so a guard
 * that let one through would be seen failing, not end the test run. Bound: each case within 30 s.
 */
import assert from "node:assert/strict";
import { THREADS_REFUSED } from "../../../lib/handler/app/guards.ts";
import { inGuardedThread } from "../../_helpers/guarded_thread.ts";

Deno.test("guardSignals() ends the thread on Deno.kill() of the server's own pid", async () => {
  assert.equal(
    await inGuardedThread(`Deno.kill(Deno.pid, "SIGURG"); return "sent";`),
    "ended: the app sent SIGURG to the server's process",
  );
});

Deno.test("guardSignals() ends the thread on process.kill(), named and default, by name or number", async () => {
  const cases: [string, string][] = [
    [`process.kill(process.pid, "SIGWINCH")`, "SIGWINCH to the server's process"],
    [`(await import("node:process")).kill(process.pid, "SIGURG")`, "SIGURG to the server's"],
    [`globalThis.process.kill(process.pid, 28)`, "SIGWINCH to the server's process"],
    [`process.kill(0, "SIGURG")`, "SIGURG to pid 0, which includes the server's process"],
    [`process.kill(-1, "SIGURG")`, "SIGURG to pid -1, which includes the server's process"],
    [`Deno.kill(-process.pid, "SIGURG")`, "which includes the server's process"],
    [`Deno.kill(String(Deno.pid), "SIGURG")`, "SIGURG to the server's process"],
  ];
  for (const [call, reason] of cases) {
    const answer = await inGuardedThread(`${call}; return "sent";`);
    assert.ok(answer.startsWith("ended: the app sent ") && answer.includes(reason), answer);
  }
});

Deno.test("guardSignals() lets signal 0 (does the process exist?) through", async () => {
  assert.equal(await inGuardedThread(`return process.kill(process.pid, 0);`), "returned: true");
});

Deno.test("guardSignals() cannot be undone: Deno.kill and process._kill keep the guard", async () => {
  const answer = await inGuardedThread(`
    const failures = [];
    for (const undo of [
      () => { "use strict"; Deno.kill = () => {}; },
      () => Object.defineProperty(Deno, "kill", { value: () => {} }),
      () => { "use strict"; process._kill = () => 0; },
      () => Object.defineProperty(process, "_kill", { get: () => () => 0 }),
      () => { if (!delete Deno.kill) throw new Error("kept"); },
    ]) {
      try { undo(); failures.push("undone"); } catch { failures.push("kept"); }
    }
    Deno.kill(Deno.pid, "SIGURG");
    return failures.join();
  `);
  assert.equal(answer, "ended: the app sent SIGURG to the server's process");
});

Deno.test("refuseThreads() makes node's Worker (named and default export) and the Web Worker throw", async () => {
  for (
    const start of [
      `new (await import("node:worker_threads")).Worker("1", { eval: true })`,
      `new (await import("node:worker_threads")).default.Worker("1", { eval: true })`,
      `new Worker("data:application/javascript,1", { type: "module" })`,
      `new globalThis.Worker("data:application/javascript,1", { type: "module" })`,
    ]
  ) {
    assert.equal(await inGuardedThread(`${start}; return "started";`), `threw: ${THREADS_REFUSED}`);
  }
});

Deno.test("refuseThreads() cannot be undone: the classes keep their throwing parent", async () => {
  const answer = await inGuardedThread(`
    const { Worker: NodeWorker } = await import("node:worker_threads");
    const kept = [];
    for (const undo of [
      () => Object.setPrototypeOf(NodeWorker, Function.prototype),
      () => Object.setPrototypeOf(Worker, EventTarget),
      () => { "use strict"; globalThis.Worker = class {}; },
    ]) {
      try { undo(); kept.push("undone"); } catch { kept.push("kept"); }
    }
    try { new NodeWorker("1", { eval: true }); } catch (error) { kept.push(error.message); }
    return kept.join(" | ");
  `);
  assert.equal(answer, `returned: kept | kept | kept | ${THREADS_REFUSED}`);
});

Deno.test("process.abort() in an app's thread throws (Deno refuses it in workers), so no guard is needed for it", async () => {
  // Were it to abort, the test run would end here: loud, as a broken assumption should be.
  const answer = await inGuardedThread(`process.abort(); return "aborted";`);
  assert.match(answer, /^threw: process\.abort\(\) is not supported in workers/);
});

Deno.test("guardSignals() reads the pid once: a valueOf() that answers another pid later gets no signal through", async () => {
  // First asked, the pid is one that does not exist; asked again, the server's own.
  const answer = await inGuardedThread(`
    let asked = 0;
    const pid = { valueOf: () => (asked++ === 0 ? 2147483646 : Deno.pid) };
    try { Deno.kill(pid, "SIGURG"); } catch (error) { return "refused by the system, asked " + asked; }
    return "sent, asked " + asked;
  `);
  assert.equal(answer, "returned: refused by the system, asked 1");
});

Deno.test("guardSignals() checks the pid the kill op receives: pid + 0.5 and pid + 2 ** 32 reach it as the pid, 2 ** 32 as the group", async () => {
  // The ops take a 32-bit integer (a fraction is cut, 2 ** 32 wraps): unguarded, each of these
  // signalled the server's process (checked with SIGTERM on deno 2.9.6: the server shut down).
  const cases: [string, string][] = [
    [`Deno.kill(Deno.pid + 0.5, "SIGURG")`, "SIGURG to the server's process"],
    [`Deno.kill(Deno.pid + 2 ** 32, "SIGURG")`, "SIGURG to the server's process"],
    [`process._kill(process.pid + 0.5, 23)`, "SIGURG to the server's process"],
    [`process._kill(process.pid - 2 ** 32, 23)`, "SIGURG to the server's process"],
    [`Deno.kill(2 ** 32, "SIGURG")`, "SIGURG to pid 0, which includes the server's process"],
  ];
  for (const [call, reason] of cases) {
    const answer = await inGuardedThread(`${call}; return "sent";`);
    assert.ok(answer.startsWith("ended: the app sent ") && answer.includes(reason), answer);
  }
});
