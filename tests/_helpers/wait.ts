/**
 * Test helpers that wait for a condition, never for a fixed time: {@linkcode waitFor} polls until
 * a condition holds and fails naming what it waited for; {@linkcode ManualClock} is a clock a
 * test moves by hand, for code whose deadlines take a `now()`.
 *
 * @module
 */

/** How long {@linkcode waitFor} may wait, and what for (the failure message names it). */
export interface WaitOptions {
  /** The longest wait before failing. @default 10_000 */
  timeoutMs?: number;
  /** What is awaited, e.g. `"the server's ready line"`; the failure message names it. */
  what: string;
  /** The pause between two polls. @default 10 */
  pollMs?: number;
}

/**
 * Polls `condition` until it returns something other than `false`, `undefined` or `null`, and
 * returns that value. An error thrown by the condition ends the wait at once.
 *
 * @param condition read the state awaited; may be async
 * @param options the bound and what is awaited
 * @returns the condition's first value that is not `false`, `undefined` or `null`
 * @throws {Error} "Timed out after N ms waiting for WHAT" when the bound passes first
 * @example Wait for a flag another task sets
 * ```ts
 * let done = false;
 * setTimeout(() => done = true, 5);
 * await waitFor(() => done, { timeoutMs: 1_000, what: "the flag" });
 * ```
 */
export async function waitFor<T>(
  condition: () => T | false | undefined | null | Promise<T | false | undefined | null>,
  options: WaitOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== false && value !== undefined && value !== null) return value;
    if (performance.now() >= deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${options.what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 10));
  }
}

/**
 * Lets the event loop run the callbacks already due (timers of 0 ms, I/O completions, message
 * ports) before the test looks: one macrotask turn, not a wait for time.
 *
 * @returns a promise settled on the next turn of the event loop
 * @example
 * ```ts
 * let ran = false;
 * setTimeout(() => ran = true, 0);
 * await nextTurn();
 * ```
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A clock a test moves by hand, for code that takes `now(): number` (milliseconds, like
 * `Date.now()`), so deadlines pass without sleeping.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(1_000);
 * clock.advance(250);
 * clock.now(); // 1250
 * ```
 */
export class ManualClock {
  #nowMs: number;

  /** @param startMs the time it reads first */
  constructor(startMs = 1_000_000) {
    this.#nowMs = startMs;
  }

  /** @returns the current time in milliseconds */
  now = (): number => this.#nowMs;

  /**
   * Moves the clock forward.
   *
   * @param ms how far
   */
  advance(ms: number): void {
    this.#nowMs += ms;
  }
}
