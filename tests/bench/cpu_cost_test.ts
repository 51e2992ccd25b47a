import assert from "node:assert/strict";
import {
  capPerSec,
  type CpuCost,
  cpuCost,
  formatByLabel,
  medianCost,
} from "../../bench/cpu_cost.ts";

Deno.test("cpuCost() divides total, main, busiest and each label by the units", () => {
  const cost = cpuCost({
    totalUs: 2_750_000,
    threads: [
      { label: "main", tid: 7, us: 1_250_000 },
      { label: "worker-1", tid: 9, us: 700_000 },
      { label: "worker-2", tid: 10, us: 600_000 },
      { label: "tokio-runtime-w", tid: 11, us: 50_000 },
      { label: "tokio-runtime-w", tid: 12, us: 30_000 },
    ],
  }, 100_000);
  assert.deepEqual(cost, {
    totalUs: 27.5,
    mainUs: 12.5,
    busiestUs: 12.5,
    busiest: "main",
    byLabel: { main: 12.5, "worker-1": 7, "worker-2": 6, "tokio-runtime-w": 0.8 },
  });
  assert.equal(capPerSec(cost!.busiestUs), 80_000);
});

Deno.test("cpuCost() picks the busiest single thread, not the busiest label", () => {
  const cost = cpuCost({
    totalUs: 3e6,
    threads: [
      { label: "nginx (child)", tid: 8, us: 1e6 },
      { label: "nginx (child)", tid: 9, us: 1e6 },
      { label: "main", tid: 7, us: 0 },
    ],
  }, 1e5);
  assert.equal(cost?.busiestUs, 10);
  assert.equal(cost?.busiest, "nginx (child)");
  assert.equal(cost?.byLabel["nginx (child)"], 20);
  assert.equal(cost?.mainUs, 0);
});

Deno.test("cpuCost() has no cost without units and handles a tree without threads", () => {
  assert.equal(cpuCost({ totalUs: 1, threads: [] }, 0), undefined);
  assert.equal(cpuCost({ totalUs: 1, threads: [] }, NaN), undefined);
  assert.deepEqual(cpuCost({ totalUs: 10, threads: [] }, 2), {
    totalUs: 5,
    mainUs: 0,
    busiestUs: 0,
    busiest: "–",
    byLabel: {},
  });
});

Deno.test("capPerSec() is unbounded for an idle thread", () => {
  assert.equal(capPerSec(0), Infinity);
  assert.equal(capPerSec(1000), 1000);
});

function cost(totalUs: number, busiestUs: number, busiest: string): CpuCost {
  return { totalUs, mainUs: busiestUs, busiestUs, busiest, byLabel: { [busiest]: busiestUs } };
}

Deno.test("medianCost() takes each figure's median and the median round's busiest label", () => {
  const median = medianCost([
    cost(30, 12, "main"),
    undefined,
    cost(20, 9, "worker-1"),
    cost(25, 14, "main"),
  ]);
  assert.deepEqual(median, {
    totalUs: 25,
    mainUs: 12,
    busiestUs: 12,
    busiest: "main",
    // worker-1 counts as 0 in the two rounds without it.
    byLabel: { main: 12, "worker-1": 0 },
  });
  assert.equal(medianCost([undefined]), undefined);
  assert.equal(medianCost([]), undefined);
});

Deno.test("formatByLabel() lists labels largest first with one decimal, leaving out crumbs", () => {
  const line = formatByLabel({
    totalUs: 20,
    mainUs: 12.46,
    busiestUs: 12.46,
    busiest: "main",
    byLabel: { "worker-2": 3.3, main: 12.46, "V8 DefaultWorke": 1.7, "tokio-runtime-w": 0.01 },
  });
  assert.equal(line, "main 12.5, worker-2 3.3, V8 DefaultWorke 1.7");
});
