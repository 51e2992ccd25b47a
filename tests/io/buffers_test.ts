import assert from "node:assert/strict";
import { ByteQueue } from "../../lib/io/buffers.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (view: Uint8Array) => new TextDecoder().decode(view);

Deno.test("ByteQueue.push() and take() return bytes in order", () => {
  const queue = new ByteQueue();
  queue.push(bytes("hello "));
  queue.push(bytes("world"));
  assert.equal(queue.length, 11);
  assert.equal(text(queue.take(6)), "hello ");
  assert.equal(text(queue.view()), "world");
  assert.equal(text(queue.take(100)), "world");
  assert.equal(queue.length, 0);
});

Deno.test("ByteQueue.unshift() puts leftover bytes back in front", () => {
  const queue = new ByteQueue();
  queue.push(bytes("abcdef"));
  queue.take(4);
  queue.unshift(bytes("XY"));
  assert.equal(text(queue.view()), "XYef");
  queue.unshift(bytes("a longer prefix than the gap "));
  assert.equal(text(queue.view()), "a longer prefix than the gap XYef");
});

Deno.test("ByteQueue grows and compacts across many pushes and takes", () => {
  const queue = new ByteQueue(16);
  let expected = "";
  for (let i = 0; i < 500; i++) {
    const chunk = `chunk${i};`;
    queue.push(bytes(chunk));
    expected += chunk;
    if (i % 3 === 0) expected = expected.slice(text(queue.take(7)).length);
  }
  assert.equal(text(queue.view()), expected);
});

Deno.test("ByteQueue gives up a large buffer once emptied, keeps a small one", () => {
  const queue = new ByteQueue();
  queue.push(new Uint8Array(100_000).fill(7));
  const taken = queue.take(100_000);
  assert.equal(taken.byteLength, 100_000);
  assert.equal(taken[99_999], 7, "what was taken stays readable");
  assert.equal(queue.capacityBytes, 0);
  queue.push(new Uint8Array([1, 2, 3]));
  queue.take(3);
  assert.equal(queue.capacityBytes, 4096, "an ordinary buffer is kept for the next request");
});
