import assert from "node:assert/strict";
import type { CpuCost } from "../../bench/cpu_cost.ts";
import type { Measured, ServerReport } from "../../bench/report.ts";
import {
  formatRatio,
  formatRoundRatios,
  formatRssLine,
  formatScenarioTable,
  formatThreadLines,
  formatVersusTable,
} from "../../bench/table.ts";

const MIB = 1024 * 1024;

function result(fields: Partial<Measured>): Measured {
  return {
    tool: "wrk",
    requests: 1000,
    durationS: 10,
    requestsPerSec: 100,
    bytesPerSec: 0,
    p50Ms: NaN,
    p99Ms: NaN,
    errors: 0,
    ...fields,
  };
}

function cpu(totalUs: number, mainUs: number, byLabel: Record<string, number>): CpuCost {
  const [busiest, busiestUs] = Object.entries(byLabel).sort(([, a], [, b]) => b - a)[0];
  return { totalUs, mainUs, busiestUs, busiest, byLabel };
}

Deno.test("formatRatio() prints two decimals and a dash when a side is missing", () => {
  assert.equal(formatRatio(50, 100), "0.50×");
  assert.equal(formatRatio(300, 100), "3.00×");
  assert.equal(formatRatio(undefined, 100), "–");
  assert.equal(formatRatio(50, undefined), "–");
  assert.equal(formatRatio(50, 0), "–");
});

const HEIRETSU: ServerReport = {
  name: "heiretsu",
  small: result({
    requestsPerSec: 44_000,
    p50Ms: 1.234,
    p99Ms: 5,
    errors: 1,
    cpu: cpu(27.5, 12.5, { main: 12.5, "worker-1": 6.7, "worker-2": 6.6, "V8 DefaultWorke": 1.7 }),
  }),
  big: result({ bytesPerSec: 1500 * MIB, cpu: cpu(600, 300, { main: 300, "worker-1": 150 }) }),
};
const MEMORY: ServerReport = {
  name: "baseline_memory",
  label: "`Deno.serve`, file in memory",
  small: result({
    requestsPerSec: 65_000,
    p50Ms: 1,
    p99Ms: 4,
    cpu: cpu(15.6, 15, { main: 15, "V8 DefaultWorke": 0.6 }),
  }),
  big: result({ requests: 0, bytesPerSec: 0 }),
};
const STREAM: ServerReport = {
  name: "baseline_stream",
  big: result({ bytesPerSec: 1000 * MIB, cpu: cpu(500, 500, { main: 500 }) }),
};
const NGINX: ServerReport = {
  name: "nginx_1",
  label: "nginx, 1 worker",
  small: result({ requestsPerSec: 70_000, cpu: cpu(10.4, 0, { "nginx (child)": 10.4 }) }),
};

Deno.test("formatScenarioTable() shows rate, latency, CPU per request, threads, cap and ratios", () => {
  const rows = formatScenarioTable([HEIRETSU, MEMORY, STREAM, NGINX], "small")!.split("\n");
  assert.deepEqual(rows, [
    "| server | req/s | p50 | p99 | CPU µs/req | main thread µs/req | busiest thread µs/req | " +
    "its cap req/s | req/s vs baseline_memory | CPU vs baseline_memory | errors |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    "| heiretsu | 44000 | 1.23 ms | 5.00 ms | 27.5 | 12.5 | 12.5 (main) | 80000 | 0.68× | 1.76× | 1 |",
    "| `Deno.serve`, file in memory | 65000 | 1.00 ms | 4.00 ms | 15.6 | 15.0 | 15.0 (main) | " +
    "66667 | 1.00× | 1.00× | 0 |",
    "| nginx, 1 worker | 70000 | – | – | 10.4 | 0.0 | 10.4 (nginx (child)) | 96154 | 1.08× | " +
    "0.67× | 0 |",
  ]);
});

