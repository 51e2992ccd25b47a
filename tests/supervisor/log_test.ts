/**
 * @module
 * Tests for lib/supervisor/log.ts: lifecycle and refusal lines as they are, or as JSON.
 */
import assert from "node:assert/strict";
import { lifecycleJson, lifecycleLogger } from "../../lib/supervisor/log.ts";

const NOW = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));

Deno.test("lifecycleJson() keeps the plain line as message and names the source", () => {
  const server = JSON.parse(lifecycleJson("Server: listening on http://127.0.0.1:8080 (x)", NOW));
  assert.deepEqual(server, {
    time: NOW.toISOString(),
    type: "lifecycle",
    source: "server",
    worker: null,
    message: "Server: listening on http://127.0.0.1:8080 (x)",
  });
  const worker = JSON.parse(lifecycleJson("Worker 12: crashed (boom); restarting", NOW));
  assert.deepEqual([worker.source, worker.worker], ["worker", 12]);
});

Deno.test("lifecycleJson() gives a refusal its status or reason, address and connection", () => {
  const refusal = JSON.parse(lifecycleJson("Server: 503 to ::1 (connection 42)", NOW));
  assert.deepEqual(
    [refusal.type, refusal.status, refusal.reason, refusal.remote, refusal.connection],
    ["refusal", 503, null, "::1", 42],
  );
  const timeout = JSON.parse(
    lifecycleJson(
      "Server: send timeout: the client reads no response bytes to 10.0.0.2 (connection 3)",
    ),
  );
  assert.equal(timeout.status, null);
  assert.equal(timeout.reason, "send timeout: the client reads no response bytes");
});

Deno.test("lifecycleLogger() writes plain lines unchanged for the other formats", () => {
  for (const format of ["heiretsu", "common", "combined"] as const) {
    const lines: string[] = [];
    lifecycleLogger(format, (line) => lines.push(line))("Server: stopped");
    assert.deepEqual(lines, ["Server: stopped"]);
  }
});
