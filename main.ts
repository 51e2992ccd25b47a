/**
 * heiretsu: a multi-threaded HTTP/1.1 server for Deno.
 *
 * CLI → Config → Server. Exit codes: 0 after a clean shutdown, 1 when the server cannot start,
 * 2 for a bad flag or value.
 *
 * @module
 */
import { parseConfig } from "./lib/config/parse.ts";
import { Server } from "./lib/supervisor/server.ts";
import type { ServerConfig } from "./lib/config/settings.ts";
import { BAKED_APP_FLAG, unbake } from "./lib/supervisor/baked.ts";
import { HEALTH_CHECK_FLAG, healthCheck, healthCheckUrl } from "./lib/supervisor/health_check.ts";
import { appPlacementError, grantsBeyondProcess } from "./lib/supervisor/app_placement.ts";
import { lifecycleLogger } from "./lib/supervisor/log.ts";
import { FLAGS } from "./lib/config/flags.ts";
import { unreadSettings } from "./lib/config/environment.ts";
import { refusalAdvice } from "./lib/config/denied.ts";

/** Whether this process may read an environment variable (asking never prompts). */
function envPermission(variable: string): Deno.PermissionState {
  return Deno.permissions.querySync({ name: "env", variable }).state;
}

/** Reads an environment variable only when permitted, so a missing --allow-env never prompts. */
function readEnv(name: string): string | undefined {
  return envPermission(name) === "granted" ? Deno.env.get(name) : undefined;
}

/**
 * Where the command was typed: `deno task` runs in the clone and passes the caller's folder as
 * `INIT_CWD`. Only the serve task grants reading it, so an installed command or a binary started
 * from an npm script (which sets `INIT_CWD` to where npm was run) keeps its own folder.
 */
function callerFolder(): string {
  return readEnv("INIT_CWD") ?? Deno.cwd();
}

/**
 * The app's `--allow-*` flags heiretsu itself lacks, named, with what to do: `deno run` them
 * too (the serve task, the only one that lets heiretsu read INIT_CWD, cannot), or for a binary,
 * build one with the app inside.
 */
function appGrantError(config: ServerConfig): string | null {
  const beyond = grantsBeyondProcess(
    config.appPermissions,
    (descriptor) => Deno.permissions.querySync(descriptor).state,
  );
  if (beyond.length === 0) return null;
  const flags = beyond.join(" ");
  const lacking = `the app is given ${flags}, which heiretsu itself was not given (a worker ` +
    "cannot get more than its process)";
  if (Deno.build.standalone) {
    return `${lacking}: build a binary with the app inside, which is given them too: ` +
      `deno task compile --app APP -- ${flags}`;
  }
  const task = readEnv("INIT_CWD") === undefined ? "" : " (deno task serve cannot give them)";
  return `${lacking}: run deno with ${flags} too${task}`;
}

/** Explains a failure to start in one line that says what to do. */
function startupError(error: unknown, host: string, port: number): string {
  if (error instanceof Deno.errors.AddrInUse) {
    return `port ${port} on ${host} is in use: stop the other server or pick another with --port`;
  }
  const advice = refusalAdvice(error, {
    flag: `--allow-net=${host}`,
    os: port > 0 && port < 1024
      ? "ports below 1024 need privileges: use --port 1024 or above"
      : "choose another --host or --port",
  });
  if (advice !== null) return `cannot listen on ${host}:${port}: no permission: ${advice}`;
  return (error as Error).message;
}

/** Exit code after a second signal cut the shutdown short (128 + SIGINT, as shells report). */
const EXIT_FORCED = 130;
/**
 * A signal this soon after the first is the same one delivered twice, not a second Ctrl-C: a
 * terminal's Ctrl-C reaches the whole process group, and `deno task` forwards it once more.
 */
const REPEAT_SIGNAL_MS = 500;

async function main(): Promise<number> {
  // The person's own first argument, after what a binary with its app inside was built with.
  const given = Deno.args[0] === BAKED_APP_FLAG ? Deno.args.slice(2) : Deno.args;
  if (given[0] === HEALTH_CHECK_FLAG) return await healthCheck(healthCheckUrl(given[1], readEnv));
  const args = unbake(Deno.args, import.meta.url);
  const result = parseConfig({ args, env: readEnv, cwd: callerFolder() });
  if (result.kind === "print") {
    await Deno.stdout.write(new TextEncoder().encode(result.text));
    return 0;
  }
  if (result.kind === "error") {
    console.error(`heiretsu: ${result.message}`);
    return 2;
  }
  const { config } = result;
  const misplaced = appPlacementError(config) ?? appGrantError(config);
  if (misplaced !== null) {
    console.error(`heiretsu: ${misplaced}`);
    return 2;
  }
  const log = lifecycleLogger(config.logFormat);
  // A warning, on standard error, in the log's format (under json, every line is JSON).
  const unread = unreadSettings(FLAGS, (variable) => envPermission(variable));
  if (unread !== null) lifecycleLogger(config.logFormat, console.error)(`Server: ${unread}`);
  const server = new Server(config, log);
  try {
    await server.start();
  } catch (error) {
    console.error(`heiretsu: ${startupError(error, config.host, config.port)}`);
    return 1;
  }
  const signalled = new Promise<void>((resolve) => {
    const signals: Deno.Signal[] = Deno.build.os === "windows"
      ? ["SIGINT", "SIGBREAK"]
      : ["SIGINT", "SIGTERM"];
    let signalledAt = 0;
    const onSignal = () => {
      if (signalledAt !== 0) {
        if (Date.now() - signalledAt < REPEAT_SIGNAL_MS) return;
        // A second Ctrl-C: the person does not want to wait for the grace period.
        log("Server: stopping at once (second signal)");
        Deno.exit(EXIT_FORCED);
      }
      signalledAt = Date.now();
      log("Server: shutting down; press Ctrl-C again to stop at once");
      resolve();
    };
    for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  });
  // The server stops by itself only when one of its I/O threads failed (a bug it reports).
  await Promise.race([signalled, server.stopped]);
  await server.shutdown();
  return server.failure === null ? 0 : 1;
}

Deno.exit(await main());
