import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  freePort,
  parseListeningLine,
  ServerProcess,
  stopChild,
  waitUntilAnswering,
} from "../../bench/server_process.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

Deno.test("parseListeningLine() returns the origin of the ready line", () => {
  assert.equal(
    parseListeningLine("Server: listening on http://127.0.0.1:4507 (2 workers, root /tmp/x)"),
    "http://127.0.0.1:4507",
  );
  assert.equal(
    parseListeningLine("Server: listening on http://localhost:80/ (1 workers, root .)\r"),
    "http://localhost",
  );
});

Deno.test("parseListeningLine() reads the https:// origin of a server with TLS", () => {
  assert.equal(
    parseListeningLine(
      "Server: listening on https://127.0.0.1:4443 (2 workers, 2 I/O threads, root /tmp/x)",
    ),
    "https://127.0.0.1:4443",
  );
});

Deno.test("parseListeningLine() points wildcard hosts at loopback", () => {
  assert.equal(
    parseListeningLine("Server: listening on http://0.0.0.0:81 (1 workers, root .)"),
    "http://127.0.0.1:81",
  );
  assert.equal(
    parseListeningLine("Server: listening on http://[::]:81 (1 workers, root .)"),
    "http://[::1]:81",
  );
});

Deno.test("parseListeningLine() ignores other lines", () => {
  assert.equal(parseListeningLine("Listening on http://127.0.0.1:8000/"), undefined);
  assert.equal(parseListeningLine(""), undefined);
});

Deno.test("ServerProcess.start() learns the port and stop() ends the server with SIGTERM", async () => {
  const server = await ServerProcess.start(
    { name: "baseline_memory", script: "bench/baseline_memory.ts" },
    { root: REPO_ROOT, cwd: REPO_ROOT },
  );
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(server.pid > 0);
  const response = await fetch(`${server.url}/deno.json`);
  assert.equal(response.status, 200);
  await response.body?.cancel();
  const status = await server.stop();
  assert.equal(status.code, 0);
  await assert.rejects(fetch(`${server.url}/deno.json`));
});

Deno.test("ServerProcess.start() rejects when the server exits before its ready line, with what it printed instead of printing it", async () => {
  await assert.rejects(
    ServerProcess.start({ name: "missing", script: "bench/no_such_server.ts" }, {
      root: ".",
      cwd: REPO_ROOT,
    }),
    /exited before printing its ready line; it printed:\n.*Module not found/s,
  );
});

Deno.test("freePort() gives a loopback port that can be bound", () => {
  const port = freePort();
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  listener.close();
  assert.ok(port > 0);
});

Deno.test("waitUntilAnswering() returns on any HTTP answer and gives up when the server exits", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("gone", { status: 404 }),
  );
  try {
    await waitUntilAnswering(`http://127.0.0.1:${server.addr.port}/`);
  } finally {
    await server.shutdown();
  }
  await assert.rejects(
    waitUntilAnswering(`http://127.0.0.1:${freePort()}/`, Promise.resolve()),
    /exited before answering/,
  );
});

Deno.test("stopChild() ends a child with SIGTERM", async () => {
  const child = new Deno.Command("sleep", { args: ["30"], stdin: "null" }).spawn();
  const status = await stopChild(child, "sleep");
  assert.equal(status.signal, "SIGTERM");
});
