/**
 * @module io_threads
 * The I/O threads scenario of `deno task bench` (`--only io-threads` runs it
 * alone): heiretsu with `--io-threads 1` and with `--io-threads 2` (same
 * `--workers`) serving the 1 KiB file over keep-alive connections, then the
 * same over TLS beside `Deno.serve` with TLS (`baseline_memory.ts --cert
 * --key`, a self-signed certificate made with openssl). In every round each
 * server runs once, their order rotating from round to round so that neither
 * always runs first; the server's CPU time is read per thread and grouped by
 * role (`thread_roles.ts`). Returns the Markdown of `io_table.ts`.
 */
import { join } from "node:path";
import type { Fixtures } from "./fixtures.ts";
import {
  formatIoShares,
  formatIoTable,
  formatPairLine,
  IO_TARGETS,
  type IoRound,
  type IoRow,
} from "./io_table.ts";
import { attempt, type LoadPlan, measure, withServer } from "./measure.ts";
import type { Measured } from "./report.ts";
import { ServerProcess } from "./server_process.ts";
import { costByRole } from "./thread_roles.ts";

/** A server of the scenario. */
interface IoServer extends IoRow {
  /** Its `--io-threads`; 0 for `Deno.serve`, which has none. */
  ioThreads: number;
  tls: boolean;
}

const PLAIN: IoServer[] = [
  { name: "k1", label: "heiretsu --io-threads 1", ioThreads: 1, tls: false },
  { name: "k2", label: "heiretsu --io-threads 2", ioThreads: 2, tls: false },
];
const TLS: IoServer[] = [
  { name: "k1_tls", label: "heiretsu --io-threads 1, TLS", ioThreads: 1, tls: true },
  { name: "k2_tls", label: "heiretsu --io-threads 2, TLS", ioThreads: 2, tls: true },
  { name: "deno_tls", label: "`Deno.serve`, TLS", ioThreads: 0, tls: true },
];

/** What the scenario needs from the benchmark's run. */
export interface IoContext {
  /** The load tool and the measured runs' length. */
  plan: LoadPlan;
  /** Keep-alive connections of each run. */
  connections: number;
  /** How many times the servers take turns. */
  rounds: number;
  /** The fixture files; the certificate is made in their folder. */
  fixtures: Fixtures;
  /** The repository, working directory of the servers. */
  cwd: string;
  /** `--workers` for heiretsu; `undefined` keeps its default. */
  heiretsuWorkers?: number;
}

/** PEM files of a certificate. */
export interface Certificate {
  certFile: string;
  keyFile: string;
}

/**
 * The items in the order of a round: the list rotated left by the round's number.
 *
 * @param items The servers in their first round's order.
 * @param round The round, from 0.
 * @returns A new array; with two items, the order alternates.
 * @example
 * ```ts
 * rotate(["a", "b", "c"], 1); // ["b", "c", "a"]
 * ```
 */
