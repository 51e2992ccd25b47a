/**
 * An app that attacks its own server (security review, issue 8): it may lose its own worker and
 * its own requests, but never the process, the other clients, or the truth of the log.
 */
import assert from "node:assert/strict";
import type { TestServer } from "../_helpers/server.ts";
import { exchange, timedGet } from "../_helpers/http.ts";
import { withSiteServer } from "../_helpers/site.ts";
import { NO_PROC } from "../_helpers/proc.ts";
import { waitFor } from "../_helpers/wait.ts";

const APP = new URL("../fixtures/hostile_app.ts", import.meta.url).pathname;
/** A crash must answer its clients at once, not after some timeout. */
const PROMPT_MS = 5_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** An access line an app would like to slip into the log. */
const FORGED = '127.0.0.1 - - [01/Jan/2026:00:00:00 +0000] "GET /forged HTTP/1.1" 200 0';

/** CPU time (user and system) a process has used so far, from /proc (Linux only). */
function cpuSeconds(pid: number): number {
  const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
  // utime and stime, fields 14 and 15 of the whole line, in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A server with the hostile app over a test site; it must still exit 0 at the end. */
function withHostileApp(
  args: string[],
  fn: (server: TestServer) => Promise<void>,
): Promise<void> {
  return withSiteServer({ args: ["--app", APP, ...args] }, fn);
}

/** After `restarts` crashes in all: replacements are up, and files and the app are served again. */
async function servesAgain(server: TestServer, restarts = 1): Promise<void> {
  const restarted = () => server.lines.filter((line) => /^Worker \d: restarted$/.test(line));
  await waitFor(() => restarted().length >= restarts, {
    timeoutMs: 10_000,
    what: `${restarts} 'Worker N: restarted' lines in:\n${server.lines.join("\n")}`,
  });
  assert.equal(restarted().length, restarts, server.lines.join("\n"));
  assert.equal((await timedGet(server.port, "/hello.txt")).response.status, 200);
  assert.equal((await timedGet(server.port, "/fast")).response.status, 200);
}

/** Resident memory of a process in MiB, from /proc. */
function residentMb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

Deno.test("an app allocating without end loses only its worker: 502, the reason logged, then it serves again", async () => {
  const args = ["--workers", "1", "--app-heap", "64", "--request-timeout", "10"];
  await withHostileApp(args, async (server) => {
    const paths = ["/allocate", "/allocate-after-await"];
    for (const [i, path] of paths.entries()) {
      const { response, ms } = await timedGet(server.port, path);
      assert.equal(response.status, 502, path);
      assert.ok(ms < PROMPT_MS, `${path}: 502 after ${ms} ms`);
      await servesAgain(server, i + 1);
    }
    const crashes = server.lines.filter((line) =>
      line === "Worker 1: crashed (the app ran out of memory (--app-heap 64 MiB)); restarting"
    );
    assert.equal(crashes.length, 2, server.lines.join("\n"));
  });
});

Deno.test({
  name: "an app holding ArrayBuffers past --app-heap loses only its worker, the reason logged",
  ignore: NO_PROC,
}, async () => {
  const args = ["--workers", "1", "--app-heap", "64", "--request-timeout", "10"];
  await withHostileApp(args, async (server) => {
    const before = residentMb(server.pid);
    const { response } = await timedGet(server.port, "/allocate-buffers");
    assert.equal(response.status, 502);
    await server.waitForLine(
      /^Worker 1: crashed \(the app holds over 64 MiB of ArrayBuffer memory \(--app-heap 64 MiB\)\)/,
    );
    await servesAgain(server);
    assert.ok(residentMb(server.pid) - before < 512, "the buffers went with the worker");
  });
});

Deno.test({
  name:
    "an app stuck in a loop is stopped with its worker: the watchdog's 503 leaves no thread spinning",
  ignore: NO_PROC,
}, async () => {
  await withHostileApp(["--workers", "1", "--request-timeout", "1", "--quiet"], async (server) => {
    assert.equal((await timedGet(server.port, "/spin")).response.status, 503);
    await servesAgain(server);
    // Idle, the process uses next to no CPU; a thread left in the loop would take a whole core.
    const before = cpuSeconds(server.pid);
    await sleep(1000);
    const used = cpuSeconds(server.pid) - before;
    assert.ok(used < 0.3, `${used.toFixed(2)} s of CPU in 1 s while idle`);
  });
});

Deno.test("an app calling Deno.exit() or process.exit() gets 502 at once and a replaced worker, even with --request-timeout 0", async () => {
  await withHostileApp(["--workers", "2", "--request-timeout", "0"], async (server) => {
    const [exit, processExit] = await Promise.all([
      timedGet(server.port, "/exit?code=3"),
      timedGet(server.port, "/process-exit"),
    ]);
    for (const { response, ms } of [exit, processExit]) {
      assert.equal(response.status, 502);
      assert.ok(ms < PROMPT_MS, `502 after ${ms} ms`);
    }
    await server.waitForLine(
      /^Worker \d: crashed \(the app called Deno\.exit\(3\) or process\.exit\(3\)\); restarting$/,
    );
    await server.waitForLine(/crashed \(the app called Deno\.exit\(4\) or process\.exit\(4\)\)/);
    await servesAgain(server, 2);
  });
});

Deno.test("an app calling self.close() gets 502 at once and a replaced worker, even with --request-timeout 0", async () => {
  await withHostileApp(["--workers", "1", "--request-timeout", "0"], async (server) => {
    const { response, ms } = await timedGet(server.port, "/close");
    assert.equal(response.status, 502);
    assert.ok(ms < PROMPT_MS, `502 after ${ms} ms`);
    await server.waitForLine(/^Worker 1: crashed \(the app called self\.close\(\)\); restarting$/);
    await servesAgain(server);
  });
});

Deno.test("an app answering with a 1xx status gets 500 and a log line naming the status", async () => {
  await withHostileApp(["--workers", "1"], async (server) => {
    const { response } = await timedGet(server.port, "/switching");
    assert.equal(response.status, 500);
    await server.waitForLine(
      /^Worker 1: request failed \("GET \/switching"\): Error: the app answered with status 101: /,
    );
    assert.equal((await timedGet(server.port, "/fast")).response.status, 200);
  });
});

Deno.test("an app header too large for one worker record gets 500 and a logged reason, not an empty reply", async () => {
  await withHostileApp(["--workers", "1"], async (server) => {
    const { response } = await timedGet(server.port, "/huge-header");
    assert.equal(response.status, 500);
    await server.waitForLine(
      /request failed \("GET \/huge-header"\): Error: a response head of \d+ bytes cannot be sent: a worker sends at most \d+ bytes in one record$/,
    );
    assert.equal((await timedGet(server.port, "/fast")).response.status, 200);
  });
});

Deno.test("an app's error messages cannot forge log lines: control characters are escaped, request named", async () => {
  await withHostileApp(["--workers", "1"], async (server) => {
    const text = encodeURIComponent(`kaboom\r\n${FORGED}`);
    const { response } = await timedGet(server.port, `/throw?text=${text}"`);
    assert.equal(response.status, 500);
    await server.waitForLine(
      /^Worker 1: request failed \("GET \/throw\?text=kaboom%0D%0A127\.0\.0\.1.*\\x22"\): Error: kaboom\\x0d\\x0a127\.0\.0\.1 /,
    );
    // Uncaught, outside any request: the thread reports it escaped, and Deno prints nothing raw.
    assert.equal((await timedGet(server.port, `/throw-later?text=${text}`)).response.status, 200);
    await server.waitForLine(
      /^Worker 1: crashed \(uncaught error in the app: Error: kaboom\\x0d\\x0a127\.0\.0\.1 .*\); restarting$/,
    );
    await servesAgain(server);
    assert.ok(!server.lines.some((line) => line.startsWith(FORGED)), server.lines.join("\n"));
    assert.ok(!server.lines.some((line) => line.includes("Uncaught")), server.lines.join("\n"));
  });
});

Deno.test("an absolute-form target's authority is the app's Host and URL host, with the listener's scheme", async () => {
  await withHostileApp(["--workers", "1"], async (server) => {
    const [response] = await exchange(
      server.port,
      "GET https://other.example:8443/url?x=1 HTTP/1.1\r\nHost: mine.example\r\nConnection: close\r\n\r\n",
    );
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(response.body)), {
      url: "http://other.example:8443/url?x=1",
      host: "other.example:8443",
    });
  });
});

