/**
 * @module
 * Tests for lib/wire/protocol.ts: every message kind survives encode → a real Ring → decode, and
 * unknown record kinds are refused.
 */
import assert from "node:assert/strict";
import {
  decodeToMain,
  decodeToWorker,
  encodeToMain,
  encodeToWorker,
  type ToMain,
  type ToWorker,
} from "../../lib/wire/protocol.ts";
import { type RecordHeader, Ring, ringBytes, type RingRecord } from "../../lib/wire/ring.ts";

const CAPACITY = 64 * 1024;
const text = (s: string) => new TextEncoder().encode(s);

/** Writes one encoded record into a fresh ring and decodes what drains out of it. */
function throughRing<T>(
  encoded: [RecordHeader, ...Uint8Array[]],
  decode: (record: RingRecord) => T,
): T {
  const ring = new Ring(new SharedArrayBuffer(ringBytes(CAPACITY)), {
    offset: 0,
    capacity: CAPACITY,
  });
  const [header, ...parts] = encoded;
  assert.ok(ring.tryWrite(header, ...parts));
  const out: T[] = [];
  // Payload views are only valid during the callback: copy byte fields out before it returns.
  ring.drain((record) => out.push(copyBytes(decode(record))));
  assert.equal(out.length, 1);
  return out[0];
}

/** The message with every byte field copied out of shared memory. */
function copyBytes<T>(message: T): T {
  const entries = Object.entries(message as Record<string, unknown>)
    .map(([key, value]) => [key, value instanceof Uint8Array ? value.slice() : value]);
  return Object.fromEntries(entries) as T;
}

const roundTripToWorker = (m: ToWorker) => throughRing(encodeToWorker(m), decodeToWorker);
const roundTripToMain = (m: ToMain) => throughRing(encodeToMain(m), decodeToMain);

const TO_WORKER: ToWorker[] = [
  {
    kind: "request",
    stream: 1,
    remote: "203.0.113.9",
    port: 54321,
    head: text("GET / HTTP/1.1\r\nhost: a\r\n\r\n"),
  },
  { kind: "request", stream: 0xffff_ffff, remote: "2001:db8::1", port: 65535, head: text("X") },
  { kind: "request", stream: 2, remote: "", port: 0, head: new Uint8Array() },
  { kind: "body", stream: 3, bytes: text("hello"), eof: false },
  { kind: "body", stream: 3, bytes: text("end"), eof: true },
  { kind: "body", stream: 3, bytes: new Uint8Array(), eof: true },
  { kind: "credit", stream: 4, bytes: 262_144 },
  { kind: "credit", stream: 4, bytes: 0xffff_ffff },
  { kind: "abort", stream: 5 },
  { kind: "goaway", stream: 6 },
  { kind: "switched", stream: 7 },
];

const TO_MAIN: ToMain[] = [
  {
    kind: "data",
    stream: 1,
    bytes: text("HTTP/1.1 200 OK\r\n\r\n"),
    end: false,
    close: false,
    reset: false,
    leftover: new Uint8Array(),
  },
  {
    kind: "data",
    stream: 2,
    bytes: text("body"),
    end: true,
    close: false,
    reset: false,
    leftover: text("GET /next HTTP/1.1\r\n"),
  },
  {
    kind: "data",
    stream: 3,
    bytes: text("bye"),
    end: true,
    close: true,
    reset: false,
    leftover: text("x"),
  },
  {
    kind: "data",
    stream: 4,
    bytes: new Uint8Array(),
    end: false,
    close: true,
    reset: false,
    leftover: text(""),
  },
  {
    kind: "data",
    stream: 6,
    bytes: new Uint8Array(),
    end: true,
    close: true,
    reset: true,
    leftover: new Uint8Array(),
  },
  { kind: "pull", stream: 5, bytes: 65_536 },
  { kind: "pull", stream: 0xffff_ffff, bytes: 1 },
];

for (const message of TO_WORKER) {
  Deno.test(`decodeToWorker() reads back encodeToWorker(${describe(message)})`, () => {
    assert.deepEqual(roundTripToWorker(message), message);
  });
}

for (const message of TO_MAIN) {
  Deno.test(`decodeToMain() reads back encodeToMain(${describe(message)})`, () => {
    assert.deepEqual(roundTripToMain(message), message);
  });
}

function describe(message: ToWorker | ToMain): string {
  return JSON.stringify(
    message,
    (_key, value) => value instanceof Uint8Array ? `${value.byteLength} bytes` : value,
  );
}

Deno.test("encodeToWorker() cuts a remote address longer than 255 bytes, keeping the head", () => {
  const remote = "r".repeat(300);
  const head = text("GET / HTTP/1.1\r\n\r\n");
  const decoded = roundTripToWorker({ kind: "request", stream: 9, remote, port: 80, head });
  assert.deepEqual(decoded, {
    kind: "request",
    stream: 9,
    remote: "r".repeat(255),
    port: 80,
    head,
  });
});

Deno.test("decodeToWorker() refuses a record kind meant for the main thread", () => {
  const [header] = encodeToMain({ kind: "pull", stream: 1, bytes: 1 });
  assert.throws(
    () => decodeToWorker({ ...header, payload: new Uint8Array() }),
    (error: unknown) => error instanceof Error && /protocol violation/.test(error.message),
  );
  assert.throws(
    () => decodeToWorker({ kind: 99, flags: 0, stream: 1, arg: 0, payload: new Uint8Array() }),
    /protocol violation: record kind 99/,
  );
});

Deno.test("decodeToMain() refuses a record kind meant for a worker", () => {
  const [header] = encodeToWorker({ kind: "abort", stream: 1 });
  assert.throws(
    () => decodeToMain({ ...header, payload: new Uint8Array() }),
    (error: unknown) => error instanceof Error && /protocol violation/.test(error.message),
  );
  assert.throws(
    () => decodeToMain({ kind: 0, flags: 0, stream: 1, arg: 0, payload: new Uint8Array() }),
    /protocol violation: record kind 0/,
  );
});
