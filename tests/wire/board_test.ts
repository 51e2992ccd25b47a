import assert from "node:assert/strict";
import { createBoardMemory, HandlerBoard } from "../../lib/wire/board.ts";

Deno.test("HandlerBoard: stamps written by the worker are read by every other view", () => {
  const memory = createBoardMemory();
  const worker = new HandlerBoard(memory);
  const reader = new HandlerBoard(memory);
  assert.equal(reader.lastProgress, 0);
  worker.stampProgress(12345);
  worker.stampSystemTime(430_000);
  assert.equal(reader.lastProgress, 12345);
  assert.equal(reader.systemTimeUs, 430_000);
});

Deno.test("HandlerBoard.claim() and release() count across views, and mark when the worker turned busy and idle", () => {
  const memory = createBoardMemory();
  const [a, b] = [new HandlerBoard(memory), new HandlerBoard(memory)];
  a.claim(() => 1000);
  b.claim(() => 2000);
  assert.equal(a.inFlight, 2);
  assert.equal(a.busyChangedAt, 1000, "only the first claim turns it busy");
  b.release(() => 3000);
  assert.equal(a.busyChangedAt, 1000);
  a.release(() => 4000);
  assert.equal(b.inFlight, 0);
  assert.equal(b.busyChangedAt, 4000, "the last release turns it idle");
  a.release(() => 5000);
  assert.equal(b.inFlight, 0, "never below zero");
  assert.equal(b.busyChangedAt, 4000);
});

Deno.test("HandlerBoard counts tunnels apart, never below zero, and carries the draining mark", () => {
  const board = new HandlerBoard(createBoardMemory());
  board.openTunnel();
  board.closeTunnel();
  board.closeTunnel();
  assert.equal(board.tunnels, 0);
  assert.equal(board.draining, false);
  board.markDraining();
  assert.equal(new HandlerBoard(createBoardMemory()).draining, false);
  assert.equal(board.draining, true);
});
