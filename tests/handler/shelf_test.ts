import assert from "node:assert/strict";
import { BufferShelf } from "../../lib/handler/shelf.ts";

Deno.test("BufferShelf lends buffers, takes them back, and keeps at most maxFree", () => {
  const shelf = new BufferShelf(16, 1);
  const a = shelf.take();
  const b = shelf.take();
  assert.equal(a.byteLength, 16);
  assert.notEqual(a, b);
  shelf.give(a);
  shelf.give(b);
  assert.equal(shelf.take(), a);
  assert.notEqual(shelf.take(), b, "only one free buffer was kept");
});
