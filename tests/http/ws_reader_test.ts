import assert from "node:assert/strict";
import { type WsEvent, WsReader } from "../../lib/http/ws_reader.ts";

const encoder = new TextEncoder();
const MASK = [0x37, 0xfa, 0x21, 0x3d];

/** A client frame: masked unless told otherwise, with any first byte and length encoding. */
function frame(
  first: number,
  payload: Uint8Array,
  options: { masked?: boolean; length?: Uint8Array } = {},
): Uint8Array {
  const masked = options.masked ?? true;
  const n = payload.byteLength;
  const length = options.length ??
    (n < 126
      ? Uint8Array.of(n)
      : n < 65536
      ? Uint8Array.of(126, n >> 8, n & 0xff)
      : Uint8Array.of(127, 0, 0, 0, 0, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff));
  length[0] |= masked ? 0x80 : 0;
  const body = masked ? payload.map((b, i) => b ^ MASK[i & 3]) : payload;
  return Uint8Array.from([first, ...length, ...(masked ? MASK : []), ...body]);
}

const text = (s: string) => encoder.encode(s);

/** Feeds bytes whole, byte by byte, and with trailing bytes; each way yields the same events. */
function readAll(bytes: Uint8Array, maxMessageBytes = 1 << 20): WsEvent[][] {
  const ways = [[bytes], [...bytes].map((b) => Uint8Array.of(b))];
  return ways.map((pieces) => {
    const reader = new WsReader({ maxMessageBytes });
    const events: WsEvent[] = [];
    for (const piece of pieces) {
      reader.push(piece);
      for (let e = reader.next(); e !== null; e = reader.next()) events.push(e);
    }
    return events;
  });
}

function expectEvents(bytes: Uint8Array, expected: WsEvent[], maxMessageBytes?: number): void {
  for (const events of readAll(bytes, maxMessageBytes)) assert.deepEqual(events, expected);
}

function failsWith(bytes: Uint8Array, code: number, maxMessageBytes?: number): void {
  for (const events of readAll(bytes, maxMessageBytes)) {
    const last = events.at(-1);
    assert.equal(last?.kind, "fail", JSON.stringify(events));
    assert.equal((last as { code: number }).code, code);
  }
}

Deno.test("WsReader unmasks text and binary messages, whole and byte by byte", () => {
  expectEvents(frame(0x81, text("héllo")), [{ kind: "text", text: "héllo" }]);
  expectEvents(frame(0x82, Uint8Array.of(1, 2, 3)), [{
    kind: "binary",
    bytes: Uint8Array.of(1, 2, 3),
  }]);
  const big = new Uint8Array(70_000).fill(9);
  const [whole] = readAll(frame(0x82, big));
  assert.deepEqual(whole, [{ kind: "binary", bytes: big }]);
});

Deno.test("WsReader joins fragments, with a control frame between them", () => {
  const bytes = Uint8Array.from([
    ...frame(0x01, text("ab")),
    ...frame(0x89, text("p")),
    ...frame(0x00, text("c")),
    ...frame(0x80, text("d")),
  ]);
  expectEvents(bytes, [{ kind: "ping", bytes: text("p") }, { kind: "text", text: "abcd" }]);
});

Deno.test("WsReader reads a close frame's code and reason, and nothing after it", () => {
  const close = frame(0x88, Uint8Array.from([0x03, 0xe8, ...text("bye")]));
  expectEvents(Uint8Array.from([...close, ...frame(0x81, text("late"))]), [
    { kind: "close", code: 1000, reason: "bye" },
  ]);
  expectEvents(frame(0x88, new Uint8Array()), [{ kind: "close", code: 1005, reason: "" }]);
});

Deno.test("WsReader fails with 1002 on protocol errors", () => {
  failsWith(frame(0x81, text("x"), { masked: false }), 1002);
  failsWith(frame(0xc1, text("x")), 1002); // RSV1
  failsWith(frame(0x83, text("x")), 1002); // reserved data opcode
  failsWith(frame(0x8b, text("x")), 1002); // reserved control opcode
  failsWith(frame(0x09, text("x")), 1002); // fragmented ping
  failsWith(frame(0x89, new Uint8Array(126)), 1002); // oversized control
  failsWith(frame(0x80, text("x")), 1002); // continuation with no message
  failsWith(Uint8Array.from([...frame(0x01, text("a")), ...frame(0x81, text("b"))]), 1002);
  failsWith(frame(0x88, Uint8Array.of(3)), 1002); // one-byte close payload
  failsWith(frame(0x88, Uint8Array.of(0x03, 0xed)), 1002); // close code 1005
  failsWith(frame(0x88, Uint8Array.of(0x03, 0xe7)), 1002); // close code 999
});

Deno.test("WsReader fails with 1007 on invalid UTF-8 in a text message or a close reason", () => {
  failsWith(frame(0x81, Uint8Array.of(0xce, 0xba, 0xe1, 0xbd)), 1007);
  failsWith(frame(0x88, Uint8Array.of(0x03, 0xe8, 0xff)), 1007);
});

Deno.test("WsReader fails with 1009 from the header of an oversized message, before its payload", () => {
  failsWith(frame(0x82, new Uint8Array(2000)), 1009, 1024);
  // Fragments count together.
  const parts = Uint8Array.from([
    ...frame(0x02, new Uint8Array(600)),
    ...frame(0x80, new Uint8Array(600)),
  ]);
  failsWith(parts, 1009, 1024);
  // A 2^62-byte frame: only its header is sent, and the reader fails at once.
  const huge = Uint8Array.of(0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, ...MASK);
  const reader = new WsReader({ maxMessageBytes: 1 << 24 });
  reader.push(huge);
  assert.deepEqual(reader.next(), {
    kind: "fail",
    code: 1009,
    reason: "a message may carry at most 16777216 bytes",
  });
  assert.equal(reader.state, "done");
});

Deno.test("WsReader keeps what it has not consumed once next() says it needs more, as the caller's buffer is reused", () => {
  const bytes = frame(0x81, text("hello"));
  const reader = new WsReader({ maxMessageBytes: 1024 });
  const ring = new Uint8Array(64);
  // The header's first 3 bytes, then the ring is overwritten before the rest comes.
  ring.set(bytes.subarray(0, 3));
  reader.push(ring.subarray(0, 3));
  assert.equal(reader.next(), null);
  ring.fill(0xff);
  ring.set(bytes.subarray(3));
  reader.push(ring.subarray(0, bytes.byteLength - 3));
  assert.deepEqual(reader.next(), { kind: "text", text: "hello" });
});
