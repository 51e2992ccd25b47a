/**
 * @module server_process
 * Starts a server under test as a subprocess on port 0, learns its URL from
 * the ready line every server prints
 * (`Server: listening on http://HOST:PORT (N workers, root DIR)`), and stops
 * it with SIGTERM.
 */

/** Which server to start and how. */
export interface ServerSpec {
  /** Name used in reports, e.g. `"heiretsu"`. */
  name: string;
  /** Script path passed to `deno run`, relative to `cwd`. */
  script: string;
}

/** Where and with what to start a server. */
export interface StartOptions {
  /** Directory the server serves. */
  root: string;
  /** Working directory of the subprocess. */
  cwd: string;
  /** Further arguments after the common ones. @default [] */
  extraArgs?: string[];
}

/** How long a server may take to print its ready line. */
const READY_TIMEOUT_MS = 20_000;
/** How long SIGTERM may take before the server is killed. */
const STOP_TIMEOUT_MS = 5_000;

const READY_LINE = /^Server: listening on (http:\/\/\S+) \(/;

/**
 * Extracts the base URL from a ready line, pointing wildcard hosts at
 * loopback since benchmarks only ever target this machine.
 *
 * @param line One line of the server's standard output.
 * @returns The base URL without a trailing slash, or `undefined` when the
 * line is not the ready line.
 * @example Parse a ready line
 * ```ts
 * parseListeningLine("Server: listening on http://127.0.0.1:4507 (2 workers, root .)");
 * // "http://127.0.0.1:4507"
 * ```
 */
export function parseListeningLine(line: string): string | undefined {
  const match = READY_LINE.exec(line.trim());
  if (match === null) return undefined;
  const url = new URL(match[1]);
  if (url.hostname === "0.0.0.0") url.hostname = "127.0.0.1";
  if (url.hostname === "[::]") url.hostname = "[::1]";
  return url.origin;
}

/** A time limit and what it guards, for the error message. */
interface Limit {
  ms: number;
  what: string;
}

function withTimeout<T>(promise: Promise<T>, limit: Limit): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${limit.ms} ms: ${limit.what}`)),
      limit.ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Reads lines until the ready line, then keeps draining so the pipe never fills. */
async function readBaseUrl(stdout: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stdout.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("Server exited before printing its ready line");
    pending += value;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    const url = lines.map(parseListeningLine).find((found) => found !== undefined);
    if (url === undefined) continue;
    (async () => {
      while (!(await reader.read()).done) { /* discard */ }
    })().catch(() => {});
    return url;
  }
}

/** A running server subprocess; owns the child until {@linkcode stop}. */
export class ServerProcess {
  #child: Deno.ChildProcess;
  #name: string;
  #url: string;

  private constructor(parts: { child: Deno.ChildProcess; name: string; url: string }) {
    this.#child = parts.child;
    this.#name = parts.name;
    this.#url = parts.url;
  }

  /** Name from the spec. */
  get name(): string {
    return this.#name;
  }

  /** Base URL such as `http://127.0.0.1:4507`. */
  get url(): string {
    return this.#url;
  }

  /** Process id, for reading `/proc/<pid>/status`. */
  get pid(): number {
    return this.#child.pid;
  }

  /**
   * Starts `deno run --unstable-worker-options --allow-net --allow-read
   * SCRIPT --port 0 --quiet --root ROOT` and waits for its ready line.
   *
   * @param spec The server's name and script.
   * @param options Root, working directory and extra arguments.
   * @returns The running server.
   * @example Start a baseline
   * ```ts
   * const server = await ServerProcess.start(
   *   { name: "baseline_memory", script: "bench/baseline_memory.ts" },
   *   { root: "/tmp/fixtures", cwd: "." },
   * );
   * ```
   */
  static async start(spec: ServerSpec, options: StartOptions): Promise<ServerProcess> {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--unstable-worker-options",
        "--allow-net",
        "--allow-read",
        spec.script,
        ...["--port", "0", "--quiet", "--root", options.root],
        ...options.extraArgs ?? [],
      ],
      cwd: options.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      const url = await withTimeout(readBaseUrl(child.stdout), {
        ms: READY_TIMEOUT_MS,
        what: `${spec.name} ready`,
      });
      return new ServerProcess({ child, name: spec.name, url });
    } catch (error) {
      killQuietly(child, "SIGKILL");
      await child.status;
      throw error;
    }
  }

  /**
   * Sends SIGTERM and waits for the exit, killing the server if it lingers.
   *
   * @returns The exit status.
   * @example Stop a server
   * ```ts
   * const status = await server.stop();
   * ```
   */
  async stop(): Promise<Deno.CommandStatus> {
    killQuietly(this.#child, "SIGTERM");
    try {
      return await withTimeout(this.#child.status, {
        ms: STOP_TIMEOUT_MS,
        what: `${this.#name} exit`,
      });
    } catch {
      killQuietly(this.#child, "SIGKILL");
      return await this.#child.status;
    }
  }
}

function killQuietly(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // The process has already exited.
  }
}
