import assert from "node:assert/strict";
import { RECORD_HEADER_BYTES, Ring, ringBytes, type RingRecord } from "../../lib/wire/ring.ts";

function makeRing(capacity = 1024): Ring {
  return new Ring(new SharedArrayBuffer(ringBytes(capacity)), { offset: 0, capacity });
}

function drainAll(
  ring: Ring,
): { kind: number; stream: number; arg: number; flags: number; text: string }[] {
  const out: { kind: number; stream: number; arg: number; flags: number; text: string }[] = [];
  ring.drain((r: RingRecord) =>
    out.push({
      kind: r.kind,
      stream: r.stream,
      arg: r.arg,
      flags: r.flags,
      text: new TextDecoder().decode(r.payload),
    })
  );
  return out;
}

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("ringBytes() rejects a capacity that is not a power of two", () => {
  assert.throws(() => ringBytes(1000), RangeError);
  assert.throws(() => ringBytes(512), RangeError);
  assert.equal(ringBytes(1024), 1024 + 64);
});

Deno.test("Ring.tryWrite() and drain() keep records and their fields in order", () => {
  const ring = makeRing();
  assert.equal(ring.hasRecords, false);
  assert.ok(
    ring.tryWrite({ kind: 1, flags: 3, stream: 7, arg: 0xffff_ffff }, bytes("he"), bytes("llo")),
  );
  assert.ok(ring.tryWrite({ kind: 2, flags: 0, stream: 0xffff_fffe, arg: 9 }));
  assert.equal(ring.hasRecords, true);
  assert.deepEqual(drainAll(ring), [
    { kind: 1, flags: 3, stream: 7, arg: 0xffff_ffff, text: "hello" },
    { kind: 2, flags: 0, stream: 0xffff_fffe, arg: 9, text: "" },
  ]);
  assert.equal(ring.hasRecords, false);
  assert.equal(ring.freeBytes, 1024);
});

Deno.test("Ring.tryWrite() returns false when full and succeeds after a drain", () => {
  const ring = makeRing();
  const payload = new Uint8Array(ring.maxPayload);
  let written = 0;
  while (ring.tryWrite({ kind: 1, flags: 0, stream: written, arg: 0 }, payload)) written++;
  assert.equal(written, 4);
  assert.equal(drainAll(ring).length, 4);
  assert.ok(ring.tryWrite({ kind: 1, flags: 0, stream: 0, arg: 0 }, payload));
});

Deno.test("Ring wraps records with padding across many laps without corruption", () => {
  const ring = makeRing(1024);
  let sent = 0;
  let received = 0;
  for (let lap = 0; lap < 2000; lap++) {
    const size = (lap * 37) % 200;
    const payload = new Uint8Array(size).fill(lap & 0xff);
    if (!ring.tryWrite({ kind: 5, flags: 0, stream: sent, arg: size }, payload)) {
      ring.drain((r) => {
        assert.equal(r.stream, received++);
        assert.equal(r.payload.byteLength, r.arg);
        assert.ok(r.payload.every((b) => b === (r.stream & 0xff)));
      });
      assert.ok(ring.tryWrite({ kind: 5, flags: 0, stream: sent, arg: size }, payload));
    }
    sent++;
  }
  ring.drain((r) => assert.equal(r.stream, received++));
  assert.equal(received, sent);
});

Deno.test("Ring.tryWrite() refuses a payload above maxPayload", () => {
  const ring = makeRing();
  assert.throws(
    () =>
      ring.tryWrite({ kind: 1, flags: 0, stream: 0, arg: 0 }, new Uint8Array(ring.maxPayload + 1)),
    RangeError,
  );
  assert.equal(ring.maxPayload, 1024 / 4 - RECORD_HEADER_BYTES);
});

Deno.test("Ring.drain() refuses a record whose length overruns what was written", () => {
  const memory = new SharedArrayBuffer(ringBytes(1024));
  const ring = new Ring(memory, { offset: 0, capacity: 1024 });
  assert.ok(ring.tryWrite({ kind: 1, flags: 0, stream: 1, arg: 0 }, bytes("hi")));
  // The peer rewrites the length in shared memory after writing.
  new DataView(memory, 64).setUint32(0, 4096, true);
  assert.throws(() => ring.drain(() => {}), /protocol violation/);
});
