import assert from "node:assert/strict";
import { memoryBudgetMib, memoryOwner, overBudget } from "../../lib/main/memory_budget.ts";

type State = "starting" | "ready" | "lost";
const worker = (id: number, inFlight: number, busyChangedAt: number, state: State = "ready") => ({
  id,
  state,
  inFlight,
  busyChangedAt,
});

Deno.test("memoryBudgetMib() is --max-memory when given, else each app worker's two caps and overhead plus a margin", () => {
  assert.equal(memoryBudgetMib({ workers: 1, appHeapMib: 64, maxMemoryMib: 0 }), 192 + 1024);
  assert.equal(memoryBudgetMib({ workers: 4, appHeapMib: 512, maxMemoryMib: 0 }), 4 * 1088 + 1024);
  assert.equal(memoryBudgetMib({ workers: 4, appHeapMib: 512, maxMemoryMib: 700 }), 700);
});

Deno.test("memoryOwner() takes the ready worker busy longest, else the one busy last, never a starting or lost one", () => {
  const busyLong = worker(2, 1, 100);
  assert.equal(memoryOwner([worker(1, 4, 300), busyLong, worker(3, 0, 900)]), busyLong);
  assert.equal(memoryOwner([worker(1, 0, 300), worker(2, 0, 900), worker(3, 0, 0)])?.id, 2);
  assert.equal(memoryOwner([worker(1, 1, 5, "lost"), worker(2, 0, 10)])?.id, 2);
  assert.equal(memoryOwner([worker(1, 1, 5, "starting")]), null);
  assert.equal(memoryOwner([]), null);
});

Deno.test("overBudget() names the RSS, the flag and its value", () => {
  assert.match(overBudget(1300, 1216), /^the process holds 1300 MiB, past --max-memory 1216 MiB; /);
});
