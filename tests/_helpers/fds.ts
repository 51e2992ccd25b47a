/**
 * Test helper: a process's open file descriptors and its limit on them, from /proc (Linux).
 *
 * @module
 */

/**
 * Counts the open file descriptors of a process.
 *
 * @param pid the process id
 * @returns the number of entries in /proc/<pid>/fd
 * @example
 * ```ts ignore
 * const fds = await openFds(Deno.pid);
 * ```
 */
export async function openFds(pid: number): Promise<number> {
  let count = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) count++;
  return count;
}

/**
 * Polls the descriptor count until two readings 100 ms apart agree (and, when given, it is at
 * most `atMost`), or `timeoutMs` passed.
 *
 * @param pid the process id
 * @param options how long to wait; the count to wait for
 * @returns the last reading
 * @example
 * ```ts ignore
 * const before = await settledFds(server.pid, { timeoutMs: 3000 });
 * ```
 */
export async function settledFds(
  pid: number,
  options: { timeoutMs: number; atMost?: number },
): Promise<number> {
  const deadline = performance.now() + options.timeoutMs;
  let last = await openFds(pid);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = await openFds(pid);
    const settled = now === last && (options.atMost === undefined || now <= options.atMost);
    if (settled || performance.now() > deadline) return now;
    last = now;
  }
}

/**
 * The soft limit on open files of a process.
 *
 * @param pid the process id
 * @returns the limit, or null where /proc is not available or says "unlimited"
 * @example
 * ```ts ignore
 * const limit = await openFileLimit(Deno.pid);
 * ```
 */
export async function openFileLimit(pid: number): Promise<number | null> {
  let limits: string;
  try {
    limits = await Deno.readTextFile(`/proc/${pid}/limits`);
  } catch {
    return null;
  }
  const match = /^Max open files\s+(\d+)/m.exec(limits);
  return match ? Number(match[1]) : null;
}
