/**
 * A client that leaves a streamed response (server-sent events) is noticed at once, whether the
 * app's stream is writing or idle, and whether the client closes or only half-closes: the app's
 * stream is cancelled, `info.completed` settles, the access log says 499 and the socket is gone
 * (no CLOSE-WAIT). A client that half-closes after its request still gets a whole response.
 */
import assert from "node:assert/strict";
import { TestServer } from "../_helpers/server.ts";
import { connect, readResponses, writeAll } from "../_helpers/http.ts";

const APP = new URL("../fixtures/events_app.ts", import.meta.url).pathname;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** The bound the issue names: `deno serve` ends all of these within a second. */
const NOTICED_WITHIN_MS = 1000;

async function withEventsServer(fn: (server: TestServer) => Promise<void>): Promise<void> {
  const args = ["--app", APP, "--workers", "1", "--log-format", "common"];
  const server = await TestServer.start(args);
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

/** Opens an event stream and reads until its first event (at most 5 s). */
async function openEvents(port: number, target: string): Promise<Deno.TcpConn> {
  const conn = await connect(port);
  await writeAll(conn, encoder.encode(`GET ${target} HTTP/1.1\r\nHost: t\r\n\r\n`));
  const buffer = new Uint8Array(4096);
  let text = "";
  const deadline = Date.now() + 5000;
  while (!text.includes("data: hello") && Date.now() < deadline) {
    const n = await conn.read(buffer);
    assert.ok(n !== null, `the server closed the event stream early: ${text}`);
    text += decoder.decode(buffer.subarray(0, n));
  }
  assert.match(text, /^HTTP\/1.1 200 OK\r\n[^]*data: hello/);
  return conn;
}

/**
 * The server's end of a connection from `clientPort`, as /proc lists it: its state in hex
 * ("01" established, "08" CLOSE-WAIT, ...), or null once it is gone; undefined without /proc.
 */
async function serverSocketState(
  server: TestServer,
  clientPort: number,
): Promise<string | null | undefined> {
  let table: string;
  try {
    table = await Deno.readTextFile(`/proc/${server.pid}/net/tcp`);
  } catch {
    return undefined;
  }
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, "0");
  for (const line of table.split("\n").slice(1)) {
    const [, local, remote, state] = line.trim().split(/\s+/);
    if (local?.endsWith(`:${hex(server.port)}`) && remote?.endsWith(`:${hex(clientPort)}`)) {
      return state;
    }
  }
  return null;
}

/** ESTABLISHED and CLOSE-WAIT in /proc/net/tcp: the socket is still the server's to close. */
const OPEN_STATES = new Set(["01", "08"]);

