/**
 * @module servers
 * The servers `deno task bench` compares and how each is started: heiretsu
 * (files, and an app with `--app`), the two `Deno.serve` file baselines,
 * nginx with one and two workers (when installed), and `deno serve` with and
 * without `--parallel` on the same app module. Every server listens on
 * loopback and is a {@linkcode RunningServer} whose pid roots the process
 * tree its CPU time is read from.
 */
import { startNginx } from "./nginx.ts";
import {
  freePort,
  type RunningServer,
  ServerProcess,
  stopChild,
  waitUntilAnswering,
} from "./server_process.ts";

/** What starting a server needs to know. */
export interface StartContext {
  /** Directory of the fixture files. */
  root: string;
  /** The repository, working directory of the Deno servers. */
  cwd: string;
  /** `--workers` for heiretsu; `undefined` keeps its default. */
  heiretsuWorkers?: number;
  /** The nginx binary; `undefined` when it is not installed. */
  nginx?: string;
}

/** One server of the comparison. */
export interface BenchServer {
  /** Name for `--only`, e.g. `"nginx_1"`. */
  name: string;
  /** Name in the tables, e.g. `"nginx, 1 worker"`. */
  label: string;
  /** Starts it serving the fixture files; absent when it serves no files. */
  startFiles?: (context: StartContext) => Promise<RunningServer>;
  /** Starts it on an app module (a path relative to `cwd`); absent when it runs no apps. */
  startApp?: (context: StartContext, module: string) => Promise<RunningServer>;
  /** It serves small files only: it skips the 100 MiB run. */
  smallOnly?: true;
  /** It is nginx: skipped, with a note, when nginx is not installed. */
  nginx?: true;
}

function workerArgs(context: StartContext): string[] {
  const workers = context.heiretsuWorkers;
  return workers === undefined ? [] : ["--workers", String(workers)];
}

function startScript(name: string, script: string) {
  return (context: StartContext) =>
    ServerProcess.start({ name, script }, {
      root: context.root,
      cwd: context.cwd,
      extraArgs: name === "heiretsu" ? ["--io-threads", "1", ...workerArgs(context)] : [],
    });
}

/** heiretsu on an app module, with `ioThreads` I/O threads. */
function startHeiretsuApp(ioThreads: number) {
  return (context: StartContext, module: string): Promise<RunningServer> =>
    ServerProcess.start({ name: "heiretsu", script: "main.ts" }, {
      root: context.root,
      cwd: context.cwd,
      extraArgs: ["--app", module, "--io-threads", String(ioThreads), ...workerArgs(context)],
    });
}

function startNginxWith(name: string, workers: number) {
  return (context: StartContext) => {
    if (context.nginx === undefined) throw new Error("nginx is not installed");
    return startNginx({ nginx: context.nginx, root: context.root, workers, name });
  };
}

/**
 * Starts `deno serve` on an app module, with `--parallel` (one isolate per CPU) or not.
 *
 * @param options The module, whether to run in parallel, and the repository folder.
 * @returns The running server, once it answers.
 * @example
 * ```ts
 * const server = await startDenoServe({ module: "bench/hello_app.ts", parallel: true, cwd: "." });
 * ```
 */
export async function startDenoServe(
  options: { module: string; parallel: boolean; cwd: string },
): Promise<RunningServer> {
  const port = freePort();
  const args = ["serve", "--allow-net", "--host", "127.0.0.1", "--port", String(port)];
  if (options.parallel) args.push("--parallel");
  const child = new Deno.Command(Deno.execPath(), {
    args: [...args, options.module],
    cwd: options.cwd,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const name = options.parallel ? "deno serve --parallel" : "deno serve";
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(`${url}/`, child.status);
  } catch (error) {
    await stopChild(child, name);
    throw error;
  }
  return { name, url, pid: child.pid, stop: () => stopChild(child, name) };
}

/** Every server, in the order they run and are listed. */
export const BENCH_SERVERS: readonly BenchServer[] = [
  {
    name: "heiretsu",
    label: "heiretsu",
    startFiles: startScript("heiretsu", "main.ts"),
    startApp: startHeiretsuApp(1),
  },
  {
    // The app routes and the mixed load with two I/O threads (the files: `--only io-threads`).
    name: "heiretsu_io2",
    label: "heiretsu, 2 I/O threads",
    startApp: startHeiretsuApp(2),
  },
  {
    name: "baseline_memory",
    label: "`Deno.serve`, file in memory",
    startFiles: startScript("baseline_memory", "bench/baseline_memory.ts"),
  },
  {
    name: "baseline_stream",
    label: "`Deno.serve`, file streamed",
    startFiles: startScript("baseline_stream", "bench/baseline_stream.ts"),
  },
  {
    name: "socket_floor",
    label: "Deno socket floor (1 read + 1 write, no HTTP)",
    startFiles: startScript("socket_floor", "bench/socket_floor.ts"),
    smallOnly: true,
  },
  {
    name: "nginx_1",
    label: "nginx, 1 worker",
    startFiles: startNginxWith("nginx_1", 1),
    nginx: true,
  },
  {
    name: "nginx_2",
    label: "nginx, 2 workers",
    startFiles: startNginxWith("nginx_2", 2),
    nginx: true,
  },
  {
    name: "deno_serve",
    label: "`deno serve`",
    startApp: (context, module) => startDenoServe({ module, parallel: false, cwd: context.cwd }),
  },
  {
    name: "deno_serve_parallel",
    label: "`deno serve --parallel`",
    startApp: (context, module) => startDenoServe({ module, parallel: true, cwd: context.cwd }),
  },
];
