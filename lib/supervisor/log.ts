/**
 * The main thread's log lines (lifecycle: listening, workers started or lost, draining,
 * stopped; refusals: `Server: 408 to ADDRESS (connection N)`) in the chosen log format: as they
 * are, or one JSON object a line under `--log-format json`, so that stream is JSON throughout.
 *
 * @module
 */
import type { LogFormat } from "../config/settings.ts";

/** A refusal line, as `refusalLine()` in `relay.ts` writes it. */
const REFUSAL = /^Server: (.+) to (\S+) \(connection (\d+)\)$/;
/** A worker's lifecycle line. */
const WORKER = /^Worker (\d+): /;

/**
 * One lifecycle or refusal line as a JSON object: `type` (`lifecycle` or `refusal`), `source`
 * (`server` or `worker`), `worker` (or null), `message` (the plain line, so a search for
 * `Server: listening` finds it in either format), and for a refusal its `status` (or null when
 * the reason is a timeout without one), `reason`, `remote` and `connection`.
 *
 * @param line the plain line
 * @param now the time (for tests)
 * @returns the JSON text
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lifecycleJson } from "./log.ts";
 * const line = JSON.parse(lifecycleJson("Server: 408 to 10.0.0.1 (connection 7)"));
 * assert.equal(line.type, "refusal");
 * assert.equal(line.status, 408);
 * assert.equal(line.remote, "10.0.0.1");
 * ```
 */
export function lifecycleJson(line: string, now: Date = new Date()): string {
  const time = now.toISOString();
  const refusal = REFUSAL.exec(line);
  if (refusal !== null) {
    const [, what, remote, connection] = refusal;
    const status = /^\d{3}$/.test(what) ? Number(what) : null;
    return JSON.stringify({
      time,
      type: "refusal",
      source: "server",
      worker: null,
      status,
      reason: status === null ? what : null,
      remote,
      connection: Number(connection),
      message: line,
    });
  }
  const worker = WORKER.exec(line);
  return JSON.stringify({
    time,
    type: "lifecycle",
    source: worker === null ? "server" : "worker",
    worker: worker === null ? null : Number(worker[1]),
    message: line,
  });
}

/**
 * The function lifecycle lines go through: they are written as they are, or as JSON.
 *
 * @param format the log format
 * @param write where a finished line goes (default: standard output)
 * @returns the logger
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lifecycleLogger } from "./log.ts";
 * const lines: string[] = [];
 * lifecycleLogger("json", (line) => lines.push(line))("Server: stopped");
 * assert.equal(JSON.parse(lines[0]).message, "Server: stopped");
 * ```
 */
export function lifecycleLogger(
  format: LogFormat,
  write: (line: string) => void = console.log,
): (line: string) => void {
  if (format !== "json") return write;
  return (line) => write(lifecycleJson(line));
}
