/**
 * A bounded fuzz run against the live server: random and mutated requests over fresh
 * connections for HEIRETSU_FUZZ_SECONDS (default 60 in CI, else 10). Every answer must be
 * well-formed HTTP/1.1 (or a plain close); afterwards every worker still answers correctly and
 * none died.
 */
import assert from "node:assert/strict";
import fc from "../_helpers/fast_check.ts";
import { TestServer } from "../_helpers/server.ts";
import { connect, timedGet, writeAll } from "../_helpers/http.ts";
import { makeSite } from "../_helpers/site.ts";
import { fuzzRequest, latin1Bytes } from "../_helpers/fuzz_cases.ts";
import { checkResponses } from "../_helpers/responses.ts";

const ECHO_APP = new URL("../../examples/echo.ts", import.meta.url).pathname;
const WORKERS = 2;
/** Parallel fuzzing clients. */
const LANES = 4;
/** Cases per fast-check run; lanes check the clock between runs. */
const RUNS_PER_BATCH = 25;
/**
 * After the client's FIN the server has everything it will get, so it must answer or close
 * well before its own 10 s header timeout could be what ends the wait.
 */
const READ_TIMEOUT_MS = 5000;
/** Shrinking a failure may go on this long past the fuzzing time. */
const SHRINK_MS = 30_000;

function fuzzSeconds(): number {
  const value = Deno.env.get("HEIRETSU_FUZZ_SECONDS");
  if (value !== undefined) {
    const seconds = Number(value);
    assert.ok(seconds > 0, `HEIRETSU_FUZZ_SECONDS must be a positive number, not ${value}`);
    return seconds;
  }
  return Deno.env.get("CI") ? 60 : 10;
}

/** Reads until the server closes (or resets), failing after READ_TIMEOUT_MS. */
async function readAll(conn: Deno.Conn): Promise<string> {
  const decoder = new TextDecoder("latin1");
  const chunk = new Uint8Array(64 * 1024);
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), READ_TIMEOUT_MS);
  });
  try {
    for (;;) {
      const n = await Promise.race([conn.read(chunk).catch(() => null), timeout]);
      if (n === "timeout") {
        throw new Error(`no answer and no close ${READ_TIMEOUT_MS} ms after the client's FIN`);
      }
      if (n === null) return text;
      text += decoder.decode(chunk.subarray(0, n));
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Sends one case on a fresh connection, half-closes, and checks everything that comes back. */
async function sendCase(port: number, request: string): Promise<number[]> {
  using conn = await connect(port);
  try {
    await writeAll(conn, latin1Bytes(request));
    await conn.closeWrite();
  } catch {
    // The server refused early and closed; what it said is still to be read.
  }
  const text = await readAll(conn);
  return checkResponses(text, { mayBeHead: request.includes("HEAD") });
}

interface FuzzRun {
  port: number;
  softDeadline: number;
  hardDeadline: number;
  cases: number;
  statuses: Map<number, number>;
  /** The lane that found a failure; the others stop so it can shrink alone. */
  failedLane: number | null;
}

/** Sends one case; a peer's bytes may earn any status but 500, which means our own fault. */
async function checkCase(run: FuzzRun, request: string): Promise<void> {
  const statuses = await sendCase(run.port, request);
  for (const status of statuses) run.statuses.set(status, (run.statuses.get(status) ?? 0) + 1);
  assert.ok(!statuses.includes(500), `answered ${statuses.join(", ")}: a client fault became 500`);
}

/** One client: fast-check runs with fresh seeds until time is up or another lane failed. */
async function lane(run: FuzzRun, index: number): Promise<void> {
  const property = fc.asyncProperty(fuzzRequest, async (request) => {
    // Past the hard deadline, shrinking stops: the smallest failure so far is reported.
    if (performance.now() > run.hardDeadline) return;
    if (run.failedLane !== null && run.failedLane !== index) return;
    run.cases++;
    try {
      await checkCase(run, request);
    } catch (error) {
      run.failedLane ??= index;
      throw error;
    }
  });
  for (let batch = 0; performance.now() < run.softDeadline && run.failedLane === null; batch++) {
    const seed = (Date.now() ^ (index << 20) ^ batch) | 0;
    await fc.assert(property, { numRuns: RUNS_PER_BATCH, seed });
  }
}

/** 50 GETs with checked bodies; returns the probe query each one carried. */
async function probeEveryWorker(server: TestServer): Promise<string[]> {
  const probes: string[] = [];
  for (let i = 0; i < 50; i++) {
    const [path, body] = i % 2 === 0
      ? ["/hello.txt", "hello, world\n"]
      : ["/data.json", '{"ok":true}\n'];
    const probe = `${path}?probe=${i}`;
    const { response } = await timedGet(server.port, probe);
    assert.equal(response.status, 200, probe);
    assert.equal(new TextDecoder().decode(response.body), body, probe);
    probes.push(probe);
  }
  return probes;
}

/** The worker that served each probe, from the access log. */
async function servingWorkers(server: TestServer, probes: string[]): Promise<Set<string>> {
  const workers = new Set<string>();
  for (const probe of probes) {
    const escaped = probe.replace(/[.?]/g, "\\$&");
    const line = await server.waitForLine(new RegExp(`"GET ${escaped} HTTP/1\\.1" 200 `));
    const match = / worker=(\d+)/.exec(line);
    assert.ok(match, `no worker in ${line}`);
    workers.add(match[1]);
  }
  return workers;
}

Deno.test("server answers fuzzed requests with well-formed HTTP/1.1 or a close, and every worker survives", async () => {
  const seconds = fuzzSeconds();
  const site = await makeSite();
  const args = ["--root", site.root, "--app", ECHO_APP, "--workers", String(WORKERS)];
  const server = await TestServer.start(args);
  try {
    const started = performance.now();
    const run: FuzzRun = {
      port: server.port,
      softDeadline: started + seconds * 1000,
      hardDeadline: started + seconds * 1000 + SHRINK_MS,
      cases: 0,
      statuses: new Map(),
      failedLane: null,
    };
    const lanes = await Promise.allSettled(Array.from({ length: LANES }, (_, i) => lane(run, i)));
    const histogram = [...run.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
    console.log(`${run.cases} fuzz cases in ${seconds} s; statuses ${histogram.join(" ")}`);
    for (const result of lanes) if (result.status === "rejected") throw result.reason;
    const probes = await probeEveryWorker(server);
    const workers = await servingWorkers(server, probes);
    assert.deepEqual([...workers].sort(), ["1", "2"], "not every worker answered the probes");
    const deaths = server.lines.filter((l) => /crashed|terminated after|restarted/.test(l));
    assert.deepEqual(deaths, [], "a worker died during the fuzz run");
  } finally {
    const status = await server.stop();
    await site.remove();
    assert.equal(status.code, 0, `server exit code\n${server.lines.slice(-40).join("\n")}`);
  }
});
