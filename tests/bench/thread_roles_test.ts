import assert from "node:assert/strict";
import { cpuCost } from "../../bench/cpu_cost.ts";
import { compareRoles, costByRole, ioShares, threadRole } from "../../bench/thread_roles.ts";

Deno.test("threadRole() counts the first K Web Worker threads as I/O threads, later ones as handlers", () => {
  assert.equal(threadRole("main", 2), "main");
  assert.equal(threadRole("worker-1", 2), "io-1");
  assert.equal(threadRole("worker-2", 2), "io-2");
  assert.equal(threadRole("worker-3", 2), "handler-1");
  assert.equal(threadRole("worker-12", 2), "handler-10");
  assert.equal(threadRole("worker-2", 1), "handler-1");
});

Deno.test("threadRole() puts every other thread, and every worker of a server without I/O threads, in its place", () => {
  for (const label of ["tokio-runtime-w", "V8 DefaultWorke", "deno", "worker-x", "nginx (child)"]) {
    assert.equal(threadRole(label, 2), "other", label);
  }
  assert.equal(threadRole("worker-1", 0), "handler-1");
});

Deno.test("costByRole() sums each role's threads and names the busiest thread by its role", () => {
  const cost = cpuCost({
    totalUs: 6_000_000,
    threads: [
      { label: "worker-1", tid: 11, us: 2_000_000 },
      { label: "worker-2", tid: 12, us: 1_500_000 },
      { label: "worker-3", tid: 13, us: 1_000_000 },
      { label: "worker-4", tid: 14, us: 900_000 },
      { label: "tokio-runtime-w", tid: 15, us: 300_000 },
      { label: "V8 DefaultWorke", tid: 16, us: 200_000 },
      { label: "main", tid: 10, us: 100_000 },
    ],
  }, 100_000)!;
  const byRole = costByRole(cost, 2);
  assert.deepEqual(byRole, {
    totalUs: 60,
    mainUs: 1,
    busiestUs: 20,
    busiest: "io-1",
    byLabel: { "io-1": 20, "io-2": 15, "handler-1": 10, "handler-2": 9, other: 5, main: 1 },
  });
  assert.equal(costByRole(cost, 1).busiest, "io-1");
  assert.equal(costByRole(cost, 1).byLabel["handler-3"], 9);
});

Deno.test("costByRole() keeps the dash of a cost without threads", () => {
  const empty = cpuCost({ totalUs: 10, threads: [] }, 2)!;
  assert.equal(costByRole(empty, 2).busiest, "–");
});

Deno.test("compareRoles() orders main, I/O threads, handlers by number, then other", () => {
  const roles = ["other", "handler-10", "io-2", "handler-2", "main", "io-1"];
  assert.deepEqual(roles.sort(compareRoles), [
    "main",
    "io-1",
    "io-2",
    "handler-2",
    "handler-10",
    "other",
  ]);
  assert.equal(compareRoles("io-1", "io-1"), 0);
});

Deno.test("ioShares() splits the I/O threads' time between them, in thread order", () => {
  const cost = { totalUs: 10, mainUs: 0, busiestUs: 3, busiest: "io-2", byLabel: {} };
  assert.deepEqual(
    ioShares({ ...cost, byLabel: { "io-2": 3, "io-1": 1, "handler-1": 6 } }),
    [["io-1", 0.25], ["io-2", 0.75]],
  );
  assert.deepEqual(ioShares({ ...cost, byLabel: { main: 4, other: 6 } }), []);
  assert.deepEqual(ioShares({ ...cost, byLabel: { "io-1": 0, "io-2": 0 } }), []);
});
