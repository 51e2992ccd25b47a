/**
 * The I/O threads under attack: what one thread holds must never strand clients the kernel gave
 * it, a worker lost at any moment is told to every thread, and the server-wide counts come back
 * to zero after hostile churn (`lib/io/loop.ts`, `lib/wire/counts.ts`, `lib/supervisor/`).
 */
import assert from "node:assert/strict";
import net from "node:net";
import tls from "node:tls";
import { TestServer } from "../_helpers/server.ts";
import { connect, readResponses, writeAll } from "../_helpers/http.ts";
import { makeSite } from "../_helpers/site.ts";
import { sendUnknownRecord, withServer } from "../_helpers/in_process.ts";
import { waitFor } from "../_helpers/wait.ts";
import { NO_PROC } from "../_helpers/proc.ts";
import { settledFds } from "../_helpers/fds.ts";
import { openRaw } from "../_helpers/ws.ts";
import { quietTest } from "../_helpers/quiet.ts";
import { withTlsServer } from "../_helpers/certificate.ts";

const KEEP_ALIVE_GET = new TextEncoder().encode("GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
const CLOSE_GET = new TextEncoder().encode(
  "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
);

Deno.test({
  name:
    "--reuse-port: a thread holding more connections than the other still accepts the ones the kernel queued on its own socket",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const site = await makeSite();
    const server = await TestServer.start(
      ["--root", site.root, "--io-threads", "2", "--reuse-port", "--keepalive-timeout", "60"],
      ["--unstable-net"],
    );
    const conns: Deno.TcpConn[] = [];
    try {
      // The kernel hashes each connection to one thread's socket: the counts walk apart at
      // random, past the accept gate's slack of 2 within a few dozen connections. Each one is
      // kept open and must be answered before the next opens.
      for (let i = 0; i < 60; i++) {
        const conn = await connect(server.port);
        conns.push(conn);
        await writeAll(conn, KEEP_ALIVE_GET);
        const responses = await readResponses(conn, { responses: 1, timeoutMs: 3000 })
          .catch((error) => assert.fail(`connection ${i + 1} got no answer: ${error.message}`));
        assert.equal(responses[0].status, 200);
      }
    } finally {
      for (const conn of conns) conn.close();
      await server.stop();
      await site.remove();
    }
  },
});

Deno.test({
  name:
    "--reuse-port: a server joining the port (a rolling restart) takes none of its connections before it can serve them",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const site = await makeSite();
    const reusePort = ["--io-threads", "2", "--reuse-port", "--quiet"];
    const serving = await TestServer.start(["--root", site.root, ...reusePort], ["--unstable-net"]);
    const slow = new URL("../fixtures/slow_start_app.ts", import.meta.url).pathname;
    const joining = TestServer.start(
      ["--root", site.root, "--app", slow, "--port", String(serving.port), ...reusePort],
      ["--unstable-net"],
    );
    let joined = false;
    joining.then(() => (joined = true), () => (joined = true));
    const answers: string[] = [];
    try {
      // While the second server's app loads (2 s), every connection is the first one's to serve.
      for (let i = 0; i < 200 && !joined; i++) {
        const conn = await connect(serving.port);
        try {
          await writeAll(conn, CLOSE_GET);
          const [response] = await readResponses(conn, { timeoutMs: 1500 })
            .catch((error) => [{ status: `no answer (${error.message})` }]);
          answers.push(String(response?.status ?? "closed"));
        } finally {
          conn.close();
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.deepEqual(answers.filter((a) => a !== "200"), [], `${answers.length} connections`);
      assert.ok(answers.length > 10, `only ${answers.length} connections while it started`);
    } finally {
      await (await joining.catch(() => null))?.stop();
      await serving.stop();
      await site.remove();
    }
  },
});

Deno.test("a worker lost after it was ready, while the pool still starts, is told to every I/O thread and replaced", async () => {
  const app = new URL("../fixtures/start_crash_app.ts", import.meta.url).pathname;
  const args = ["--app", app, "--workers", "2", "--io-threads", "2", "--quiet"];
  await withServer(args, async (server, lines) => {
    // Worker 1 ended while worker 2 still loaded: the server was "starting" then.
    assert.ok(lines.some((l) => /^Worker 1: crashed/.test(l)), lines.join("\n"));
    await waitFor(() => server.pool.workers[0].state === "ready", {
      timeoutMs: 10_000,
      what: "worker 1's replacement to be ready",
    });
    // Both workers serve, over connections both I/O threads accepted.
    const answers = await Promise.all(Array.from({ length: 20 }, async () => {
      const conn = await connect(server.addr.port);
      try {
        await writeAll(conn, CLOSE_GET);
        return (await readResponses(conn, { timeoutMs: 5000 }))[0]?.status;
      } finally {
        conn.close();
      }
    }));
    assert.deepEqual(answers, Array(20).fill(200));
  });
});

const WS_APP = new URL("../fixtures/ws_app.ts", import.meta.url).pathname;
const UPGRADE = "GET /echo HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/**
 * One hostile client: connects, sends `bytes` (if any), and after `afterMs` resets the
 * connection (RST), or half-closes it; resolves once the socket is gone.
 */
function hostileClient(
  port: number,
  how: { bytes: string | null; afterMs: number; end: "reset" | "half-close" },
): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => resolve());
    socket.on("close", () => resolve());
    socket.on("connect", () => {
      if (how.bytes !== null) socket.write(how.bytes);
      if (how.end === "half-close") return void socket.end();
      setTimeout(() => socket.resetAndDestroy(), how.afterMs);
    });
  });
}

