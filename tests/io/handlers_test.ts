/**
 * How an I/O thread picks among the handler workers (lib/io/handlers.ts): by each worker's board,
 * which every I/O thread counts on, skipping stalled workers. No worker thread runs: the tests
 * write the boards as the workers and the other I/O threads would.
 */
import assert from "node:assert/strict";
import { HandlerLinks } from "../../lib/io/handlers.ts";
import { IDLE_STALL_MS } from "../../lib/io/progress.ts";
import { createBoardMemory, HandlerBoard } from "../../lib/wire/board.ts";
import { ChannelEnd, type ChannelSizes, createChannelMemory } from "../../lib/wire/channel.ts";
import { encodeToMain } from "../../lib/wire/protocol.ts";
import type { WorkerLink } from "../../lib/io/workers.ts";

const SIZES: ChannelSizes = { toWorkerBytes: 65536, toIoBytes: 65536 };

/** Links over `count` workers; returns them with each worker's board and memory. */
function links(count: number, options: { stallMs?: number; idleChecked?: boolean } = {}) {
  const set = new HandlerLinks({ onMessage: () => {}, onBroken: () => {} }, {
    sizes: SIZES,
    stallMs: options.stallMs ?? 20,
    idleChecked: options.idleChecked ?? false,
  });
  const workers = Array.from({ length: count }, (_, i) => {
    const board = createBoardMemory();
    const channel = createChannelMemory(SIZES);
    const link = set.add(i + 1, channel, board);
    new HandlerBoard(board).stampProgress();
    return { link, board: new HandlerBoard(board), channel, boardMemory: board };
  });
  return { set, workers };
}

Deno.test("HandlerLinks.pick() takes the worker with the fewest requests from every I/O thread", () => {
  const { set, workers } = links(2);
  // Another I/O thread gave worker 1 two requests: it counts here too.
  workers[0].board.claim();
  workers[0].board.claim();
  assert.equal(set.pick(), workers[1].link);
  set.claim(workers[1].link);
  set.claim(workers[1].link);
  set.claim(workers[1].link);
  assert.equal(set.pick(), workers[0].link);
  set.closeAll();
});

Deno.test("HandlerLinks.isStalled() counts a busy worker's time from when it became busy", () => {
  const { set, workers } = links(1);
  const [{ link, board }] = workers;
  board.stampProgress(Date.now() - 60_000);
  set.claim(link);
  assert.equal(set.isStalled(link, board.busyChangedAt + 10), false);
  assert.equal(set.isStalled(link, board.busyChangedAt + 21), true);
  assert.equal(set.pick(), link, "just dispatched, it still takes requests");
  set.closeAll();
});

Deno.test("HandlerLinks.isStalled() counts an idle app worker whose event loop stopped stamping as stalled", () => {
  const { set, workers } = links(1, { idleChecked: true });
  const [{ link, board }] = workers;
  const last = board.lastProgress;
  assert.equal(set.isStalled(link, last + 100), false);
  assert.equal(set.isStalled(link, last + IDLE_STALL_MS * 4), true);
  set.closeAll();
});

Deno.test("HandlerLinks.isStalled() never counts an idle worker serving files only as stalled", () => {
  const { set, workers } = links(1);
  const [{ link, board }] = workers;
  board.stampProgress(Date.now() - 60_000);
  assert.equal(set.isStalled(link, Date.now()), false);
  assert.equal(set.pick(), link);
  set.closeAll();
});

Deno.test("HandlerLinks.isStalled() counts an app worker whose response just ended as making progress, stamp or not", () => {
  const { set, workers } = links(1, { idleChecked: true });
  const [{ link, board }] = workers;
  board.stampProgress(Date.now() - 60_000);
  set.claim(link);
  set.release(link);
  assert.equal(set.isStalled(link, board.busyChangedAt + 10), false);
  assert.equal(set.isStalled(link, board.busyChangedAt + IDLE_STALL_MS * 4), true);
  set.closeAll();
});

Deno.test("HandlerLinks.isStalled() takes a stamp far in the future (an app writing its board) for none", () => {
  const { set, workers } = links(1);
  const [{ link, board }] = workers;
  board.stampProgress(Date.now() + 1e9);
  set.claim(link);
  assert.equal(set.isStalled(link, board.busyChangedAt + 21), true);
  set.closeAll();
});

Deno.test("HandlerLinks.lose() takes the worker out of the pick, and a late release counts nothing", () => {
  const { set, workers } = links(2);
  set.claim(workers[1].link);
  const lost = set.lose(2);
  assert.equal(lost, workers[1].link);
  assert.equal(set.pick(), workers[0].link);
  assert.equal(set.pick(), workers[0].link);
  set.release(lost!);
  assert.equal(workers[1].board.inFlight, 1, "a lost worker's board is left alone");
  assert.equal(set.lose(2), null);
  set.closeAll();
});

Deno.test("HandlerLinks reports a record it cannot read as the worker's, and stops reading its channel", async () => {
  const broken = Promise.withResolvers<[WorkerLink, string]>();
  const set = new HandlerLinks({
    onMessage: () => {},
    onBroken: (worker, reason) => broken.resolve([worker, reason]),
  }, { sizes: SIZES, stallMs: 20, idleChecked: false });
  const board = createBoardMemory();
  const memory = createChannelMemory(SIZES);
  const link = set.add(1, memory, board);
  const worker = new ChannelEnd(memory, { side: "worker", sizes: SIZES, board });
  // A record of a kind no worker sends.
  const [header, ...payload] = encodeToMain({ kind: "pull", stream: 1, bytes: 1 });
  worker.send({ ...header, kind: 99 }, ...payload);
  const timer = setTimeout(() => broken.reject(new Error("no report in 5 s")), 5000);
  const [reported, reason] = await broken.promise;
  clearTimeout(timer);
  assert.equal(reported, link);
  assert.match(reason, /99/);
  assert.equal(set.pick(), null);
  set.closeAll();
  worker.close();
});

Deno.test("HandlerLinks of two I/O threads picking among idle workers at once start from different ones", () => {
  const boards = [createBoardMemory(), createBoardMemory()];
  const thread = (firstTurn: number) => {
    const set = new HandlerLinks({ onMessage: () => {}, onBroken: () => {} }, {
      sizes: SIZES,
      stallMs: 20,
      idleChecked: false,
      firstTurn,
    });
    boards.forEach((board, i) => set.add(i + 1, createChannelMemory(SIZES), board));
    return set;
  };
  const [first, second] = [thread(0), thread(1)];
  assert.notEqual(first.pick()?.id, second.pick()?.id);
  first.closeAll();
  second.closeAll();
});
