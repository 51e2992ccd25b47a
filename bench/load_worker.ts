/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * @module load_worker
 * One load-generator worker: keeps its share of keep-alive connections busy
 * with back-to-back requests until the deadline, then reports raw counters
 * and latencies to `load.ts`. Each connection owns one 64 KiB read buffer
 * and every request reuses one encoded request, so a steady run allocates
 * next to nothing.
 */
import { createResponseScan, type ResponseScan, scanResponse } from "./response_scan.ts";
import {
  buildGetRequest,
  type FromLoadWorker,
  type StartMessage,
  type ToLoadWorker,
} from "./load_protocol.ts";

const READ_BUFFER_BYTES = 64 * 1024;
/** Pause before reconnecting after a failed connect, so a dead server is not spun on. */
const RECONNECT_PAUSE_MS = 10;
const INITIAL_LATENCY_SLOTS = 1 << 16;

/** What one run shares across this worker's connections. */
interface Run {
  hostname: string;
  port: number;
  request: Uint8Array;
  deadline: number;
  open: Set<Deno.Conn>;
  requests: number;
  bytes: number;
  errors: number;
  latencies: Float64Array;
}

/** One connection: its socket, read buffer and response scan. */
interface Lane {
  conn: Deno.Conn;
  buffer: Uint8Array;
  scan: ResponseScan;
  /** When the request in flight was written, from \`performance.now()\`. */
  sentAt: number;
}

function post(message: FromLoadWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

/** Counts the response that just ended; non-2xx/3xx count as errors, as in wrk. */
function record(run: Run, lane: Lane): void {
  if (run.requests === run.latencies.length) {
    const grown = new Float64Array(run.latencies.length * 2);
    grown.set(run.latencies);
    run.latencies = grown;
  }
  run.latencies[run.requests++] = performance.now() - lane.sentAt;
  if (lane.scan.status >= 400) run.errors++;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await conn.write(written === 0 ? bytes : bytes.subarray(written));
  }
}

/** Reads until the scan sees one whole response; counts every byte read. */
async function readResponse(lane: Lane, run: Run): Promise<void> {
  const { conn, buffer, scan } = lane;
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("Connection closed before the response ended");
    run.bytes += n;
    const used = scanResponse(scan, n === buffer.length ? buffer : buffer.subarray(0, n));
    if (used === n) return;
    if (used >= 0) throw new Error("Cannot handle bytes after the response: none were requested");
  }
}

async function exchange(lane: Lane, run: Run): Promise<void> {
  while (performance.now() < run.deadline) {
    lane.sentAt = performance.now();
    await writeAll(lane.conn, run.request);
    await readResponse(lane, run);
    record(run, lane);
  }
}

async function driveConnection(run: Run): Promise<void> {
  const buffer = new Uint8Array(READ_BUFFER_BYTES);
  while (performance.now() < run.deadline) {
    let conn: Deno.Conn;
    try {
      conn = await Deno.connect({ hostname: run.hostname, port: run.port });
    } catch {
      run.errors++;
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_PAUSE_MS));
      continue;
    }
    run.open.add(conn);
    try {
      await exchange({ conn, buffer, scan: createResponseScan(), sentAt: 0 }, run);
    } catch {
      // Reads cut off by the deadline's close are the end of the run, not errors.
      if (performance.now() < run.deadline) run.errors++;
    } finally {
      if (run.open.delete(conn)) conn.close();
    }
  }
}

async function start(message: StartMessage): Promise<void> {
  const url = new URL(message.url);
  const started = performance.now();
  const run: Run = {
    hostname: url.hostname,
    port: Number(url.port || 80),
    request: buildGetRequest(message.url),
    deadline: started + message.durationMs,
    open: new Set(),
    requests: 0,
    bytes: 0,
    errors: 0,
    latencies: new Float64Array(INITIAL_LATENCY_SLOTS),
  };
  // Bound the run: closing the sockets ends reads stuck on a slow or huge response.
  const timer = setTimeout(() => {
    for (const conn of run.open) conn.close();
    run.open.clear();
  }, message.durationMs);
  await Promise.all(Array.from({ length: message.connections }, () => driveConnection(run)));
  clearTimeout(timer);
  const elapsedMs = Math.max(performance.now(), run.deadline) - started;
  const latenciesMs = run.latencies.slice(0, run.requests);
  const { requests, bytes, errors } = run;
  post({ kind: "done", requests, bytes, errors, elapsedMs, latenciesMs }, [latenciesMs.buffer]);
}

self.onmessage = (event: MessageEvent<ToLoadWorker>) => {
  const message = event.data;
  switch (message.kind) {
    case "start":
      start(message).catch((error) => post({ kind: "failed", message: String(error) }));
      break;
    default: {
      const unknown: never = message.kind;
      post({ kind: "failed", message: `Cannot handle message "${unknown}"` });
    }
  }
};

post({ kind: "ready" });