/** Polls until `done` holds or the deadline passes; returns whether it held. */
async function until(deadline: number, done: () => Promise<boolean>): Promise<boolean> {
  for (;;) {
    if (await done()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function stats(server: TestServer): Promise<{ cancelled: number; completed: number }> {
  return await (await fetch(`${server.url}/stats`)).json();
}

/** Leaves an event stream and checks, within the bound, everything that must follow. */
async function leaveAndCheck(
  server: TestServer,
  options: {
    target: string;
    leave: (conn: Deno.TcpConn) => Promise<void>;
    count: number;
    /** Read nothing for long enough that the server's writes stall before leaving. */
    stall?: boolean;
  },
): Promise<void> {
  const conn = await openEvents(server.port, options.target);
  // 25 MiB a second offered, more than the socket buffers of a loopback connection hold.
  if (options.stall) await new Promise((resolve) => setTimeout(resolve, 1500));
  const clientPort = conn.localAddr.port;
  const leftAt = Date.now();
  await options.leave(conn);
  const deadline = leftAt + NOTICED_WITHIN_MS;
  const { count } = options;
  const line = new RegExp(`"GET ${options.target.replace("?", "\\?")} HTTP/1.1" 499 `);
  const counted = () => server.lines.filter((l) => line.test(l)).length >= count;
  assert.ok(await until(deadline, () => Promise.resolve(counted())), "an access line with 499");
  const ended = async () => {
    const { cancelled, completed } = await stats(server);
    return cancelled >= count && completed >= count;
  };
  assert.ok(
    await until(deadline, ended),
    `cancel() ran, completed settled: ${JSON.stringify(await stats(server))}`,
  );
  if ((await serverSocketState(server, clientPort)) === undefined) {
    console.log("skipped the socket check: /proc/PID/net/tcp is not available here");
    return;
  }
  // Closed by the server: gone, or left to the kernel to finish (LAST-ACK, FIN-WAIT: a client
  // that does not read still has bytes in flight); never ESTABLISHED or CLOSE-WAIT.
  const closed = async () => !OPEN_STATES.has((await serverSocketState(server, clientPort))!);
  assert.ok(
    await until(deadline, closed),
    `the server's socket is still open, state ${await serverSocketState(server, clientPort)}`,
  );
}

/** The client closes its socket for good. */
function close(conn: Deno.TcpConn): Promise<void> {
  conn.close();
  return Promise.resolve();
}

/** The client half-closes, reads what is left until the server closes (at most 5 s), then closes. */
async function halfClose(conn: Deno.TcpConn): Promise<void> {
  await conn.closeWrite();
  const buffer = new Uint8Array(4096);
  const deadline = Date.now() + 5000;
  try {
    while (Date.now() < deadline && (await conn.read(buffer)) !== null);
  } finally {
    conn.close();
  }
}

Deno.test("a client that leaves a ticking event stream ends it within 1 s: cancel, completed, 499, socket gone", async () => {
  await withEventsServer(async (server) => {
    await leaveAndCheck(server, { target: "/events", leave: close, count: 1 });
    await leaveAndCheck(server, { target: "/events", leave: halfClose, count: 2 });
  });
});

Deno.test("a client that leaves an idle event stream (no write pending) ends it within 1 s", async () => {
  await withEventsServer(async (server) => {
    await leaveAndCheck(server, { target: "/events?idle", leave: close, count: 1 });
    await leaveAndCheck(server, { target: "/events?idle", leave: halfClose, count: 2 });
  });
});

/** The client half-closes and stays, reading nothing. */
async function halfCloseAndStay(conn: Deno.TcpConn): Promise<void> {
  await conn.closeWrite();
  openConns.push(conn);
}

/** Connections a test leaves open on purpose, closed at its end. */
const openConns: Deno.TcpConn[] = [];

Deno.test("a client that half-closes while a write to it is pending ends the stream within 1 s", async () => {
  await withEventsServer(async (server) => {
    try {
      await leaveAndCheck(server, {
        target: "/events?big",
        leave: halfCloseAndStay,
        count: 1,
        stall: true,
      });
    } finally {
      for (const conn of openConns.splice(0)) conn.close();
    }
  });
});

Deno.test("a pipelined event stream dispatched after the client half-closed is not started", async () => {
  await withEventsServer(async (server) => {
    const conn = await connect(server.port);
    const requests =
      "GET / HTTP/1.1\r\nHost: t\r\n\r\nGET /events?idle HTTP/1.1\r\nHost: t\r\n\r\n";
    await writeAll(conn, encoder.encode(requests));
    await conn.closeWrite();
    const started = Date.now();
    try {
      // Read to the server's close; an event stream that started would keep it open.
      const responses = await readResponses(conn, { timeoutMs: 5000 });
      assert.deepEqual(responses.map((r) => r.status), [200]);
      assert.ok(
        Date.now() - started < NOTICED_WITHIN_MS,
        `closed after ${Date.now() - started} ms`,
      );
    } finally {
      conn.close();
    }
    await server.waitForLine(/"GET \/events\?idle HTTP\/1.1" 499 /, NOTICED_WITHIN_MS);
  });
});

Deno.test("a client that half-closes after its request still gets a whole response", async () => {
  await withEventsServer(async (server) => {
    // As `printf 'GET / HTTP/1.1\r\nHost: t\r\n\r\n' | nc -q 5 host port` does.
    const conn = await connect(server.port);
    await writeAll(conn, encoder.encode("GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
    await conn.closeWrite();
    try {
      const [response] = await readResponses(conn, { timeoutMs: 5000 });
      assert.equal(response.status, 200);
      assert.equal(decoder.decode(response.body), "ok\n");
    } finally {
      conn.close();
    }
  });
});
