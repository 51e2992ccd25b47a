/**
 * Connection against a fake transport whose writes finish when the test says: its transitions,
 * and which timer runs while a response is still on its way out.
 */
import assert from "node:assert/strict";
import { Connection, type ConnectionEvents } from "../../lib/io/connection.ts";
import type { Transport } from "../../lib/io/tls.ts";
import { ManualClock, nextTurn } from "../_helpers/wait.ts";

const TIMEOUTS = { headerTimeoutMs: 1000, keepaliveTimeoutMs: 5000, bodyTimeoutMs: 1000 };

/**
 * A socket whose writes wait until `release()`, events that record what was reported, and a
 * clock the test moves.
 */
function fakeConnection() {
  const clock = new ManualClock();
  const pending: (() => void)[] = [];
  const reported: string[] = [];
  let closed = false;
  const transport: Transport = {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1234 },
    read: () => new Promise<number | null>(() => {}),
    write: (bytes) => new Promise((resolve) => pending.push(() => resolve(bytes.byteLength))),
    close: () => void (closed = true),
  };
  const events: ConnectionEvents = {
    onBytes: () => reported.push("bytes"),
    onEnd: () => reported.push("end"),
    onWritten: () => reported.push("written"),
    onClosed: () => reported.push("closed"),
    onFault: (_c, error) => reported.push(`fault ${error}`),
  };
  const connection = new Connection(transport, {
    id: 1,
    timeouts: TIMEOUTS,
    events,
    now: clock.now,
  });
  const release = async () => {
    while (pending.length > 0) pending.shift()!();
    await nextTurn();
  };
  return { connection, clock, reported, release, isClosed: () => closed };
}

/** Walks a fresh connection to `active`, as the relay does for a request. */
function activate(connection: Connection): void {
  connection.beginHead();
  connection.activate({ stream: 1, worker: null as never });
}

Deno.test("Connection.finish() starts the keep-alive timer only once the response has drained", async () => {
  const { connection, clock, reported, release } = fakeConnection();
  activate(connection);
  connection.write(new Uint8Array(1000));
  connection.finish({ pending: false });
  assert.equal(connection.state, "idle");
  assert.equal(connection.deadline, 0, "no keep-alive timer while the response is queued");
  assert.equal(connection.queuedBytes, 1000);
  clock.advance(60_000); // a slow reader: longer than the keep-alive timeout
  await release();
  assert.equal(connection.queuedBytes, 0);
  assert.equal(connection.deadline, clock.now() + 5000, "keep-alive runs from the drain");
  assert.deepEqual(reported, ["written"]);
});

Deno.test("Connection.finish() with nothing queued starts the keep-alive timer at once", () => {
  const { connection, clock } = fakeConnection();
  activate(connection);
  clock.advance(300);
  connection.finish({ pending: false });
  assert.equal(connection.deadline, clock.now() + 5000);
});

Deno.test("Connection.closeAfterWrites() writes what is queued, then closes", async () => {
  const { connection, reported, release, isClosed } = fakeConnection();
  activate(connection);
  connection.write(new Uint8Array(10));
  connection.finish({ pending: false });
  connection.closeAfterWrites();
  assert.equal(connection.state, "closing");
  assert.equal(isClosed(), false, "the response is still going out");
  await release();
  assert.equal(connection.state, "closed");
  assert.ok(isClosed());
  assert.deepEqual(reported, ["closed"]);
});

Deno.test("Connection refuses a move its table does not allow, naming both states", () => {
  const { connection } = fakeConnection();
  assert.throws(() => connection.finish({ pending: false }), /idle/);
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

Deno.test("Connection.beginHead() on a new connection keeps the header timer that began at accept", () => {
  const { connection, clock } = fakeConnection();
  const fromAccept = connection.deadline;
  assert.equal(fromAccept, clock.now() + 1000);
  clock.advance(900);
  connection.beginHead();
  assert.equal(connection.deadline, fromAccept, "a late first byte buys no new header timeout");
  connection.activate({ stream: 1, worker: null as never });
  connection.finish({ pending: false });
  clock.advance(4_000);
  connection.beginHead();
  assert.equal(connection.deadline, clock.now() + 1000, "the next request's head gets its own");
});