/** The n-th hostile client's way of leaving: at once, mid-head, mid-request, right after a 101. */
function hostility(n: number): Parameters<typeof hostileClient>[1] {
  switch (n % 5) {
    case 0:
      return { bytes: null, afterMs: 0, end: "reset" };
    case 1:
      return { bytes: "GET / HTTP/1.1\r\nHo", afterMs: 2, end: "reset" };
    case 2:
      return { bytes: "GET / HTTP/1.1\r\nHost: t\r\n\r\n", afterMs: 0, end: "reset" };
    case 3:
      return { bytes: UPGRADE, afterMs: 10, end: "reset" };
    default:
      return { bytes: "GET / HTTP/1.1\r\n", afterMs: 0, end: "half-close" };
  }
}

/** Opens `n` connections at once and sends each a keep-alive GET; their statuses, or "closed". */
async function concurrentGets(port: number, n: number): Promise<(number | "closed")[]> {
  const conns = await Promise.all(Array.from({ length: n }, () => connect(port)));
  try {
    return await Promise.all(conns.map(async (conn) => {
      await writeAll(conn, KEEP_ALIVE_GET).catch(() => {});
      const responses = await readResponses(conn, { responses: 1, timeoutMs: 5000 });
      return responses[0]?.status ?? "closed";
    }));
  } finally {
    for (const conn of conns) conn.close();
  }
}

Deno.test({
  name:
    "--io-threads 2: 2,000 clients resetting at accept, mid-head, mid-request and after a 101 leave every count and descriptor as they found it",
  ignore: NO_PROC,
  fn: async () => {
    const server = await TestServer.start([
      "--app",
      WS_APP,
      "--workers",
      "2",
      "--io-threads",
      "2",
      "--max-connections",
      "50",
      "--max-websockets",
      "5",
      "--quiet",
    ]);
    try {
      assert.deepEqual(await concurrentGets(server.port, 1), [200]);
      const baseline = await settledFds(server.pid, { timeoutMs: 3000 });
      let next = 0;
      const lane = async () => {
        while (next < 2000) await hostileClient(server.port, hostility(next++));
      };
      await Promise.all(Array.from({ length: 20 }, lane));
      const after = await settledFds(server.pid, { timeoutMs: 5000, atMost: baseline });
      assert.ok(after <= baseline, `${after} descriptors open after the churn, ${baseline} before`);
      // Every count came back: 50 connections at once are served, the 51st is closed...
      const statuses = await concurrentGets(server.port, 51);
      assert.equal(statuses.filter((status) => status === 200).length, 50, statuses.join(" "));
      // ...and 5 WebSockets open, the 6th is refused.
      const sockets = [];
      for (let i = 0; i < 6; i++) sockets.push(await openRaw(server.port, "/echo"));
      for (const socket of sockets) socket.conn.close();
      assert.deepEqual(
        sockets.map((socket) => socket.status.split(" ")[1]),
        ["101", "101", "101", "101", "101", "503"],
      );
    } finally {
      await server.stop();
    }
  },
});