export function rotate<T>(items: readonly T[], round: number): T[] {
  const shift = items.length === 0 ? 0 : round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/**
 * Makes a self-signed P-256 certificate for 127.0.0.1, valid for a day, with openssl.
 *
 * @param dir The folder to write `cert.pem` and `key.pem` into.
 * @returns The two files, or `undefined` when openssl is missing or fails (it says why on stderr).
 * @example
 * ```ts
 * const certificate = await makeCertificate(await Deno.makeTempDir());
 * ```
 */
export async function makeCertificate(dir: string): Promise<Certificate | undefined> {
  const files = { certFile: join(dir, "cert.pem"), keyFile: join(dir, "key.pem") };
  const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
  args.push("-nodes", "-keyout", files.keyFile, "-out", files.certFile, "-days", "1");
  args.push("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1");
  // An end entity, not a CA, so that a client trusting it alone (rustls) accepts it.
  args.push("-addext", "basicConstraints=critical,CA:FALSE");
  args.push("-addext", "extendedKeyUsage=serverAuth");
  try {
    const made = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" })
      .output();
    if (made.success) return files;
    console.error(`openssl: ${new TextDecoder().decode(made.stderr).trim()}`);
  } catch {
    // Not installed.
  }
  return undefined;
}

function startServer(spec: IoServer, context: IoContext, certificate?: Certificate) {
  const tls = spec.tls ? ["--cert", certificate!.certFile, "--key", certificate!.keyFile] : [];
  const workers = context.heiretsuWorkers;
  const heiretsu = ["--io-threads", String(spec.ioThreads)];
  if (workers !== undefined) heiretsu.push("--workers", String(workers));
  const script = spec.ioThreads === 0 ? "bench/baseline_memory.ts" : "main.ts";
  return ServerProcess.start({ name: spec.name, script }, {
    root: context.fixtures.dir,
    cwd: context.cwd,
    extraArgs: [...(spec.ioThreads === 0 ? [] : heiretsu), ...tls],
  });
}

async function measureServer(
  spec: IoServer,
  context: IoContext,
  certificate?: Certificate,
): Promise<Measured> {
  const measured = await withServer(() => startServer(spec, context, certificate), (server) => {
    console.error(`${spec.label}: ${server.url}, 1 KiB file, ${context.connections} connections`);
    const url = `${server.url}/${context.fixtures.smallName}`;
    const target = { url, connections: context.connections, unit: "request" as const };
    return measure(target, { server, plan: context.plan });
  });
  const cpu = measured.cpu && costByRole(measured.cpu, spec.ioThreads);
  return { ...measured, cpu };
}

/** Each round: the plain servers, then the TLS servers (none without a certificate). */
async function runRounds(context: IoContext, certificate?: Certificate): Promise<IoRound[]> {
  const tls = certificate === undefined ? [] : TLS;
  const rounds: IoRound[] = [];
  for (let round = 0; round < context.rounds; round++) {
    console.error(`I/O threads: round ${round + 1} of ${context.rounds}`);
    const results: IoRound = {};
    const turns = [...rotate(PLAIN, round), ...rotate(tls, round)];
    for (const spec of turns) {
      results[spec.name] = await attempt(
        spec.label,
        () => measureServer(spec, context, certificate),
      );
    }
    rounds.push(results);
  }
  return rounds;
}

function section(rounds: IoRound[], options: { title: string; rows: IoRow[]; reference: string }) {
  const [k1, k2] = options.rows;
  const table = formatIoTable(rounds, options);
  if (table === undefined) return [`### ${options.title}\n\nNo server ran.`];
  const parts = [`### ${options.title}\n\n${table}`];
  const lines = [
    formatPairLine(rounds, { server: k2, reference: k1, targets: IO_TARGETS }),
    `- I/O threads' split of their CPU time in ${k2.label}, by round: ${
      formatIoShares(rounds, k2.name)
    }`,
  ];
  return [...parts, lines.join("\n")];
}

/**
 * Runs the scenario's rounds and formats what they measured.
 *
 * @param context The load, the rounds, the fixtures and heiretsu's `--workers`.
 * @returns Markdown: the plain table and its K=2 ÷ K=1 lines, then the TLS ones.
 * @example
 * ```ts
 * console.log(await benchIoThreads({ plan, connections: 50, rounds: 3, fixtures, cwd: "." }));
 * ```
 */
export async function benchIoThreads(context: IoContext): Promise<string> {
  const notes: string[] = [];
  const wrk = context.plan.tool === "wrk";
  const certificate = wrk ? await makeCertificate(context.fixtures.dir) : undefined;
  if (!wrk) notes.push("TLS runs need wrk (bench/load.ts speaks HTTP only).");
  else if (certificate === undefined) {
    notes.push("TLS runs need openssl (`apt-get install openssl`) to make a certificate.");
  }
  const rounds = await runRounds(context, certificate);
  const [k1Tls, k2Tls, deno] = TLS;
  const parts = section(rounds, {
    title: "I/O threads: 1 KiB file, keep-alive",
    rows: PLAIN,
    reference: "k1",
  });
  if (certificate !== undefined) {
    const title = "I/O threads over TLS: 1 KiB file, keep-alive";
    parts.push(...section(rounds, { title, rows: TLS, reference: deno.name }));
    const versus = [k1Tls, k2Tls].map((server) =>
      formatPairLine(rounds, { server, reference: deno })
    );
    parts.push(versus.join("\n"));
  }
  return [...parts, ...notes].join("\n\n");
}
