/**
 * Connection against a fake transport whose reads and writes finish when the test says: its
 * transitions (all through its own table), which event each state makes of bytes and of the
 * client's end, and which timer it stores and what its tick does when one expires.
 */
import assert from "node:assert/strict";
import { Connection, type ConnectionEvents } from "../../lib/io/connection.ts";
import type { Transport } from "../../lib/io/tls.ts";
import { ManualClock, nextTurn } from "../_helpers/wait.ts";

const TIMEOUTS = {
  headerTimeoutMs: 1000,
  keepaliveTimeoutMs: 5000,
  bodyTimeoutMs: 1000,
  sendTimeoutMs: 3000,
};

const HEAD = new TextEncoder().encode("GET / HTTP/1.1\r\nhost: a\r\n\r\n");

/** Lets the connection's promise callbacks run. */
const settle = nextTurn;

/**
 * A socket whose reads wait for `feed()` (null: the client's end) and whose writes wait until
 * `release()`, events that record what was reported, and a clock the test moves.
 */
function fakeConnection() {
  const clock = new ManualClock();
  const pending: (() => void)[] = [];
  const reads: ((bytes: Uint8Array | null) => void)[] = [];
  const reported: string[] = [];
  let closed = false;
  const transport: Transport = {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1234 },
    read: (buffer) =>
      new Promise<number | null>((resolve) =>
        reads.push((bytes) => {
          if (bytes !== null) buffer.set(bytes);
          resolve(bytes === null ? null : bytes.byteLength);
        })
      ),
    write: (bytes) => new Promise((resolve) => pending.push(() => resolve(bytes.byteLength))),
    close: () => void (closed = true),
  };
  const record = (name: string) => () => void reported.push(name);
  const events: ConnectionEvents = {
    onHeadBytes: record("head"),
    onBodyBytes: record("body"),
    onTunnelBytes: record("tunnel"),
    onRequestEnd: record("request end"),
    onTunnelEnd: record("tunnel end"),
    onHeldWritable: record("held writable"),
    onClosed: record("closed"),
    onFault: (_c, error) => reported.push(`fault ${error}`),
  };
  const connection = new Connection(transport, {
    id: 1,
    timeouts: TIMEOUTS,
    events,
    now: clock.now,
  });
  connection.readLoop(1 << 20);
  const release = async () => {
    while (pending.length > 0) pending.shift()!();
    await settle();
  };
  const feed = async (bytes: Uint8Array | null) => {
    await settle();
    reads.shift()!(bytes);
    await settle();
  };
  return { connection, clock, reported, release, feed, isClosed: () => closed };
}

/** Walks a fresh connection to `active`, as the relay does for a request. */
async function activate(fake: ReturnType<typeof fakeConnection>): Promise<void> {
  await fake.feed(HEAD);
  assert.ok(fake.connection.findHead(8192));
  assert.deepEqual(fake.connection.activate(), HEAD);
}

Deno.test("Connection.finish() starts the keep-alive timer only once the response has drained", async () => {
  const fake = fakeConnection();
  const { connection, clock, reported, release } = fake;
  await activate(fake);
  connection.write(new Uint8Array(1000));
  connection.finish({ pending: false });
  assert.equal(connection.state, "idle");
  assert.equal(connection.timer, "none", "no keep-alive timer while the response is queued");
  assert.equal(connection.queuedBytes, 1000);
  clock.advance(60_000); // a slow reader: longer than the keep-alive timeout
  await release();
  assert.equal(connection.queuedBytes, 0);
  assert.equal(connection.timer, "keepalive");
  assert.equal(connection.deadline, clock.now() + 5000, "keep-alive runs from the drain");
  assert.deepEqual(reported, ["head"]);
});

Deno.test("Connection.finish() with nothing queued starts the keep-alive timer at once", async () => {
  const fake = fakeConnection();
  await activate(fake);
  fake.clock.advance(300);
  fake.connection.finish({ pending: false });
  assert.equal(fake.connection.timer, "keepalive");
  assert.equal(fake.connection.deadline, fake.clock.now() + 5000);
});

Deno.test("Connection.closeAfterWrites() writes what is queued, then closes", async () => {
  const fake = fakeConnection();
  const { connection, reported, release, isClosed } = fake;
  await activate(fake);
  connection.write(new Uint8Array(10));
  connection.finish({ pending: false });
  connection.closeAfterWrites();
  connection.closeAfterWrites();
  assert.equal(connection.state, "closing");
  assert.equal(isClosed(), false, "the response is still going out");
  await release();
  assert.equal(connection.state, "closed");
  assert.ok(isClosed());
  assert.deepEqual(reported, ["head", "closed"]);
});

Deno.test("Connection refuses a move its table does not allow, naming both states", async () => {
  const fake = fakeConnection();
  assert.throws(() => fake.connection.finish({ pending: false }), /"idle" to "idle"/);
  await activate(fake);
  fake.connection.closeAfterWrites();
  assert.throws(() => fake.connection.tunnel(), /"closed" to "tunnel"/);
});