Deno.test("formatScenarioTable() measures large files per MiB against baseline_stream", () => {
  const rows = formatScenarioTable([HEIRETSU, MEMORY, STREAM], "big")!.split("\n");
  assert.match(rows[0], /\| MiB\/s \| p50 \| p99 \| CPU µs\/MiB \| main thread µs\/MiB \|/);
  assert.match(rows[0], /its cap MiB\/s \| MiB\/s vs baseline_stream \| CPU vs baseline_stream/);
  assert.equal(
    rows[2],
    "| heiretsu | 1500 | – | – | 600.0 | 300.0 | 300.0 (main) | 3333 | 1.50× | 1.20× | 0 |",
  );
  // Nothing completed: no CPU per MiB to show.
  assert.equal(
    rows[3],
    "| `Deno.serve`, file in memory | 0 | – | – | – | – | – | – | 0.00× | – | 0 |",
  );
});

Deno.test("formatScenarioTable() says n/a without CPU figures and skips an unrun scenario", () => {
  const table = formatScenarioTable([{ name: "x", small: result({ requestsPerSec: 5 }) }], "small");
  assert.equal(table!.split("\n")[2], "| x | 5 | – | – | n/a | n/a | n/a | n/a | – | – | 0 |");
  assert.equal(formatScenarioTable([HEIRETSU, MEMORY], "app"), undefined);
});

Deno.test("formatThreadLines() breaks each server's CPU down by thread", () => {
  assert.equal(
    formatThreadLines([HEIRETSU, MEMORY, STREAM], "small"),
    "- heiretsu: main 12.5, worker-1 6.7, worker-2 6.6, V8 DefaultWorke 1.7\n" +
      "- `Deno.serve`, file in memory: main 15.0, V8 DefaultWorke 0.6",
  );
  assert.equal(formatThreadLines([{ name: "x", small: result({}) }], "small"), "");
});

Deno.test("formatVersusTable() divides heiretsu's figures by every baseline's", () => {
  const rows = formatVersusTable([HEIRETSU, MEMORY, STREAM, NGINX], "heiretsu")!.split("\n");
  assert.deepEqual(rows.slice(2), [
    "| 1 KiB | `Deno.serve`, file in memory | 0.68× | 1.76× | 0.83× |",
    "| 1 KiB | nginx, 1 worker | 0.63× | 2.64× | 1.20× |",
    // baseline_memory completed no 100 MiB response: no row.
    "| 100 MiB | baseline_stream | 1.50× | 1.20× | 0.60× |",
  ]);
  assert.equal(formatVersusTable([MEMORY], "heiretsu"), undefined);
});

Deno.test("formatRoundRatios() lists each round's rate and CPU ratios with their median", () => {
  const round = (mine: number, theirs: number, cost: number) => [
    { name: "heiretsu", small: result({ requestsPerSec: mine, cpu: cpu(cost, 1, { main: 1 }) }) },
    {
      name: "baseline_memory",
      small: result({ requestsPerSec: theirs, cpu: cpu(10, 1, { main: 1 }) }),
    },
  ];
  assert.equal(
    formatRoundRatios([round(90, 100, 20), round(120, 100, 15), round(100, 80, 18)], "heiretsu"),
    "heiretsu 1 KiB vs baseline_memory by round: req/s 0.90× 1.20× 1.25× (median 1.20×); " +
      "CPU/req 2.00× 1.50× 1.80× (median 1.80×)",
  );
  const withoutCpu = [[{ name: "heiretsu", app: result({}) }, {
    name: "deno_serve",
    app: result({}),
  }]];
  assert.equal(
    formatRoundRatios(withoutCpu, "heiretsu"),
    "heiretsu app vs deno_serve by round: req/s 1.00× (median 1.00×)",
  );
});

Deno.test("formatRssLine() reports peak and starting RSS in MiB", () => {
  const line = formatRssLine({
    server: "heiretsu",
    readers: 20,
    durationS: 5,
    startKiB: 40 * 1024,
    peakKiB: 61.5 * 1024,
    bytesRead: 100 * 1024 * 1024,
  });
  assert.equal(
    line,
    "heiretsu peak RSS with 20 slow readers of the 100 MiB file for 5 s: 61.5 MiB " +
      "(40.0 MiB before; readers got 100.0 MiB in total)",
  );
});
