/**
 * @module cpu_sampler
 * Reads a server's CPU time from Linux's `/proc`: the server process, every
 * descendant (found through `/proc/<pid>/task/<tid>/children`, recursively)
 * and each of their threads. {@linkcode sampleCpu} wraps a measured run in two
 * snapshots; on other systems, or when `/proc` cannot be read, it reports
 * nothing and the tables say "n/a".
 */
import {
  type CpuDelta,
  cpuDelta,
  type CpuSnapshot,
  DEFAULT_CLOCK_TICKS,
  parseClockTicks,
  parseStatLine,
  type ProcessTimes,
  type ThreadTimes,
} from "./proc_stat.ts";

/** The most processes a tree walk follows: a bound against runaway forks. */
const MAX_PROCESSES = 256;

let clockTicks: Promise<number> | undefined;

/**
 * Clock ticks per second from `getconf CLK_TCK`, asked once.
 *
 * @returns The ticks per second; 100 when getconf cannot be run.
 * @example
 * ```ts
 * const ticks = await clockTicksPerSec(); // 100
 * ```
 */
export function clockTicksPerSec(): Promise<number> {
  clockTicks ??= new Deno.Command("getconf", { args: ["CLK_TCK"], stderr: "null" }).output()
    .then((output) => parseClockTicks(new TextDecoder().decode(output.stdout)))
    .catch(() => DEFAULT_CLOCK_TICKS);
  return clockTicks;
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    // A thread or process that ends between listing and reading is simply gone.
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function taskIds(pid: number): Promise<number[]> {
  const tids: number[] = [];
  try {
    for await (const entry of Deno.readDir(`/proc/${pid}/task`)) tids.push(Number(entry.name));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return tids;
}

/** Reads one process and its live threads, returning the ids of its children. */
async function readProcess(pid: number, snapshot: CpuSnapshot): Promise<number[]> {
  const stat = await readIfPresent(`/proc/${pid}/stat`);
  if (stat === undefined) return [];
  const { ticks, childTicks } = parseStatLine(stat);
  snapshot.processes.push({ pid, ticks, childTicks } satisfies ProcessTimes);
  const children: number[] = [];
  for (const tid of await taskIds(pid)) {
    const line = await readIfPresent(`/proc/${pid}/task/${tid}/stat`);
    if (line === undefined) continue;
    const { comm, ticks } = parseStatLine(line);
    snapshot.threads.push({ pid, tid, comm, ticks } satisfies ThreadTimes);
    // Without CONFIG_PROC_CHILDREN the file is missing and children are not seen.
    const listed = await readIfPresent(`/proc/${pid}/task/${tid}/children`) ?? "";
    children.push(...listed.split(/\s+/).filter(Boolean).map(Number));
  }
  return children;
}

/**
 * Reads the CPU times of a process, its descendants and all their threads.
 *
 * @param rootPid The server's process id.
 * @returns The snapshot; empty lists once the process has exited.
 * @throws {Error} When `/proc` exists but cannot be read or parsed.
 * @example
 * ```ts
 * const snapshot = await readCpuSnapshot(server.pid);
 * ```
 */
export async function readCpuSnapshot(rootPid: number): Promise<CpuSnapshot> {
  const snapshot: CpuSnapshot = { rootPid, processes: [], threads: [] };
  const pending = [rootPid];
  const seen = new Set<number>();
  while (pending.length > 0 && seen.size < MAX_PROCESSES) {
    const pid = pending.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    pending.push(...await readProcess(pid, snapshot));
  }
  return snapshot;
}

/**
 * Whether CPU times can be read here: Linux with a readable `/proc/self/stat`.
 *
 * @returns `true` on Linux with `/proc` mounted.
 * @example
 * ```ts
 * if (await canSampleCpu()) console.log("CPU columns available");
 * ```
 */
export async function canSampleCpu(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  try {
    parseStatLine(await Deno.readTextFile("/proc/self/stat"));
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `run` between two snapshots of `pid`'s process tree.
 *
 * @param pid The server's process id.
 * @param run The measured run.
 * @returns What `run` returned, and the server's CPU time over it (`undefined` where `/proc` is not available).
 * @example
 * ```ts
 * const { value, cpu } = await sampleCpu(server.pid, () => runWrk(options));
 * ```
 */
export async function sampleCpu<T>(
  pid: number,
  run: () => Promise<T>,
): Promise<{ value: T; cpu?: CpuDelta }> {
  if (!await canSampleCpu()) return { value: await run() };
  const ticks = await clockTicksPerSec();
  const before = await readCpuSnapshot(pid);
  const value = await run();
  const after = await readCpuSnapshot(pid);
  return { value, cpu: cpuDelta(before, after, ticks) };
}
