/**
 * What happens to a request whose worker dies: the relay answers 502 and the pool replaces the
 * worker. The crash prints the app thread's stack trace, so the test runs in a child process
 * (quietTest) and a passing run prints nothing. And what a server prints as its app workers are
 * replaced: under `--log-format json`, nothing but JSON.
 */
import assert from "node:assert/strict";
import { connect, exchange, readResponses, timedGet, writeAll } from "../_helpers/http.ts";
import { sendUnknownRecord, withServer } from "../_helpers/in_process.ts";
import { quietTest } from "../_helpers/quiet.ts";
import { runCli, TestServer } from "../_helpers/server.ts";
import { waitFor } from "../_helpers/wait.ts";

const HOSTILE_APP = new URL("../fixtures/hostile_app.ts", import.meta.url).pathname;

quietTest(
  import.meta,
  "server answers 502 for a request whose worker dies before it responds",
  async () => {
    const app = ["--app", "examples/slow.ts", "--workers", "1", "--quiet"];
    await withServer(app, async (server, lines) => {
      const conn = await connect(server.addr.port);
      try {
        // The app sleeps on it: the worker holds the request without answering.
        await writeAll(
          conn,
          new TextEncoder().encode("GET /sleep?ms=5000 HTTP/1.1\r\nHost: t\r\n\r\n"),
        );
        const worker = server.pool.workers[0];
        await waitFor(() => worker.board.inFlight > 0, {
          timeoutMs: 5000,
          what: "the worker to hold it",
        });
        sendUnknownRecord(server, worker);
        const responses = await readResponses(conn);
        assert.deepEqual(responses.map((r) => r.status), [502]);
        assert.ok(lines.some((l) => /^Worker 1: crashed/.test(l)), lines.join("\n"));
      } finally {
        conn.close();
      }
      // The replacement serves.
      await waitFor(() => server.pool.workers[0].state === "ready", {
        timeoutMs: 10_000,
        what: "the replacement worker to be ready",
      });
      const [response] = await exchange(
        server.addr.port,
        "GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
      );
      assert.equal(response.status, 200);
    });
  },
);

/** The `message` of a JSON log line, or null for a line that is not a JSON object. */
function jsonMessage(line: string): string | null {
  try {
    const value = JSON.parse(line);
    return typeof value === "object" && value !== null ? String(value.message) : null;
  } catch {
    return null;
  }
}

Deno.test("a server whose app workers crash and are replaced prints only JSON lines under --log-format json", async () => {
  const args = ["--app", HOSTILE_APP, "--workers", "1", "--log-format", "json"];
  const server = await TestServer.start([...args, "--request-timeout", "1", "--app-heap", "64"]);
  try {
    // Each path costs worker 1 its thread a different way: an uncaught error off-request, the
    // app ending its thread, the heap cap, and the watchdog (a handler that never returns).
    const paths = ["/throw-later?text=boom", "/exit?code=3", "/allocate", "/spin"];
    for (const [i, path] of paths.entries()) {
      await timedGet(server.port, path);
      const restarted = () =>
        server.lines.filter((line) => jsonMessage(line) === "Worker 1: restarted").length;
      await waitFor(() => restarted() > i, {
        timeoutMs: 15_000,
        what: `worker 1 replaced after ${path}, in:\n${server.lines.join("\n")}`,
      });
    }
    assert.equal((await timedGet(server.port, "/fast")).response.status, 200);
  } finally {
    await server.stop();
  }
  const notJson = server.lines.filter((line) => jsonMessage(line) === null);
  assert.deepEqual(notJson, [], server.lines.join("\n"));
  const crashes = server.lines.filter((line) =>
    /^Worker 1: (crashed|terminated)/.test(jsonMessage(line)!)
  );
  assert.equal(crashes.length, 4, server.lines.join("\n"));
});

Deno.test("a replacement whose app never finishes loading is ended after --start-timeout and started again while the other worker serves, and SIGTERM still exits 0", async () => {
  const app = new URL("../fixtures/stuck_restart_app.ts", import.meta.url).pathname;
  const server = await TestServer.start([
    "--app",
    app,
    "--workers",
    "2",
    "--start-timeout",
    "1",
    "--quiet",
  ]);
  try {
    // Worker 2 answers /crash as any path: ask until worker 1 gets one.
    await waitFor(async () => {
      await fetch(`${server.url}/crash`).then((r) => r.body?.cancel(), () => {});
      return server.lines.some((line) => /^Worker 1: crashed/.test(line));
    }, { timeoutMs: 10_000, what: "worker 1 to take a /crash" });
    const notLoaded =
      /^Worker 1: crashed \(the app did not finish loading within 1 s \(--start-timeout\)/;
    await waitFor(() => server.lines.filter((line) => notLoaded.test(line)).length >= 2, {
      timeoutMs: 10_000,
      what: `worker 1's replacement to be ended twice:\n${server.lines.join("\n")}`,
    });
    for (let i = 0; i < 10; i++) {
      assert.equal(await (await fetch(`${server.url}/any`)).text(), "worker 2\n");
    }
  } finally {
    const status = await server.stop();
    assert.equal(status.code, 0, server.lines.join("\n"));
  }
});

Deno.test("an app that never finishes loading fails the start after --start-timeout with where to look, exit 1", async () => {
  const app = new URL("../fixtures/never_loads_app.ts", import.meta.url).pathname;
  const started = performance.now();
  const { code, stderr } = await runCli(["--port", "0", "--app", app, "--start-timeout", "1"]);
  assert.equal(code, 1, stderr);
  assert.match(
    stderr,
    /the app did not finish loading within 1 s \(--start-timeout\): look for a top-level await/,
  );
  assert.ok(performance.now() - started < 10_000, "the start took as long as the test's bound");
});
