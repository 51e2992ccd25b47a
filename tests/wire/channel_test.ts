import assert from "node:assert/strict";
import { ChannelEnd, createChannelMemory } from "../../lib/wire/channel.ts";
import { createBoardMemory } from "../../lib/wire/board.ts";

const sizes = { toWorkerBytes: 1024, toIoBytes: 2048 };

function pair(board = createBoardMemory()) {
  const memory = createChannelMemory(sizes);
  return {
    main: new ChannelEnd(memory, { side: "io", sizes, board }),
    worker: new ChannelEnd(memory, { side: "worker", sizes, board }),
  };
}

Deno.test("ChannelEnd.send() delivers records both ways in order through the pumps", async () => {
  const { main, worker } = pair();
  const atWorker: number[] = [];
  const atMain: number[] = [];
  const done = Promise.withResolvers<void>();
  const workerPump = worker.pump((r) => {
    atWorker.push(r.stream);
    worker.send({ kind: 16, flags: 0, stream: r.stream, arg: 0 }, r.payload);
  });
  const mainPump = main.pump((r) => {
    atMain.push(r.stream);
    if (atMain.length === 300) done.resolve();
  });
  // Deno does not count a pending Atomics.waitAsync as work that keeps the event loop alive.
  const keepAlive = setInterval(() => {}, 1000);
  // 300 records of 100 bytes overflow both rings many times: the outboxes must keep order.
  for (let i = 0; i < 300; i++) {
    main.send({ kind: 1, flags: 0, stream: i, arg: 0 }, new Uint8Array(100).fill(i & 0xff));
  }
  await done.promise;
  const expected = Array.from({ length: 300 }, (_, i) => i);
  assert.deepEqual(atWorker, expected);
  assert.deepEqual(atMain, expected);
  main.close();
  worker.close();
  await Promise.all([mainPump, workerPump]);
  clearInterval(keepAlive);
});

Deno.test("HandlerBoard.asleep tells whether the worker waits on its doorbell", async () => {
  const { main, worker } = pair();
  assert.equal(main.board.asleep, false);
  const keepAlive = setInterval(() => {}, 1000);
  const pump = worker.pump(() => {});
  assert.equal(main.board.asleep, true, "an idle pump sleeps");
  worker.close();
  await pump;
  assert.equal(main.board.asleep, false, "a closed pump is awake");
  main.close();
  clearInterval(keepAlive);
});

Deno.test("ChannelEnd.send() wakes a pump in another thread", async () => {
  const memory = createChannelMemory(sizes);
  const board = createBoardMemory();
  const main = new ChannelEnd(memory, { side: "io", sizes, board });
  const source = `
    import { ChannelEnd } from ${
    JSON.stringify(new URL("../../lib/wire/channel.ts", import.meta.url).href)
  };
    self.onmessage = (e) => {
      const [memory, board] = e.data;
      const end = new ChannelEnd(memory, { side: "worker", sizes: ${
    JSON.stringify(sizes)
  }, board });
      end.pump((r) => end.send({ kind: 16, flags: 0, stream: r.stream + 1, arg: 0 }));
    };`;
  const url = URL.createObjectURL(new Blob([source], { type: "application/javascript" }));
  const thread = new Worker(url, { type: "module" });
  thread.postMessage([memory, board]);
  const replies: number[] = [];
  const done = Promise.withResolvers<void>();
  const pump = main.pump((r) => {
    replies.push(r.stream);
    if (replies.length === 50) done.resolve();
  });
  for (let i = 0; i < 50; i++) {
    main.send({ kind: 1, flags: 0, stream: i * 10, arg: 0 });
    if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await done.promise;
  assert.deepEqual(replies, Array.from({ length: 50 }, (_, i) => i * 10 + 1));
  thread.terminate();
  main.close();
  await pump;
  URL.revokeObjectURL(url);
});

Deno.test("ChannelEnd.pump() with an idle wait still delivers everything, in order", async () => {
  const { main, worker } = pair();
  const atMain: number[] = [];
  const done = Promise.withResolvers<void>();
  let idleWaits = 0;
  // One thread plays both ends here: each idle wait of the worker's pump runs to its timeout and
  // falls back to waiting asynchronously, so records sent meanwhile are delivered after it.
  const workerPump = worker.pump((r) => {
    worker.send({ kind: 16, flags: 0, stream: r.stream, arg: 0 }, r.payload);
  }, () => (idleWaits++, true));
  const mainPump = main.pump((r) => {
    atMain.push(r.stream);
    if (atMain.length === 100) done.resolve();
  });
  const keepAlive = setInterval(() => {}, 1000);
  for (let i = 0; i < 100; i++) {
    main.send({ kind: 1, flags: 0, stream: i, arg: 0 }, new Uint8Array(100).fill(i & 0xff));
    if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await done.promise;
  assert.deepEqual(atMain, Array.from({ length: 100 }, (_, i) => i));
  assert.ok(idleWaits > 0, "the worker's pump waited while idle");
  main.close();
  worker.close();
  await Promise.all([mainPump, workerPump]);
  clearInterval(keepAlive);
});

Deno.test("ChannelEnd.pumpAll() serves a worker's channels to two I/O threads through one doorbell, each reply on its own channel", async () => {
  const board = createBoardMemory();
  const first = pair(board);
  const second = pair(board);
  const seen: [string, number][] = [];
  const workerPump = ChannelEnd.pumpAll([first.worker, second.worker], (end, r) => {
    end.send({ kind: 16, flags: 0, stream: r.stream, arg: 0 });
  }, () => true);
  const done = Promise.withResolvers<void>();
  const collect = (name: string) => (r: { stream: number }) => {
    seen.push([name, r.stream]);
    if (seen.length === 40) done.resolve();
  };
  const pumps = [first.main.pump(collect("first")), second.main.pump(collect("second"))];
  const keepAlive = setInterval(() => {}, 1000);
  for (let i = 0; i < 20; i++) {
    first.main.send({ kind: 1, flags: 0, stream: i, arg: 0 });
    second.main.send({ kind: 1, flags: 0, stream: 100 + i, arg: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await done.promise;
  const from = (name: string) => seen.filter(([n]) => n === name).map(([, stream]) => stream);
  assert.deepEqual(from("first"), Array.from({ length: 20 }, (_, i) => i));
  assert.deepEqual(from("second"), Array.from({ length: 20 }, (_, i) => 100 + i));
  for (const end of [first.main, second.main, first.worker, second.worker]) end.close();
  await Promise.all([...pumps, workerPump]);
  clearInterval(keepAlive);
});

Deno.test("ChannelEnd.pumpAll() refuses ends that do not share a doorbell", async () => {
  await assert.rejects(
    ChannelEnd.pumpAll([pair().worker, pair().worker], () => {}),
    /share one doorbell/,
  );
});
