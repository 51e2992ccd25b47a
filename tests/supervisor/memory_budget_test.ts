import assert from "node:assert/strict";
import { memoryBudgetMib, memoryOwner, overBudget } from "../../lib/supervisor/memory_budget.ts";

type State = "starting" | "ready" | "lost";
const worker = (
  id: number,
  inFlight: number,
  busyChangedAt: number,
  state: State = "ready",
  stamps = { lastProgress: 1_000, systemTimeUs: 0 },
) => ({ id, state, board: { inFlight, busyChangedAt, ...stamps } });
/** No readings at the last check, nothing being given back, now just after every stamp. */
const unknown = { now: 1_050, before: new Map(), releasing: false };

Deno.test("memoryBudgetMib() is --max-memory when given, else each app worker's two caps and overhead plus a margin", () => {
  assert.equal(memoryBudgetMib({ workers: 1, appHeapMib: 64, maxMemoryMib: 0 }), 192 + 1024);
  assert.equal(memoryBudgetMib({ workers: 4, appHeapMib: 512, maxMemoryMib: 0 }), 4 * 1088 + 1024);
  assert.equal(memoryBudgetMib({ workers: 4, appHeapMib: 512, maxMemoryMib: 700 }), 700);
});

Deno.test("memoryOwner() without evidence takes the ready worker busy longest, else the one busy last, never a starting or lost one", () => {
  const busyLong = worker(2, 1, 100);
  assert.equal(memoryOwner([worker(1, 4, 300), busyLong, worker(3, 0, 900)], unknown), busyLong);
  assert.equal(
    memoryOwner([worker(1, 0, 300), worker(2, 0, 900), worker(3, 0, 0)], unknown)?.id,
    2,
  );
  assert.equal(memoryOwner([worker(1, 1, 5, "lost"), worker(2, 0, 10)], unknown)?.id, 2);
  assert.equal(memoryOwner([worker(1, 1, 5, "starting")], unknown), null);
  assert.equal(memoryOwner([], unknown), null);
});

Deno.test("memoryOwner() takes the idle worker whose thread used the most system time since the last check over the busy one", () => {
  const busy = worker(1, 3, 100, "ready", { lastProgress: 1_000, systemTimeUs: 40_000 });
  const grew = worker(2, 0, 900, "ready", { lastProgress: 1_000, systemTimeUs: 1_200_000 });
  const before = new Map([[busy, 30_000], [grew, 200_000]]);
  assert.equal(memoryOwner([busy, grew], { ...unknown, before }), grew);
  // 10 ms more (one tick of the clock it is read in) is no evidence: the guess stands.
  const little = new Map([[busy, 30_000], [grew, 1_190_000]]);
  assert.equal(memoryOwner([busy, grew], { ...unknown, before: little }), busy);
  // A thread that had not reported at the last check (0) has only its start-up time.
  const fresh = new Map([[busy, 30_000], [grew, 0]]);
  assert.equal(memoryOwner([busy, grew], { ...unknown, before: fresh }), busy);
});

Deno.test("memoryOwner() takes a worker whose thread stopped stamping (a synchronous job may be growing), else none while memory is being given back", () => {
  const busy = worker(1, 3, 100);
  const silent = worker(2, 0, 900, "ready", { lastProgress: 500, systemTimeUs: 0 });
  assert.equal(memoryOwner([busy, silent], unknown), silent);
  assert.equal(memoryOwner([busy, worker(2, 0, 900)], { ...unknown, releasing: true }), null);
});

Deno.test("overBudget() names the RSS, the flag and its value", () => {
  assert.match(overBudget(1300, 1216), /^the process holds 1300 MiB, past --max-memory 1216 MiB; /);
});
