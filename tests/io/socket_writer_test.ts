/** SocketWriter against a fake socket whose writes finish when the test says. */
import assert from "node:assert/strict";
import { SocketWriter } from "../../lib/io/socket_writer.ts";
import type { Transport } from "../../lib/io/tls.ts";

function fakeWriter(options: { fail?: boolean } = {}) {
  const written: number[] = [];
  const pending: (() => void)[] = [];
  const told: string[] = [];
  const transport: Transport = {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
    read: () => new Promise<number | null>(() => {}),
    write: (bytes) =>
      new Promise((resolve, reject) =>
        pending.push(() => {
          if (options.fail) return reject(new Error("reset"));
          written.push(bytes.byteLength);
          resolve(bytes.byteLength);
        })
      ),
    close: () => {},
  };
  const writer = new SocketWriter(transport, {
    now: Date.now,
    drained: () => told.push("drained"),
    failed: () => told.push("failed"),
    run: (callback) => callback(),
  });
  const release = async () => {
    while (pending.length > 0) {
      pending.shift()!();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  };
  return { writer, written, told, release };
}

Deno.test("SocketWriter joins queued writes into one, in order, and runs each callback once its bytes are out", async () => {
  const { writer, written, told, release } = fakeWriter();
  const order: string[] = [];
  writer.write(new Uint8Array(10), () => order.push("a"));
  writer.write(new Uint8Array(20), () => order.push("b"));
  writer.write(new Uint8Array(30), () => order.push("c"));
  assert.equal(writer.queuedBytes, 60);
  assert.ok(writer.busy);
  await release();
  assert.deepEqual(
    written,
    [10, 50],
    "the first write went alone; the two queued behind it as one",
  );
  assert.deepEqual(order, ["a", "b", "c"]);
  assert.equal(writer.queuedBytes, 0);
  assert.equal(writer.stalledSince, 0);
  assert.deepEqual(told, ["drained"]);
});

Deno.test("SocketWriter.drop() writes nothing more, and a failed write is told", async () => {
  const { writer, written, release } = fakeWriter();
  writer.write(new Uint8Array(10));
  writer.write(new Uint8Array(10));
  writer.drop();
  assert.equal(writer.queuedBytes, 0);
  await release();
  assert.deepEqual(written, [10], "only the write under way finished");
  assert.equal(writer.queuedBytes, 0, "what finished after the drop is not taken off again");
  const failing = fakeWriter({ fail: true });
  failing.writer.write(new Uint8Array(5));
  await failing.release();
  assert.deepEqual(failing.told, ["failed"]);
  assert.equal(failing.writer.busy, false);
});
