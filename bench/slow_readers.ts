/**
 * @module slow_readers
 * The memory scenario: many clients request a large file and read it
 * slowly (small reads paced by sleeps) while the server's resident set size
 * is sampled from `/proc/<pid>/status`. A server that streams with
 * backpressure stays flat; one that buffers whole files grows.
 */
import { buildGetRequest } from "./load_protocol.ts";

/** What to run. */
export interface SlowReadOptions {
  /** Absolute `http:` URL of the large file. */
  url: string;
  /** Number of concurrent slow clients. */
  readers: number;
  /** How long they read, in seconds. */
  durationS: number;
  /** Read rate of each client in bytes per second. */
  bytesPerSec: number;
  /** Process id of the server, whose VmRSS is sampled. */
  pid: number;
}

/** What the scenario measured. */
export interface SlowReadResult {
  /** VmRSS before the readers connected, in KiB. */
  startKiB: number;
  /** Largest VmRSS sampled while they read, in KiB. */
  peakKiB: number;
  /** Bytes the readers received in total. */
  bytesRead: number;
}

/** Each read is small so pacing stays smooth. */
const READ_BYTES = 16 * 1024;
const SAMPLE_INTERVAL_MS = 100;

/**
 * Extracts VmRSS from the text of `/proc/<pid>/status`.
 *
 * @param status The file's text.
 * @returns The resident set size in KiB.
 * @throws {SyntaxError} When there is no VmRSS line (e.g. a zombie).
 * @example Parse a status excerpt
 * ```ts
 * parseVmRssKiB("Name:\tdeno\nVmRSS:\t   51200 kB\n"); // 51200
 * ```
 */
export function parseVmRssKiB(status: string): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new SyntaxError("Cannot find VmRSS in the process status");
  return Number(match[1]);
}

/**
 * Reads a process's current resident set size.
 *
 * @param pid The process id.
 * @returns VmRSS in KiB.
 * @example Read our own RSS
 * ```ts
 * await readRssKiB(Deno.pid);
 * ```
 */
export async function readRssKiB(pid: number): Promise<number> {
  return parseVmRssKiB(await Deno.readTextFile(`/proc/${pid}/status`));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One client's connection, what it has read so far and when it stops. */
interface Reader {
  conn: Deno.Conn;
  total: number;
  /** End of the run, from `performance.now()`. */
  deadline: number;
}

/**
 * Reads at `bytesPerSec` by sleeping until the byte budget allows more.
 * A read failing (reset, or closed at the deadline) ends this reader only.
 */
async function readSlowly(reader: Reader, bytesPerSec: number): Promise<void> {
  const buffer = new Uint8Array(READ_BYTES);
  const started = performance.now();
  try {
    for (;;) {
      const n = await reader.conn.read(buffer);
      if (n === null) return;
      reader.total += n;
      // The next read is due once the budget covers what was read so far.
      const dueMs = started + (reader.total / bytesPerSec) * 1_000;
      if (dueMs >= reader.deadline) return;
      await sleep(Math.max(0, dueMs - performance.now()));
    }
  } catch {
    return;
  }
}

function closeQuietly(reader: Reader): void {
  try {
    reader.conn.close();
  } catch {
    // Already closed.
  }
}

async function openReader(options: SlowReadOptions, deadline: number): Promise<Reader> {
  const url = new URL(options.url);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port || 80) });
  await conn.write(buildGetRequest(options.url));
  return { conn, total: 0, deadline };
}

/** Opens every reader, or closes those that opened and rethrows the first failure. */
async function openReaders(options: SlowReadOptions, deadline: number): Promise<Reader[]> {
  const settled = await Promise.allSettled(
    Array.from({ length: options.readers }, () => openReader(options, deadline)),
  );
  const readers = settled.flatMap((result) => result.status === "fulfilled" ? [result.value] : []);
  const failure = settled.find((result) => result.status === "rejected");
  if (failure === undefined) return readers;
  readers.forEach(closeQuietly);
  throw failure.reason;
}

async function samplePeak(pid: number, until: Promise<unknown>): Promise<number> {
  let peak = await readRssKiB(pid);
  let finished = false;
  const finish = () => finished = true;
  until.then(finish, finish);
  while (!finished) {
    await sleep(SAMPLE_INTERVAL_MS);
    peak = Math.max(peak, await readRssKiB(pid));
  }
  return peak;
}

async function readAll(readers: Reader[], bytesPerSec: number): Promise<void> {
  const deadline = Math.min(...readers.map((reader) => reader.deadline));
  // Bound the run even if the server stalls: closing ends any pending read.
  const timer = setTimeout(() => readers.forEach(closeQuietly), deadline - performance.now());
  await Promise.all(readers.map((reader) => readSlowly(reader, bytesPerSec)));
  clearTimeout(timer);
  readers.forEach(closeQuietly);
}

/**
 * Runs the slow readers for the given time while sampling the server's RSS
 * every 100 ms, then closes them.
 *
 * @param options URL, readers, duration, rate and server pid.
 * @returns Starting and peak RSS and bytes read.
 * @example Twenty readers at 1 MiB/s for five seconds
 * ```ts
 * await runSlowReaders({ url, readers: 20, durationS: 5, bytesPerSec: 1 << 20, pid: server.pid });
 * ```
 */
export async function runSlowReaders(options: SlowReadOptions): Promise<SlowReadResult> {
  const startKiB = await readRssKiB(options.pid);
  const deadline = performance.now() + options.durationS * 1_000;
  const readers = await openReaders(options, deadline);
  const reading = readAll(readers, options.bytesPerSec);
  const peakKiB = await samplePeak(options.pid, reading);
  await reading;
  return { startKiB, peakKiB, bytesRead: readers.reduce((sum, reader) => sum + reader.total, 0) };
}