Deno.test("Connection.writeStalledSince() tells how long queued bytes have waited", async () => {
  const { connection, clock, release } = fakeConnection();
  assert.equal(connection.writeStalledSince, 0);
  const queuedAt = clock.now();
  connection.write(new Uint8Array(10));
  clock.advance(2_000);
  connection.write(new Uint8Array(10));
  assert.equal(connection.writeStalledSince, queuedAt, "from the first byte that waits");
  await release(); // the first write; the second goes out after it
  assert.equal(connection.writeStalledSince, clock.now(), "progress restarts the wait");
  await release();
  assert.equal(connection.writeStalledSince, 0);
});

Deno.test("Connection's first head keeps the header timer that began at accept; the next gets its own", async () => {
  const fake = fakeConnection();
  const { connection, clock } = fake;
  const fromAccept = connection.deadline;
  assert.equal(fromAccept, clock.now() + 1000);
  clock.advance(900);
  await fake.feed(HEAD.subarray(0, 5));
  assert.equal(connection.timer, "header");
  assert.equal(connection.deadline, fromAccept, "a late first byte buys no new header timeout");
  await fake.feed(HEAD.subarray(5));
  assert.ok(connection.findHead(8192));
  connection.activate();
  connection.finish({ pending: false });
  clock.advance(4_000);
  await fake.feed(HEAD);
  assert.equal(connection.deadline, clock.now() + 1000, "the next request's head gets its own");
});

Deno.test("Connection tells the server of bytes by its state: a head, a body, a tunnel, or nothing while held", async () => {
  const fake = fakeConnection();
  const { connection, reported, feed } = fake;
  await activate(fake);
  await feed(new Uint8Array([1, 2]));
  connection.finish({ pending: true });
  assert.ok(connection.findHead(8192) === false);
  await feed(HEAD);
  assert.ok(connection.findHead(8192));
  connection.hold();
  await feed(new Uint8Array([3]));
  assert.deepEqual(reported, ["head", "body", "head"], "nothing is told while a head is held");
  connection.activate();
  connection.tunnel();
  await feed(new Uint8Array([4]));
  assert.deepEqual(reported.at(-1), "tunnel");
});

Deno.test("Connection closes itself at the client's end with no request in hand; with one, it tells the server", async () => {
  const idle = fakeConnection();
  await idle.feed(null);
  assert.equal(idle.connection.state, "closed");
  assert.deepEqual(idle.reported, ["closed"]);
  const active = fakeConnection();
  await activate(active);
  await active.feed(null);
  assert.equal(active.connection.state, "active");
  assert.ok(active.connection.ended);
  assert.deepEqual(active.reported, ["head", "request end"]);
});

Deno.test("Connection.drain() closes a connection with no request in hand, and leaves an active one", async () => {
  const idle = fakeConnection();
  idle.connection.drain();
  assert.equal(idle.connection.state, "closed");
  const active = fakeConnection();
  await activate(active);
  active.connection.drain();
  assert.equal(active.connection.state, "active");
});

Deno.test("Connection.tick() closes a new connection that sent nothing, and answers a started head's expiry with header", async () => {
  const silent = fakeConnection();
  const late = silent.connection.deadline + 1;
  assert.equal(silent.connection.tick(late - 2), null);
  assert.equal(silent.connection.tick(late), "idle");
  assert.equal(silent.connection.state, "closed");
  const slow = fakeConnection();
  await slow.feed(HEAD.subarray(0, 5));
  assert.equal(slow.connection.tick(slow.connection.deadline + 1), "header");
  assert.equal(slow.connection.state, "reading", "the server answers 408; the connection waits");
  assert.equal(slow.connection.timer, "none", "an expiry is told once");
});

Deno.test("Connection.tick() closes a keep-alive connection past its timer, and one whose client takes no bytes", async () => {
  const fake = fakeConnection();
  await activate(fake);
  fake.connection.finish({ pending: false });
  assert.equal(fake.connection.tick(fake.connection.deadline + 1), "idle");
  assert.equal(fake.connection.state, "closed");
  const stuck = fakeConnection();
  await activate(stuck);
  stuck.connection.write(new Uint8Array(10));
  const since = stuck.connection.writeStalledSince;
  assert.equal(stuck.connection.tick(since + TIMEOUTS.sendTimeoutMs), null);
  assert.equal(stuck.connection.tick(since + TIMEOUTS.sendTimeoutMs + 1), "send");
  assert.equal(stuck.connection.state, "closed");
});

Deno.test("Connection stores the body and frame timers it runs, and stops them when bytes come", async () => {
  const fake = fakeConnection();
  const { connection } = fake;
  await activate(fake);
  connection.awaitBody();
  assert.equal(connection.timer, "body");
  connection.bodyArrived();
  assert.equal(connection.timer, "none");
  connection.tunnel();
  connection.awaitFrame(true);
  assert.equal(connection.timer, "frame");
  assert.equal(connection.tick(connection.deadline + 1), "frame");
  connection.awaitFrame(false);
  assert.equal(connection.deadline, 0);
});