Deno.test("an app body chunk that is a DataView or ArrayBuffer is sent whole; a string is a 500", async () => {
  await withHostileApp(["--workers", "1", "--quiet"], async (server) => {
    for (const path of ["/dataview", "/arraybuffer"]) {
      const { response, ms } = await timedGet(server.port, path);
      assert.equal(response.status, 200, path);
      assert.equal(new TextDecoder().decode(response.body), "hi!", path);
      assert.ok(ms < PROMPT_MS, `${path} took ${ms} ms`);
    }
    const { response } = await timedGet(server.port, "/string-chunk");
    assert.equal(response.status, 500);
    await server.waitForLine(/each chunk of a body stream must be a Uint8Array/);
    assert.equal((await timedGet(server.port, "/fast")).response.status, 200, "no worker lost");
  });
});

Deno.test("an app finds no channel memory in workerData, so it cannot write records into its ring", async () => {
  // It could until the app's thread withheld the memory (a bad record then cost the worker: the
  // main thread's check of what it reads stays, tested in tests/wire/protocol_test.ts).
  await withHostileApp(["--workers", "1"], async (server) => {
    for (const how of ["kind", "length"]) {
      const { response, ms } = await timedGet(server.port, `/corrupt-ring?how=${how}`);
      assert.equal(response.status, 200, how);
      assert.equal(new TextDecoder().decode(response.body), "no channel memory in workerData\n");
      assert.ok(ms < PROMPT_MS, `${how}: answered after ${ms} ms`);
    }
  });
});
