/**
 * Server's connection deadlines read the clock it is given: a test moves that clock past a
 * timeout of minutes and the next sweep (every 250 ms at most) acts, with no wait of minutes.
 * And its shutdown, with an app, leaves nothing on the process's standard error.
 */
import assert from "node:assert/strict";
import { Server } from "../../lib/supervisor/server.ts";
import { parseConfig } from "../../lib/config/parse.ts";
import type { ServerConfig } from "../../lib/config/settings.ts";
import { connect, readResponses, writeAll } from "../_helpers/http.ts";
import { makeSite } from "../_helpers/site.ts";
import { ManualClock, waitFor } from "../_helpers/wait.ts";

const HEADER_TIMEOUT_S = 60;
const KEEPALIVE_TIMEOUT_S = 3600;
/** How far each poll moves the clock: past the header timeout in two polls, the keep-alive in 120. */
const STEP_MS = (HEADER_TIMEOUT_S / 2) * 1000 + 1;
const encoder = new TextEncoder();

async function withClockedServer(fn: (port: number) => Promise<void>, clock: ManualClock) {
  const site = await makeSite();
  const args = ["--root", site.root, "--port", "0", "--workers", "1", "--quiet"];
  args.push("--header-timeout", `${HEADER_TIMEOUT_S}`);
  args.push("--keepalive-timeout", `${KEEPALIVE_TIMEOUT_S}`);
  const result = parseConfig({ args, env: () => undefined });
  if (result.kind !== "run") throw new Error(`bad test config: ${JSON.stringify(result)}`);
  const server = new Server(result.config as ServerConfig, { log: () => {}, now: clock.now });
  await server.start();
  try {
    await fn(server.addr.port);
  } finally {
    await server.shutdown();
    await site.remove();
  }
}

Deno.test("Server answers 408 once its clock passes --header-timeout on a head left unfinished", async () => {
  const clock = new ManualClock(Date.now());
  await withClockedServer(async (port) => {
    const conn = await connect(port);
    try {
      // A whole request first: the connection is accepted and idle under the keep-alive timer.
      await writeAll(conn, encoder.encode("GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"));
      const [ok] = await readResponses(conn, { responses: 1, timeoutMs: 10_000 });
      assert.equal(ok.status, 200);
      await writeAll(conn, encoder.encode("GET /hello.txt HTTP/1.1\r\nHost: t\r\n"));
      const late = readResponses(conn, { timeoutMs: 20_000 });
      let answered = false;
      late.then(() => answered = true, () => answered = true);
      await waitFor(() => {
        clock.advance(STEP_MS);
        return answered;
      }, { timeoutMs: 10_000, what: "an answer to the unfinished head", pollMs: 50 });
      assert.deepEqual((await late).map((response) => response.status), [408]);
    } finally {
      conn.close();
    }
  }, clock);
});

Deno.test("Server.shutdown() with an app whose threads are busy leaves nothing on standard error, stop after stop", async () => {
  // In a process of its own, whose standard error is read: Deno writes there itself. It wrote
  // 'Uncaught (in worker "heiretsu-app-N") Error: execution terminated' now and then, when a
  // worker was terminated under an app thread still running.
  const script = new URL("../fixtures/stop_cycles.ts", import.meta.url).pathname;
  const cycles = 5;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-worker-options", "--allow-all", script, `${cycles}`],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const decoder = new TextDecoder();
  const [out, err] = [decoder.decode(stdout), decoder.decode(stderr)];
  assert.equal(code, 0, `exit ${code}:\n${out}${err}`);
  assert.equal(out, `done ${cycles}\n`);
  assert.equal(err, "");
});