/** A TLS client that resets its connection `afterMs` into (or after) its handshake. */
function tlsResetter(port: number, afterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => resolve());
    socket.on("close", () => resolve());
    tls.connect({ socket, rejectUnauthorized: false }).on("error", () => {});
    setTimeout(() => socket.resetAndDestroy(), afterMs);
  });
}

Deno.test({
  name:
    "--io-threads 2 over TLS: 1,000 clients resetting during or right after their handshake leave every count and descriptor as they found it",
  ignore: NO_PROC,
  fn: async () => {
    const args = ["--io-threads", "2", "--max-connections", "50", "--quiet"];
    await withTlsServer(args, async (server, _client, ca) => {
      const open = () =>
        Deno.connectTls({ hostname: "127.0.0.1", port: server.port, caCerts: [ca] });
      const served = async (n: number) => {
        const conns = await Promise.all(Array.from({ length: n }, open));
        try {
          return await Promise.all(conns.map(async (conn) => {
            await writeAll(conn, KEEP_ALIVE_GET).catch(() => {});
            const responses = await readResponses(conn, { responses: 1, timeoutMs: 5000 })
              .catch(() => []);
            return responses[0]?.status ?? "closed";
          }));
        } finally {
          for (const conn of conns) conn.close();
        }
      };
      assert.deepEqual(await served(1), [200]);
      const baseline = await settledFds(server.pid, { timeoutMs: 3000 });
      let next = 0;
      const lane = async () => {
        while (next < 1000) await tlsResetter(server.port, next++ % 20);
      };
      await Promise.all(Array.from({ length: 20 }, lane));
      // A closing session waits up to 1 s for its close_notify to go out.
      const after = await settledFds(server.pid, { timeoutMs: 5000, atMost: baseline });
      assert.ok(after <= baseline, `${after} descriptors open after the churn, ${baseline} before`);
      const statuses = await served(51);
      assert.equal(statuses.filter((status) => status === 200).length, 50, statuses.join(" "));
    });
  },
});

const SLOW_APP = new URL("../../examples/slow.ts", import.meta.url).pathname;

/** Sends a GET on a fresh connection; its status once answered, or "closed". */
async function get(port: number, path: string): Promise<number | "closed"> {
  const conn = await connect(port);
  try {
    const request = `GET ${path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`;
    await writeAll(conn, new TextEncoder().encode(request));
    return (await readResponses(conn, { timeoutMs: 15_000 }))[0]?.status ?? "closed";
  } finally {
    conn.close();
  }
}

Deno.test("--queue with 2 I/O threads: clients that reset while queued give their place back, and --queue requests wait on both threads together", async () => {
  const args = ["--app", SLOW_APP, "--workers", "2", "--io-threads", "2", "--queue", "10"];
  await withServer([...args, "--quiet"], async (server) => {
    const port = server.addr.port;
    // Both workers burn the CPU: no progress, so past --stall-timeout every request queues. One
    // after the other: two threads picking at once may both pick the same idle worker.
    const boards = server.pool.workers.map((worker) => worker.board);
    const burns = [get(port, "/burn?ms=3000")];
    await waitFor(() => boards.some((b) => b.inFlight > 0), {
      timeoutMs: 2000,
      what: "a worker to hold the first burn",
    });
    burns.push(get(port, "/burn?ms=3000"));
    await waitFor(() => boards.every((b) => b.inFlight > 0 && Date.now() - b.lastProgress > 100), {
      timeoutMs: 2000,
      what: "both workers to be stalled",
    });
    // 300 clients queue a request and reset (at most 1 s of them).
    const churnUntil = Date.now() + 1000;
    for (let round = 0; round < 30 && Date.now() < churnUntil; round++) {
      const how = { bytes: "GET / HTTP/1.1\r\nHost: t\r\n\r\n", afterMs: 5, end: "reset" } as const;
      await Promise.all(Array.from({ length: 10 }, () => hostileClient(port, how)));
    }
    // The I/O threads saw every reset (on 2 busy CPUs that can take a moment): only the burns'
    // connections are left, and no place in the queue is still taken.
    await waitFor(() => server.connectionCount === 2, {
      timeoutMs: 5000,
      get what() {
        return `the resets to be seen (${server.connectionCount} connections open)`;
      },
    });
    // Their places came back: 10 wait (on both threads) and are served once a worker frees up.
    const statuses = await Promise.all(Array.from({ length: 15 }, () => get(port, "/")));
    assert.deepEqual(await Promise.all(burns), [200, 200]);
    assert.deepEqual(statuses.filter((s) => s === 200).length, 10, statuses.join(" "));
    assert.deepEqual(statuses.filter((s) => s === 503).length, 5, statuses.join(" "));
  });
});

