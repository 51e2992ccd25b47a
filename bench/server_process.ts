/**
 * @module server_process
 * Starts a server under test as a subprocess on port 0, learns its URL from
 * the ready line every server prints
 * (`Server: listening on http://HOST:PORT (N workers, …)`, `https://` over TLS), and stops
 * it with SIGTERM. Also what every way of starting a server shares: the
 * {@linkcode RunningServer} shape, a free loopback port, waiting until a URL
 * answers, and stopping a child process within a deadline.
 */

/** A server under test, however it was started. */
export interface RunningServer {
  /** Name used in reports. */
  name: string;
  /** Base URL such as `http://127.0.0.1:4507` (`https://` over TLS). */
  url: string;
  /** Process id of the server: the root of the process tree whose CPU time is measured. */
  pid: number;
  /** Stops the server and waits until it has exited. */
  stop(): Promise<unknown>;
}

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

const READY_LINE = /^Server: listening on (https?:\/\/\S+) \(/;

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

/**
 * Picks a loopback port that is free now: binds port 0, notes the port and
 * closes it. Another process could take it before the server binds it, which
 * on a benchmark machine is unlikely enough.
 *
 * @returns A TCP port number.
 * @example
 * ```ts
 * const port = freePort();
 * ```
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** How long a server without a ready line may take to answer its first request. */
const ANSWER_TIMEOUT_MS = 20_000;
const ANSWER_POLL_MS = 100;

/**
 * Polls a URL until the server answers it with any HTTP response.
 *
 * @param url The URL to request.
 * @param exited Settles when the server exits, which ends the wait at once.
 * @throws {Error} When the server exits or does not answer within 20 s.
 * @example
 * ```ts
 * await waitUntilAnswering("http://127.0.0.1:8080/", child.status);
 * ```
 */
export async function waitUntilAnswering(url: string, exited?: Promise<unknown>): Promise<void> {
  let gone = false;
  exited?.then(() => gone = true);
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  while (Date.now() < deadline && !gone) {
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, ANSWER_POLL_MS));
  }
  throw new Error(gone ? `Server exited before answering ${url}` : `${url} did not answer in time`);
}

/**
 * Sends a child SIGTERM and waits for its exit, killing it after 5 s.
 *
 * @param child The process.
 * @param what Its name, for the timeout message.
 * @returns The exit status.
 * @example
 * ```ts
 * await stopChild(child, "deno serve");
 * ```
 */
export async function stopChild(
  child: Deno.ChildProcess,
  what: string,
): Promise<Deno.CommandStatus> {
  killQuietly(child, "SIGTERM");
  try {
    return await withTimeout(child.status, { ms: STOP_TIMEOUT_MS, what: `${what} exit` });
  } catch {
    killQuietly(child, "SIGKILL");
    return await child.status;
  }
}

/** A running server subprocess; owns the child until {@linkcode stop}. */
export class ServerProcess implements RunningServer {
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
      stderr: "piped",
    }).spawn();
    const stderr: StderrTail = { text: "", forward: false };
    const stderrDone = keepStderr(child.stderr, stderr);
    try {
      const url = await withTimeout(readBaseUrl(child.stdout), {
        ms: READY_TIMEOUT_MS,
        what: `${spec.name} ready`,
      });
      stderr.forward = true;
      return new ServerProcess({ child, name: spec.name, url });
    } catch (error) {
      killQuietly(child, "SIGKILL");
      await child.status;
      await stderrDone;
      const said = stderr.text === "" ? "" : `; it printed:\n${stderr.text}`;
      throw new Error(`${error instanceof Error ? error.message : error}${said}`, { cause: error });
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
  stop(): Promise<Deno.CommandStatus> {
    return stopChild(this.#child, this.#name);
  }
}

/** The last bytes a server wrote to standard error before its ready line: kept for the error. */
const STDERR_KEPT_CHARS = 8 * 1024;

/** A server's standard error: kept until it is ready (so a start that fails says why), then passed on. */
interface StderrTail {
  text: string;
  forward: boolean;
}

async function keepStderr(stream: ReadableStream<Uint8Array>, tail: StderrTail): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    if (tail.forward) await Deno.stderr.write(chunk);
    else {tail.text = (tail.text + decoder.decode(chunk, { stream: true })).slice(
        -STDERR_KEPT_CHARS,
      );}
  }
}

function killQuietly(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // The process has already exited.
  }
}
