import assert from "node:assert/strict";
import {
  encodeFrame,
  frameBoundary,
  headerError,
  midFrame,
  OPCODE,
  readFrameHeader,
  trackFrames,
} from "../../lib/http/ws_frames.ts";

Deno.test("readFrameHeader() reads 7-bit, 16-bit and 64-bit lengths, and 2^62 as Infinity", () => {
  assert.equal(readFrameHeader(Uint8Array.of(0x82, 0x7d))?.length, 125);
  assert.equal(readFrameHeader(Uint8Array.of(0x82, 0x7e, 0x01, 0x00))?.length, 256);
  const long = Uint8Array.of(0x82, 0x7f, 0, 0, 0, 1, 0, 0, 0, 0);
  assert.equal(readFrameHeader(long)?.length, 2 ** 32);
  const huge = Uint8Array.of(0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4);
  assert.equal(readFrameHeader(huge)?.length, Infinity);
  assert.equal(readFrameHeader(huge.subarray(0, 13)), null);
});

Deno.test("headerError() names each rule a client frame header breaks", () => {
  const header = (first: number, second: number) =>
    readFrameHeader(Uint8Array.of(first, second, 0, 0, 0, 0))!;
  assert.equal(headerError(header(0x81, 0x80)), null);
  assert.match(headerError(header(0x81, 0x00))!, /masked/);
  assert.match(headerError(header(0xa1, 0x80))!, /reserved bits/);
  assert.match(headerError(header(0x87, 0x80))!, /reserved opcode 7/);
  assert.match(headerError(header(0x08, 0x80))!, /fragmented/);
  const longPing = readFrameHeader(Uint8Array.of(0x89, 0xfe, 0, 126, 0, 0, 0, 0))!;
  assert.match(headerError(longPing)!, /at most 125/);
});

Deno.test("trackFrames() finds frame boundaries fed whole, byte by byte, and split anywhere", () => {
  const frames = [
    encodeFrame(OPCODE.text, new Uint8Array(5)),
    encodeFrame(OPCODE.binary, new Uint8Array(300)),
    encodeFrame(OPCODE.binary, new Uint8Array(70_000)),
  ];
  const all = Uint8Array.from(frames.flatMap((f) => [...f]));
  const whole = frameBoundary();
  trackFrames(whole, all);
  assert.equal(midFrame(whole), false);
  const bytewise = frameBoundary();
  let boundaries = 0;
  for (const byte of all) {
    trackFrames(bytewise, Uint8Array.of(byte));
    if (!midFrame(bytewise)) boundaries++;
  }
  assert.equal(boundaries, frames.length);
  for (const cut of [1, 2, 3, 6, 300, 70_000]) {
    const split = frameBoundary();
    trackFrames(split, all.subarray(0, cut));
    assert.equal(midFrame(split), true, `cut at ${cut}`);
    trackFrames(split, all.subarray(cut));
    assert.equal(midFrame(split), false, `cut at ${cut}`);
  }
});
