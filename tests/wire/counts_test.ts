import assert from "node:assert/strict";
import { createCountsMemory, SharedCounts } from "../../lib/wire/counts.ts";

Deno.test("SharedCounts.take() never lets two views pass the limit together", () => {
  const memory = createCountsMemory();
  const [a, b] = [new SharedCounts(memory), new SharedCounts(memory)];
  assert.ok(a.take("connections", 2));
  assert.ok(b.take("connections", 2));
  assert.equal(a.take("connections", 2), false);
  assert.equal(b.count("connections"), 2, "a refused take leaves the count as it was");
  b.give("connections");
  assert.ok(a.take("connections", 2));
  assert.equal(a.count("queued"), 0, "each kind counts apart");
});

Deno.test("SharedCounts.ringQueue() wakes every listener, and a stopped one listens no more", async () => {
  const memory = createCountsMemory();
  let stopped = false;
  const rings = [0, 0];
  const heard = Promise.withResolvers<void>();
  const listeners = [0, 1].map((i) =>
    new SharedCounts(memory).onQueueRing(() => {
      rings[i]++;
      if (rings[0] > 0 && rings[1] > 0) heard.resolve();
    }, () => stopped)
  );
  const keepAlive = setInterval(() => {}, 1000);
  new SharedCounts(memory).ringQueue();
  await heard.promise;
  stopped = true;
  new SharedCounts(memory).ringQueue();
  await Promise.all(listeners);
  clearInterval(keepAlive);
  assert.deepEqual(rings, [1, 1]);
});

Deno.test("SharedCounts.holdsMore() holds back only a thread over the least-loaded by more than the slack", () => {
  const counts = new SharedCounts();
  for (let i = 0; i < 5; i++) counts.countOn(1, 1);
  counts.countOn(2, 1);
  counts.countOn(2, 1);
  assert.equal(counts.holdsMore(1, 2, 2), true, "5 against 2: past the slack");
  assert.equal(counts.holdsMore(2, 2, 2), false);
  counts.countOn(1, -1);
  assert.equal(counts.holdsMore(1, 2, 2), false, "4 against 2: within it");
  assert.equal(counts.holdsMore(1, 1, 2), false, "a thread alone always accepts");
});

Deno.test("SharedCounts.onQueueRing() hears a ring that comes while it answers the one before", async () => {
  const memory = createCountsMemory();
  let stopped = false;
  let rings = 0;
  const twice = Promise.withResolvers<void>();
  const listener = new SharedCounts(memory).onQueueRing(() => {
    rings++;
    // Another thread's worker frees up while this thread looks at its queue.
    if (rings === 1) new SharedCounts(memory).ringQueue();
    else twice.resolve();
  }, () => stopped);
  new SharedCounts(memory).ringQueue();
  // A pending wait does not keep the event loop alive; this timer does, and bounds the test.
  const timer = setTimeout(() => twice.reject(new Error(`${rings} ring(s) heard in 2 s`)), 2000);
  try {
    await twice.promise;
    stopped = true;
    new SharedCounts(memory).ringQueue();
    await listener;
  } finally {
    clearTimeout(timer);
  }
  assert.equal(rings, 2);
});

Deno.test("SharedCounts.forgetThread() gives back the connections a failed thread counted, and only those", () => {
  const counts = new SharedCounts();
  for (let i = 0; i < 3; i++) {
    counts.take("connections", 100);
    counts.countOn(1, 1);
  }
  counts.take("connections", 100);
  counts.countOn(2, 1);
  counts.forgetThread(1);
  assert.equal(counts.count("connections"), 1);
  counts.forgetThread(1);
  assert.equal(counts.count("connections"), 1, "a second call gives nothing more");
});
