/**
 * @module ws_echo
 * WebSocket echo: N clients (Deno's WebSocket) each keep a few 1 KiB messages in flight to the
 * `/ws` route of `ws_echo_app.ts`, for a fixed time; messages echoed per second, and the
 * server's CPU per message from `/proc`, for heiretsu `--app` beside `deno serve` on the same
 * module. The clients run in this process: on a small machine they share its cores with the
 * server, as the HTTP load tool does.
 *
 * Run alone with `deno run -A bench/ws_echo.ts [--duration S] [--clients N]`; `deno task bench`
 * runs it after the app routes.
 */
import { fileURLToPath } from "node:url";
import { type CpuCost, cpuCost } from "./cpu_cost.ts";
import { sampleCpu } from "./cpu_sampler.ts";
import type { RunningServer } from "./server_process.ts";
import { startDenoServe } from "./servers.ts";
import { ServerProcess } from "./server_process.ts";

const MODULE = "bench/ws_echo_app.ts";
const MESSAGE_BYTES = 1024;
/** Messages each client keeps in flight. */
const IN_FLIGHT = 4;
const WARMUP_S = 1;
const OPEN_TIMEOUT_MS = 10_000;

/** One server's result. */
export interface EchoReport {
  name: string;
  messagesPerSec: number;
  cpu?: CpuCost;
}

/** Echoes for `durationS` over `clients` sockets; returns the echoes counted. */
async function echoLoad(url: string, options: { clients: number; durationS: number }) {
  const wsUrl = `${url.replace(/^http/, "ws")}/ws`;
  const message = new Uint8Array(MESSAGE_BYTES);
  let echoed = 0;
  let running = true;
  const sockets = await Promise.all(
    Array.from({ length: options.clients }, () => openSocket(wsUrl)),
  );
  for (const socket of sockets) {
    socket.onmessage = () => {
      echoed++;
      if (running) socket.send(message);
    };
    for (let i = 0; i < IN_FLIGHT; i++) socket.send(message);
  }
  await new Promise((resolve) => setTimeout(resolve, options.durationS * 1000));
  running = false;
  const counted = echoed;
  for (const socket of sockets) socket.close();
  return counted;
}

function openSocket(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${url}: not open`)), OPEN_TIMEOUT_MS);
    socket.onopen = () => {
      clearTimeout(timer);
      resolve(socket);
    };
    socket.onerror = () => reject(new Error(`${url}: failed to open`));
  });
}

/**
 * Measures one running server.
 *
 * @param server the server, serving `ws_echo_app.ts`
 * @param options clients and seconds
 * @returns its messages per second and CPU per message
 */
export async function measureEcho(
  server: RunningServer,
  options: { clients: number; durationS: number },
): Promise<EchoReport> {
  await echoLoad(server.url, { clients: options.clients, durationS: WARMUP_S });
  const { value, cpu } = await sampleCpu(server.pid, () => echoLoad(server.url, options));
  const report = { name: server.name, messagesPerSec: value / options.durationS };
  return cpu === undefined ? report : { ...report, cpu: cpuCost(cpu, value) };
}

/**
 * Runs the echo against heiretsu and `deno serve`, one after the other.
 *
 * @param options clients, seconds, and heiretsu's workers
 * @returns a report per server
 */
export async function benchEcho(
  options: { clients: number; durationS: number; cwd: string; workers?: number },
): Promise<EchoReport[]> {
  const workers = options.workers === undefined ? [] : ["--workers", String(options.workers)];
  const starts: Array<() => Promise<RunningServer>> = [
    () =>
      ServerProcess.start({ name: "heiretsu", script: "main.ts" }, {
        root: options.cwd,
        cwd: options.cwd,
        extraArgs: ["--app", MODULE, "--quiet", ...workers],
      }),
    () => startDenoServe({ module: MODULE, parallel: false, cwd: options.cwd }),
  ];
  const reports: EchoReport[] = [];
  for (const start of starts) {
    const server = await start();
    try {
      reports.push(await measureEcho(server, options));
    } finally {
      await server.stop();
    }
  }
  return reports;
}

/**
 * The reports as a Markdown table, with each server's rate against the first's.
 *
 * @param reports from {@linkcode benchEcho}
 * @returns the table
 */
export function formatEchoTable(reports: EchoReport[]): string {
  const base = reports.find((r) => r.name === "deno serve")?.messagesPerSec;
  const rows = reports.map((r) => {
    const ratio = base ? `${(r.messagesPerSec / base).toFixed(2)}×` : "–";
    const cpu = r.cpu ? `${r.cpu.totalUs.toFixed(1)} (main ${r.cpu.mainUs.toFixed(1)})` : "n/a";
    return `| ${r.name} | ${Math.round(r.messagesPerSec)} | ${ratio} | ${cpu} |`;
  });
  return [
    "| server | messages/s | vs deno serve | CPU µs/message (main thread) |",
    "| --- | ---: | ---: | ---: |",
    ...rows,
  ].join("\n");
}

function flag(name: string, fallback: number): number {
  const at = Deno.args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(Deno.args[at + 1]);
}

if (import.meta.main) {
  const cwd = fileURLToPath(new URL("..", import.meta.url));
  const clients = flag("clients", 50);
  const durationS = flag("duration", 5);
  const reports = await benchEcho({ clients, durationS, cwd });
  console.log(
    `WebSocket echo: ${clients} clients, ${IN_FLIGHT} × 1 KiB in flight each, ${durationS} s\n`,
  );
  console.log(formatEchoTable(reports));
}
