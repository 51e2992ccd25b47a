/**
 * IoLoop alone, without the supervisor: it accepts, queues and refuses with only the `Workers`
 * seam behind it (here a pool whose workers never free up), and the supervisor's drain and close
 * reach connections only through it.
 */
import assert from "node:assert/strict";
import { IoLoop } from "../../lib/io/loop.ts";
import { SharedCounts } from "../../lib/wire/counts.ts";
import type { ListenMode } from "../../lib/wire/io_messages.ts";
import type { Workers } from "../../lib/io/workers.ts";
import { parseConfig } from "../../lib/config/parse.ts";
import type { ServerConfig } from "../../lib/config/settings.ts";
import { connect, readResponses, writeAll } from "../_helpers/http.ts";
import { waitFor } from "../_helpers/wait.ts";

const HEAD = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: t\r\n\r\n");

/** Workers that never take a request (every complete head waits in the queue); counts picks. */
function busyWorkers(): Workers & { picks: number } {
  return {
    picks: 0,
    pick() {
      this.picks++;
      return null;
    },
    claim: () => {},
    release: () => {},
    openTunnel: () => {},
    closeTunnel: () => {},
  };
}

function config(): ServerConfig {
  const args = ["--port", "0", "--queue", "1"];
  const result = parseConfig({ args, env: () => undefined });
  if (result.kind !== "run") throw new Error(`bad test config: ${JSON.stringify(result)}`);
  return result.config as ServerConfig;
}

Deno.test("IoLoop queues up to --queue heads while no worker is free, refuses the next with 503, and close() ends the rest", async () => {
  const lines: string[] = [];
  const workers = busyWorkers();
  const io = new IoLoop(workers, { config: config(), log: (line) => lines.push(line) });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  io.start(listener, null);
  const [first, second] = [await connect(listener.addr.port), await connect(listener.addr.port)];
  try {
    await writeAll(first, HEAD);
    // Picked for (none free) and queued before the second head comes.
    await waitFor(() => workers.picks > 0, { timeoutMs: 5_000, what: "the first head queued" });
    await writeAll(second, HEAD);
    const [refused] = await readResponses(second, { responses: 1, timeoutMs: 5_000 });
    assert.equal(refused.status, 503);
    assert.deepEqual(lines, ["Server: 503 to 127.0.0.1 (connection 2)"]);
    assert.equal(io.drain(), 1, "the queued request keeps its connection through the drain");
    io.close();
    assert.equal(io.connectionCount, 0);
    assert.deepEqual(await readResponses(first, { timeoutMs: 5_000 }), []);
  } finally {
    first.close();
    second.close();
    io.close();
  }
});

/** Server-wide counts that say how often a thread asked whether it holds more than the others. */
class WatchedCounts extends SharedCounts {
  looks = 0;
  override holdsMore(thread: number, threads: number, slack: number): boolean {
    this.looks++;
    return super.holdsMore(thread, threads, slack);
  }
}

/** Counts by which thread 1 of 2 holds 3 connections and thread 2 none: past the slack of 2. */
/** Thread 1 of 2, holding 3 connections to thread 2's none (on a shared socket: held back). */
function threadHoldingMore(
  mode: ListenMode,
): { counts: WatchedCounts; io: IoLoop; listener: Deno.TcpListener } {
  const counts = new WatchedCounts();
  for (let i = 0; i < 3; i++) counts.countOn(1, 1);
  const io = new IoLoop(busyWorkers(), {
    config: config(),
    log: () => {},
    counts,
    thread: { index: 1, count: 2, mode },
  });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  io.start(listener, null);
  return { counts, io, listener };
}

Deno.test("IoLoop held back on a shared socket looks again less and less often, and accepts once the others caught up", async () => {
  const { counts, io, listener } = threadHoldingMore("shared");
  let conn: Deno.TcpConn | null = null;
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Every 2 ms, it looked 500 times a second (5% of a core on an idle server); backing off
    // to 250 ms, about 10 times.
    assert.ok(counts.looks <= 25, `${counts.looks} looks in 1 s while held back`);
    counts.countOn(2, 1);
    conn = await connect(listener.addr.port);
    await waitFor(() => io.connectionCount === 1, {
      timeoutMs: 2000,
      what: "the thread to accept once the other holds 1 of its 3",
    });
  } finally {
    conn?.close();
    io.close();
  }
});

Deno.test("IoLoop held back looks again at once when the gate bell rings, not at its next look", async () => {
  const { counts, io, listener } = threadHoldingMore("shared");
  let conn: Deno.TcpConn | null = null;
  try {
    // Held back 1.1 s, it looks every 250 ms: its next look is some 150 ms away.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    conn = await connect(listener.addr.port);
    // The other thread catches up, and held back in turn, rings the bell.
    const rungAt = performance.now();
    counts.countOn(2, 1);
    counts.ringGate();
    await waitFor(() => io.connectionCount === 1, {
      timeoutMs: 2000,
      what: "the thread to accept",
      pollMs: 5,
    });
    const tookMs = performance.now() - rungAt;
    assert.ok(tookMs < 120, `accepted ${tookMs.toFixed(0)} ms after the bell`);
  } finally {
    conn?.close();
    io.close();
  }
});

Deno.test("IoLoop on a socket of its own (--reuse-port) accepts however many more it holds", async () => {
  const { io, listener } = threadHoldingMore("reuse-port");
  const conn = await connect(listener.addr.port);
  try {
    // The kernel queued this connection on this thread's socket: no other thread can take it.
    await waitFor(() => io.connectionCount === 1, {
      timeoutMs: 2000,
      what: "the connection the kernel gave this thread to be accepted",
    });
  } finally {
    conn.close();
    io.close();
  }
});

/**
 * A listener whose first accepted socket cannot say where it is from (its `remoteAddr` throws),
 * as a bug in wrapping a new connection would throw; the others are the real sockets.
 */
function firstUnaddressed(real: Deno.Listener): Deno.Listener {
  let first = true;
  return {
    addr: real.addr,
    close: () => real.close(),
    async accept() {
      const conn = await real.accept();
      if (!first) return conn;
      first = false;
      return {
        get remoteAddr(): Deno.Addr {
          throw new Error("no address for this socket");
        },
        read: (buffer: Uint8Array) => conn.read(buffer),
        write: (bytes: Uint8Array) => conn.write(bytes),
        close: () => conn.close(),
      } as unknown as Deno.Conn;
    },
  } as unknown as Deno.Listener;
}

Deno.test("IoLoop gives back the count of a connection it could not wrap, says so, and goes on accepting", async () => {
  const lines: string[] = [];
  const counts = new SharedCounts();
  const io = new IoLoop(busyWorkers(), {
    config: config(),
    log: (line) => lines.push(line),
    counts,
  });
  const real = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  io.start(firstUnaddressed(real), null);
  const [first, second] = [await connect(real.addr.port), await connect(real.addr.port)];
  try {
    // The first is closed at once; the second is served (here: queued, no worker being free).
    assert.deepEqual(await readResponses(first, { timeoutMs: 5_000 }), []);
    await writeAll(second, HEAD);
    await waitFor(() => io.connectionCount === 1 && counts.count("queued") === 1, {
      timeoutMs: 5_000,
      what: "the second connection to be accepted and its head queued",
    });
    assert.equal(counts.count("connections"), 1, "the first connection's count came back");
    assert.match(lines.join("\n"), /internal error on a new connection.*no address/);
  } finally {
    first.close();
    second.close();
    io.close();
  }
});
