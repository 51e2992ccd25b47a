/**
 * What an app's thread may not do to the process it shares, installed before the app loads.
 *
 * Deno lets any thread signal its own process without `--allow-run`: `Deno.kill(Deno.pid, …)`
 * and `process.kill(process.pid, …)` (the default export, `globalThis.process` and the named
 * export `kill`, which all call `process._kill`) could end, stop or shut down the whole server.
 * {@linkcode guardSignals} turns a signal to the server's process (its pid, 0, or a negative pid:
 * a process group, which holds it) into the app thread's end, reported like `Deno.exit`.
 *
 * A thread the app starts would escape all of this, and the heap cap too (a Web Worker or
 * `node:worker_threads` Worker gets V8's default limit, and nobody watches it):
 * {@linkcode refuseThreads} makes both constructors throw before any thread is made. Signals to
 * other processes, and other ways of starting processes, need `--allow-run` as before.
 *
 * `node:inspector` would reach every closure in the thread, the originals kept here included:
 * the app's `--allow-sys` leaves it out (`lib/supervisor/sandbox.ts`), and {@linkcode refuseInspector}
 * makes its `Session` say why.
 *
 * What the app may not do with the process's sockets (listen on the server's address, share or
 * adopt its socket, ask for options Deno would end the process for) is refused in `net_guards.ts`.
 *
 * Each guard is a non-writable, non-configurable property, so the app cannot undo it, and the
 * original functions are kept only in this module's closures.
 *
 * @module
 */
import process from "node:process";
import { constants } from "node:os";
import { Worker as NodeWorker } from "node:worker_threads";
import { Session } from "node:inspector";

/** Ends the app's thread, first reporting `reason` as its crash; never returns. */
export type EndThread = (reason: string) => never;

/**
 * What a thread the app tries to start throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { THREADS_REFUSED } from "./guards.ts";
 * assert.match(THREADS_REFUSED, /--workers/);
 * ```
 */
export const THREADS_REFUSED = "an app may not start threads: its own threads would run outside " +
  "--app-heap and the watchdog; to serve more requests at once, run more app workers with --workers";

/**
 * Makes a signal to the server's process end the calling thread instead (reported as its crash,
 * as `Deno.exit` is); signals to other processes go through as before. Signal 0, which only asks
 * whether a process exists, is let through.
 *
 * @param end how the thread ends, with the reason to log
 * @example
 * ```ts ignore
 * import { guardSignals } from "./guards.ts";
 * guardSignals((reason) => { report(reason); return Deno.exit(1); });
 * ```
 */
export function guardSignals(end: EndThread): void {
  const server = Deno.pid;
  const hitsServer = (target: number) => target === server || target <= 0;
  const refuse = (target: number, signal: string | number): never =>
    end(
      `the app sent ${signalName(signal)} to ${
        target === server
          ? "the server's process"
          : `pid ${target}, which includes the server's process`
      }`,
    );
  const denoKill = Deno.kill;
  // The pid is read once and passed on as read: an object whose valueOf() answers another pid
  // the second time must not get past the check.
  lock(Deno, "kill", (target: number, signal: Deno.Signal = "SIGTERM") => {
    const pid = asPid(target);
    if (hitsServer(pid)) refuse(pid, signal);
    return denoKill(pid, signal);
  });
  // process.kill() and the named export `kill` of node:process both call process._kill(pid, signo).
  const node = process as unknown as { _kill(target: number, signal: number): number };
  const nodeKill = node._kill;
  lock(process, "_kill", (target: number, signal: number) => {
    const pid = asPid(target);
    if (signal !== 0 && hitsServer(pid)) refuse(pid, signal);
    return nodeKill.call(process, pid, signal);
  });
}

/**
 * Makes every constructor of a thread throw {@linkcode THREADS_REFUSED}: the Web Worker of
 * `globalThis.Worker` and node's `Worker` (its named export is a binding no one can rebind, so
 * the class itself is changed: its constructor calls its parent first, and the parent is now a
 * function that throws, which the class, made non-extensible, keeps).
 *
 * @example
 * ```ts ignore
 * import { refuseThreads } from "./guards.ts";
 * refuseThreads();
 * new Worker("data:,", { type: "module" }); // throws
 * ```
 */
export function refuseThreads(): void {
  const web = (globalThis as { Worker?: unknown }).Worker;
  for (const constructor of [web, NodeWorker]) {
    if (typeof constructor !== "function") continue;
    Object.setPrototypeOf(constructor, function refused() {
      throw new Error(THREADS_REFUSED);
    });
    Object.preventExtensions(constructor);
  }
  if (web !== undefined) lock(globalThis, "Worker", web);
}

/**
 * What an app that opens an inspector session gets thrown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { INSPECTOR_REFUSED } from "./guards.ts";
 * assert.match(INSPECTOR_REFUSED, /--inspect/);
 * ```
 */
export const INSPECTOR_REFUSED = "an app may not open an inspector session: it would reach " +
  "every closure in the server's thread, its guards included; to debug an app, run it under " +
  "deno serve --inspect";

/**
 * Makes `new Session()` of `node:inspector` (and of `node:inspector/promises`, its subclass)
 * throw {@linkcode INSPECTOR_REFUSED}, as {@linkcode refuseThreads} does for threads. Deno already
 * refuses it without sys access to everything, which the app's threads never get
 * (`APP_SYS_NAMES` in `lib/supervisor/sandbox.ts`); this says why, where Deno's refusal asks for
 * `--allow-sys`, which the app may have been given.
 *
 * @example
 * ```ts ignore
 * import { refuseInspector } from "./guards.ts";
 * refuseInspector();
 * new (await import("node:inspector")).Session(); // throws
 * ```
 */
export function refuseInspector(): void {
  Object.setPrototypeOf(Session, function refused() {
    throw new Error(INSPECTOR_REFUSED);
  });
  Object.preventExtensions(Session);
}

/**
 * The pid a kill op receives for `target`: the ops take a 32-bit integer and convert as `| 0`
 * does, so `pid + 0.5` and `pid + 2 ** 32` reach the op as `pid`, and `2 ** 32` as 0 (the group).
 * The check and the op must see the same number.
 */
function asPid(target: unknown): number {
  return Number(target) | 0;
}

/**
 * Sets a property the app can neither reassign nor redefine: how every guard is installed.
 *
 * @param target the object that holds it
 * @param key its name
 * @param value the guarded value
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lock } from "./guards.ts";
 * const target = { kill: () => "original" };
 * lock(target, "kill", () => "guarded");
 * assert.throws(() => Object.defineProperty(target, "kill", { value: () => "undone" }));
 * assert.equal(target.kill(), "guarded");
 * ```
 */
export function lock(target: object, key: string, value: unknown): void {
  // Attributes left out keep their current values (a global stays non-enumerable).
  Object.defineProperty(target, key, { value, writable: false, configurable: false });
}

/** "SIGKILL" for 9 (from node's table of this platform's signals), or the name as given. */
function signalName(signal: string | number): string {
  if (typeof signal === "string") return signal;
  const names = constants.signals as Record<string, number>;
  return Object.keys(names).find((name) => names[name] === signal) ?? `signal ${signal}`;
}