Deno.test("SIGTERM with 2 I/O threads under load: in-flight requests on both threads finish, exit 0, the port is free at once", async () => {
  const server = await TestServer.start([
    "--app",
    SLOW_APP,
    "--workers",
    "2",
    "--io-threads",
    "2",
    "--grace",
    "10",
    "--quiet",
  ]);
  const port = server.port;
  // 20 requests in flight over both threads, and new connections coming all along.
  const inFlight = Array.from({ length: 20 }, () => get(port, "/sleep?ms=1000"));
  let loading = true;
  const load = (async () => {
    for (let i = 0; loading && i < 2000; i++) await get(port, "/").catch(() => "refused");
  })();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const status = await server.stop();
  loading = false;
  await load;
  assert.equal(status.code, 0, server.lines.join("\n"));
  assert.deepEqual(await Promise.all(inFlight), Array(20).fill(200));
  assert.ok(server.lines.includes("Server: stopped"), server.lines.join("\n"));
  // Nothing holds the port: a new listener binds it at once.
  Deno.listen({ hostname: "127.0.0.1", port }).close();
});

// The crash prints the worker's stack trace: the test runs in a child process (quietTest).
quietTest(
  import.meta,
  "a worker lost with requests from both I/O threads in hand: each gets its 502 (crash) or 503 (watchdog), and the replacement serves both threads",
  async () => {
    const args = [
      "--app",
      SLOW_APP,
      "--workers",
      "1",
      "--io-threads",
      "2",
      "--request-timeout",
      "1",
    ];
    await withServer([...args, "--quiet"], async (server, lines) => {
      const port = server.addr.port;
      const worker = () => server.pool.workers[0];
      const inHand = (n: number) =>
        waitFor(() => worker().state === "ready" && worker().board.inFlight >= n, {
          timeoutMs: 5000,
          what: `the worker to hold ${n} requests`,
        });
      // Connections are spread over both threads; each thread's requests are in the worker's hand.
      const crashed = Array.from({ length: 10 }, () => get(port, "/sleep?ms=10000"));
      await inHand(10);
      sendUnknownRecord(server, worker());
      assert.deepEqual(await Promise.all(crashed), Array(10).fill(502));
      await waitFor(() => lines.some((l) => /^Worker 1: restarted/.test(l)), {
        timeoutMs: 10_000,
        what: "the replacement after the crash",
      });
      const stuck = Array.from({ length: 10 }, () => get(port, "/sleep?ms=10000"));
      await inHand(10);
      const burning = get(port, "/burn?ms=10000");
      assert.deepEqual(await Promise.all([...stuck, burning]), Array(11).fill(503));
      assert.ok(lines.some((l) => /^Worker 1: terminated after 1 s/.test(l)), lines.join("\n"));
      // The replacement serves requests from both threads.
      await waitFor(() => worker().state === "ready", {
        timeoutMs: 10_000,
        what: "the replacement",
      });
      const served = await Promise.all(Array.from({ length: 10 }, () => get(port, "/")));
      assert.deepEqual(served, Array(10).fill(200));
    });
  },
);
