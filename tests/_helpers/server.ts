/**
 * Test helper: runs the real server (main.ts) as a subprocess on port 0, reads its port from the
 * ready line, keeps every line it prints, and stops it with SIGTERM.
 *
 * @module
 */

import { waitFor } from "./wait.ts";
import { ioThreadArgs } from "./io_threads.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const READY = /^Server: listening on https?:\/\/(\S+):(\d+) \(/;

/** A server subprocess under test. */
export class TestServer {
  /** Every stdout and stderr line so far, in arrival order per stream. */
  readonly lines: string[] = [];
  #child: Deno.ChildProcess;
  #port = 0;
  #pumps: Promise<void>[] = [];

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
  }

  /**
   * Starts `main.ts` with `args` (port 0 is added) and waits for its ready line.
   *
   * @param args flags for the server
   * @param denoFlags extra flags for `deno run`, e.g. a permission an app needs; an `--allow-net`
   *   among them stands for the default `--allow-net=127.0.0.1` (deno joins two into one list)
   * @returns the running server
   */
  static async start(args: string[] = [], denoFlags: string[] = []): Promise<TestServer> {
    const net = denoFlags.some((flag) => /^--allow-net(=|$)/.test(flag))
      ? []
      : ["--allow-net=127.0.0.1"];
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--unstable-worker-options",
        ...net,
        "--allow-read",
        ...denoFlags,
        MAIN,
        "--port",
        "0",
        ...args,
        ...ioThreadArgs(args),
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const server = new TestServer(child);
    const ready = Promise.withResolvers<void>();
    server.#pumps.push(server.#collect(child.stdout, ready), server.#collect(child.stderr, ready));
    const timer = setTimeout(
      () => ready.reject(new Error(`server not ready in 20 s:\n${server.lines.join("\n")}`)),
      20_000,
    );
    child.status.then(async ({ code, signal }) => {
      // Its last lines may still be in the pipes: read them before telling why it ended.
      await Promise.all(server.#pumps);
      const how = signal === null ? `code ${code}` : `signal ${signal}`;
      ready.reject(new Error(`server exited (${how}):\n${server.lines.join("\n")}`));
    });
    try {
      await ready.promise;
    } catch (error) {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await server.#finish();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return server;
  }

  /** The port it listens on. */
  get port(): number {
    return this.#port;
  }

  /** Base URL, e.g. http://127.0.0.1:4507. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Process id, for /proc. */
  get pid(): number {
    return this.#child.pid;
  }

  /**
   * Waits until a printed line matches.
   *
   * @param pattern what to look for
   * @param timeoutMs how long to wait
   * @returns the matching line
   */
  waitForLine(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const lines = this.lines;
    return waitFor(() => this.lines.find((l) => pattern.test(l)), {
      timeoutMs,
      // Read when the wait fails: the lines printed by then.
      get what() {
        return `a line matching ${pattern} in:\n${lines.join("\n")}`;
      },
      pollMs: 20,
    });
  }

  /**
   * Sends SIGTERM and waits for the exit (SIGKILL after 15 s).
   *
   * @returns the exit status
   */
  async stop(): Promise<Deno.CommandStatus> {
    try {
      this.#child.kill("SIGTERM");
    } catch { /* already gone */ }
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, 15_000);
    const status = await this.#finish();
    clearTimeout(timer);
    return status;
  }

  async #finish(): Promise<Deno.CommandStatus> {
    const status = await this.#child.status;
    await Promise.all(this.#pumps);
    return status;
  }

  async #collect(
    stream: ReadableStream<Uint8Array>,
    ready: PromiseWithResolvers<void>,
  ): Promise<void> {
    let pending = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        this.lines.push(line);
        const match = READY.exec(line) ?? READY.exec(jsonMessage(line));
        if (match) {
          this.#port = Number(match[2]);
          ready.resolve();
        }
      }
    }
    if (pending) this.lines.push(pending);
  }
}

/**
 * Runs the CLI with `args` and collects its exit code and output (for flag validation tests).
 *
 * @param args flags
 * @returns exit code, stdout and stderr
 */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--unstable-worker-options",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-env=HEIRETSU_*",
      MAIN,
      ...args,
    ],
    env,
    stdin: "null",
  }).output();
  return textOutput(output);
}

/**
 * A finished command's exit code with its output as text.
 *
 * @param output what `Deno.Command.output()` gave
 * @returns the code, stdout and stderr
 */
export function textOutput(
  output: Deno.CommandOutput,
): { code: number; stdout: string; stderr: string } {
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** The plain text of a `--log-format json` lifecycle line, or "" for any other line. */
function jsonMessage(line: string): string {
  if (!line.startsWith("{")) return "";
  try {
    const message = JSON.parse(line).message;
    return typeof message === "string" ? message : "";
  } catch {
    return "";
  }
}
