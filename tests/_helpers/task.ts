/**
 * Test helper: runs one of deno.json's tasks as a person does, `deno task NAME -- ARGS` typed in
 * some folder, with the environment of a fresh shell (no INIT_CWD inherited from the test run,
 * which `deno task` would keep).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { textOutput } from "./server.ts";

/** The clone: where deno.json is. */
export const REPO: string = fileURLToPath(new URL("../..", import.meta.url));

const READY = /^Server: listening on (https?:\/\/\S+) \(/;

/** The environment of a fresh shell: what finds deno and its cache, and no colours. */
function shellEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1", ...extra };
  for (const name of ["PATH", "HOME", "DENO_DIR", "SystemRoot", "TEMP", "TMP", "USERPROFILE"]) {
    const value = Deno.env.get(name);
    if (value !== undefined && env[name] === undefined) env[name] = value;
  }
  return env;
}

/**
 * Runs a task to its end and collects its exit code and output.
 *
 * @param task the task's name
 * @param options the arguments after `--`, the folder it is typed in, extra variables
 * @returns exit code, stdout and stderr
 */
export async function runTask(
  task: string,
  options: { args?: string[]; cwd: string; env?: Record<string, string> },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--config", `${REPO}deno.json`, task, ...taskArgs(options.args)],
    cwd: options.cwd,
    clearEnv: true,
    env: shellEnv(options.env ?? {}),
    stdin: "null",
  }).output();
  return textOutput(output);
}

function taskArgs(args: string[] | undefined): string[] {
  return args === undefined || args.length === 0 ? [] : ["--", ...args];
}

/** A server started by `deno task serve`. */
export interface TaskServer {
  /** The URL of its ready line. */
  url: string;
  /** Every line it printed, stdout and stderr, until now. */
  lines: string[];
  /** SIGTERM (which `deno task` passes on), then the exit status; SIGKILL after 15 s. */
  stop(): Promise<Deno.CommandStatus>;
}

/**
 * Starts `deno task serve -- ARGS` typed in `cwd` and waits (at most 30 s) for its ready line.
 *
 * @param args the server's arguments
 * @param cwd the folder the command is typed in
 * @returns the running server
 */
export async function startServeTask(args: string[], cwd: string): Promise<TaskServer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "--config", `${REPO}deno.json`, "serve", ...taskArgs(args)],
    cwd,
    clearEnv: true,
    env: shellEnv({}),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const ready = Promise.withResolvers<string>();
  const pumps = [child.stdout, child.stderr].map(async (stream) => {
    let pending = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (pending + text).split("\n");
      pending = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        const match = READY.exec(line);
        if (match) ready.resolve(match[1]);
      }
    }
  });
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, 15_000);
    const status = await child.status;
    clearTimeout(timer);
    await Promise.all(pumps);
    return status;
  };
  const timer = setTimeout(() => ready.reject(new Error("not ready in 30 s")), 30_000);
  child.status.then(() => ready.reject(new Error("the task exited")));
  try {
    return { url: await ready.promise, lines, stop };
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}:\n${lines.join("\n")}`);
  } finally {
    clearTimeout(timer);
  }
}
