import assert from "node:assert/strict";
import type { CpuCost } from "../../bench/cpu_cost.ts";
import { type Measured, medianReports, rateOf, unitsOf } from "../../bench/report.ts";

const MIB = 1024 * 1024;

function result(fields: Partial<Measured>): Measured {
  return {
    tool: "own",
    requests: 0,
    durationS: 10,
    requestsPerSec: 0,
    bytesPerSec: 0,
    p50Ms: NaN,
    p99Ms: NaN,
    errors: 0,
    ...fields,
  };
}

Deno.test("unitsOf() and rateOf() count requests, or MiB read over the run", () => {
  const load = result({ requests: 40, requestsPerSec: 4, bytesPerSec: 3 * MIB, durationS: 10 });
  assert.equal(unitsOf(load, "request"), 40);
  assert.equal(unitsOf(load, "MiB"), 30);
  assert.equal(rateOf(load, "request"), 4);
  assert.equal(rateOf(load, "MiB"), 3);
});

function cost(totalUs: number): CpuCost {
  return { totalUs, mainUs: totalUs / 2, busiestUs: totalUs / 2, busiest: "main", byLabel: {} };
}

Deno.test("medianReports() takes each server's median per figure, CPU included, and sums errors", () => {
  const round = (mine: number, theirs: number, cpu: number) => [
    {
      name: "heiretsu",
      small: result({ requestsPerSec: mine, errors: 1, cpu: cost(cpu) }),
      app: result({ requestsPerSec: mine / 2 }),
    },
    { name: "baseline_memory", label: "in memory", small: result({ requestsPerSec: theirs }) },
  ];
  const [mine, theirs] = medianReports([
    round(90, 100, 30),
    round(120, 100, 20),
    round(100, 80, 25),
  ]);
  assert.equal(mine.small?.requestsPerSec, 100);
  assert.equal(mine.small?.errors, 3);
  assert.equal(mine.small?.cpu?.totalUs, 25);
  assert.equal(mine.app?.requestsPerSec, 50);
  assert.equal(mine.app?.cpu, undefined);
  assert.equal("big" in mine, false);
  assert.equal(mine.label, undefined);
  assert.equal(theirs.label, "in memory");
  assert.equal(theirs.small?.requestsPerSec, 100);
});

Deno.test("medianReports() keeps the rounds in which a server failed out of its medians", () => {
  const [report] = medianReports([
    [{ name: "nginx_1", small: result({ requestsPerSec: 10 }) }],
    [{ name: "nginx_1" }],
    [{ name: "nginx_1", small: result({ requestsPerSec: 30 }) }],
  ]);
  assert.equal(report.small?.requestsPerSec, 10);
  assert.deepEqual(medianReports([[{ name: "x" }], [{ name: "x" }]]), [{ name: "x" }]);
});
