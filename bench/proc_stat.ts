/**
 * @module proc_stat
 * Pure arithmetic behind the benchmark's CPU columns: parses Linux
 * `/proc/<pid>/stat` and `/proc/<pid>/task/<tid>/stat` lines and turns two
 * snapshots of a server's process tree into the CPU time each thread and the
 * whole tree spent between them. Reading the files is `cpu_sampler.ts`'s job.
 *
 * Times in these files are clock ticks (`getconf CLK_TCK`, usually 100 per
 * second, so 10 ms each): a snapshot pair is only meaningful over a whole
 * measured run, never per request.
 */

/** The fields of one stat line the benchmark uses. */
export interface StatFields {
  /** Process id (of a process line) or thread id (of a task line). */
  id: number;
  /** The command name, at most 15 bytes: a thread's name for a task line. */
  comm: string;
  /** Parent process id. */
  ppid: number;
  /** User plus system time, in clock ticks (fields 14 and 15). */
  ticks: number;
  /** User plus system time of reaped children, in clock ticks (fields 16 and 17). */
  childTicks: number;
}

/** Offsets of the fields after the comm's closing parenthesis (field 3, state, is 0). */
const AFTER_COMM = { ppid: 1, utime: 11, stime: 12, cutime: 13, cstime: 14 } as const;

function tickField(fields: string[], index: number, line: string): number {
  const value = Number(fields[index]);
  if (fields[index] === undefined || !Number.isInteger(value) || value < 0) {
    throw new SyntaxError(`Cannot read field ${index + 3} of stat line "${line.slice(0, 80)}"`);
  }
  return value;
}

/**
 * Parses one stat line. The comm field may hold spaces and parentheses, so
 * it runs from the first `(` to the last `)`, and the numbered fields are
 * counted from there.
 *
 * @param line The content of a `stat` file.
 * @returns Id, name, parent and tick counts.
 * @throws {SyntaxError} When the line is cut short or a field is not a count.
 * @example A worker thread
 * ```ts
 * parseStatLine("42 (worker-1) S 1 42 42 0 -1 0 0 0 0 0 150 30 0 0 20 0 1 0 9 0 0");
 * // { id: 42, comm: "worker-1", ppid: 1, ticks: 180, childTicks: 0 }
 * ```
 */
export function parseStatLine(line: string): StatFields {
  const open = line.indexOf("(");
  const close = line.lastIndexOf(")");
  const id = Number(line.slice(0, open));
  if (open < 1 || close < open || !Number.isInteger(id)) {
    throw new SyntaxError(`Cannot find the pid and comm of stat line "${line.slice(0, 80)}"`);
  }
  const fields = line.slice(close + 1).trim().split(/\s+/);
  const at = (index: number) => tickField(fields, index, line);
  return {
    id,
    comm: line.slice(open + 1, close),
    ppid: at(AFTER_COMM.ppid),
    ticks: at(AFTER_COMM.utime) + at(AFTER_COMM.stime),
    childTicks: at(AFTER_COMM.cutime) + at(AFTER_COMM.cstime),
  };
}

/**
 * Parses the output of `getconf CLK_TCK`.
 *
 * @param text What getconf printed.
 * @returns Clock ticks per second, or 100 (Linux's usual value) when the text is no positive integer.
 * @example
 * ```ts
 * parseClockTicks("100\n"); // 100
 * ```
 */
export function parseClockTicks(text: string): number {
  const ticks = Number(text.trim());
  return Number.isInteger(ticks) && ticks > 0 ? ticks : DEFAULT_CLOCK_TICKS;
}

/** `CLK_TCK` on every Linux architecture the benchmark has met. */
export const DEFAULT_CLOCK_TICKS = 100;

/** One thread's time at a snapshot. */
export interface ThreadTimes {
  /** Its process. */
  pid: number;
  tid: number;
  /** Its name (`/proc/<pid>/task/<tid>/comm`, also field 2 of its stat line). */
  comm: string;
  /** User plus system ticks. */
  ticks: number;
}

/** One process's time at a snapshot, every thread it ever had included. */
export interface ProcessTimes {
  pid: number;
  /** User plus system ticks of the process, exited threads included. */
  ticks: number;
  /** Ticks of its children that exited and were reaped. */
  childTicks: number;
}

/** A server's process tree at one moment. */
export interface CpuSnapshot {
  /** The server's process; its main thread has `tid === rootPid`. */
  rootPid: number;
  /** The server and its descendants. */
  processes: ProcessTimes[];
  /** Every live thread of those processes. */
  threads: ThreadTimes[];
}

/** CPU time spent by one thread between two snapshots. */
export interface ThreadCpu {
  /** `"main"` for the server's main thread, else the thread's name; `(child)` marks descendants. */
  label: string;
  tid: number;
  us: number;
}

/** CPU time a server's process tree spent between two snapshots. */
export interface CpuDelta {
  /** Every thread of every process, including threads and reaped children that exited. */
  totalUs: number;
  /** Threads alive at the second snapshot, by CPU time, largest first. */
  threads: ThreadCpu[];
}

/**
 * Names a thread for reports: `"main"` for the server's own main thread, the
 * thread's name for its other threads, and the name followed by `(child)` for
 * threads of descendant processes (nginx's workers, for example).
 *
 * @param thread The thread.
 * @param rootPid The server's process id.
 * @returns The label.
 * @example
 * ```ts
 * threadLabel({ pid: 7, tid: 7, comm: "deno", ticks: 0 }, 7); // "main"
 * ```
 */
export function threadLabel(thread: ThreadTimes, rootPid: number): string {
  if (thread.tid === rootPid) return "main";
  return thread.pid === rootPid ? thread.comm : `${thread.comm} (child)`;
}

function processTotal(processes: ProcessTimes[]): number {
  return processes.reduce((sum, p) => sum + p.ticks + p.childTicks, 0);
}

/**
 * The CPU time between two snapshots of one server. The total sums each
 * process's own ticks (which keep the time of its exited threads) and its
 * reaped children's ticks, so a child that exits in between is still counted
 * once, through its parent. Per-thread times cover threads alive at `after`;
 * a thread born in between (or a reused tid) started from zero.
 *
 * @param before The earlier snapshot.
 * @param after The later snapshot, of the same root.
 * @param ticksPerSec Clock ticks per second.
 * @returns Total and per-thread microseconds.
 * @throws {RangeError} When the snapshots are of different roots.
 * @example
 * ```ts
 * const delta = cpuDelta(before, after, 100);
 * ```
 */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot, ticksPerSec: number): CpuDelta {
  if (before.rootPid !== after.rootPid) {
    throw new RangeError(`Cannot compare snapshots of pid ${before.rootPid} and ${after.rootPid}`);
  }
  const usPerTick = 1e6 / ticksPerSec;
  const earlier = new Map(before.threads.map((thread) => [thread.tid, thread.ticks]));
  const threads = after.threads.map((thread) => {
    const start = earlier.get(thread.tid) ?? 0;
    // Fewer ticks than before: the tid was reused by a thread born in between.
    const ticks = thread.ticks >= start ? thread.ticks - start : thread.ticks;
    return { label: threadLabel(thread, after.rootPid), tid: thread.tid, us: ticks * usPerTick };
  });
  return {
    totalUs: (processTotal(after.processes) - processTotal(before.processes)) * usPerTick,
    threads: threads.sort((a, b) => b.us - a.us),
  };
}
