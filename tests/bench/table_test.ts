import assert from "node:assert/strict";
import {
  formatRatio,
  formatRoundRatios,
  formatRssLine,
  formatTable,
  medianReports,
} from "../../bench/table.ts";
import type { LoadResult } from "../../bench/stats.ts";

function result(fields: Partial<LoadResult>): LoadResult {
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

Deno.test("formatRatio() prints two decimals and a dash when a side is missing", () => {
  assert.equal(formatRatio(50, 100), "0.50×");
  assert.equal(formatRatio(300, 100), "3.00×");
  assert.equal(formatRatio(undefined, 100), "–");
  assert.equal(formatRatio(50, undefined), "–");
  assert.equal(formatRatio(50, 0), "–");
});

Deno.test("formatTable() compares small files with baseline_memory and large ones with baseline_stream", () => {
  const mib = 1024 * 1024;
  const table = formatTable([
    {
      name: "heiretsu",
      small: result({ requestsPerSec: 30_000, p50Ms: 1.234, p99Ms: 5, errors: 1 }),
      big: result({ bytesPerSec: 1500 * mib, errors: 2 }),
    },
    { name: "baseline_memory", small: result({ requestsPerSec: 40_000, p50Ms: 1, p99Ms: 4 }) },
    { name: "baseline_stream", big: result({ bytesPerSec: 1000 * mib }) },
  ]);
  assert.equal(
    table,
    [
      "| server | 1 KiB req/s | p50 | p99 | vs baseline_memory | 100 MiB MiB/s | vs baseline_stream | errors |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      "| heiretsu | 30000 | 1.23 ms | 5.00 ms | 0.75× | 1500 | 1.50× | 3 |",
      "| baseline_memory | 40000 | 1.00 ms | 4.00 ms | 1.00× | – | – | 0 |",
      "| baseline_stream | – | – | – | – | 1000 | 1.00× | 0 |",
    ].join("\n"),
  );
});

Deno.test("formatTable() prints dashes for a server that failed and ratios without baselines", () => {
  const table = formatTable([{ name: "heiretsu" }, {
    name: "x",
    small: result({ requestsPerSec: 5 }),
  }]);
  const rows = table.split("\n");
  assert.equal(rows[2], "| heiretsu | – | – | – | – | – | – | – |");
  assert.equal(rows[3], "| x | 5 | – | – | – | – | – | 0 |");
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

Deno.test("medianReports() takes each server's median per value; formatRoundRatios() lists rounds", () => {
  const round = (mine: number, theirs: number) => [
    { name: "heiretsu", small: result({ requestsPerSec: mine, errors: 1 }) },
    { name: "baseline_memory", small: result({ requestsPerSec: theirs }) },
  ];
  const rounds = [round(90, 100), round(120, 100), round(100, 80)];
  const [mine, theirs] = medianReports(rounds);
  assert.equal(mine.small?.requestsPerSec, 100);
  assert.equal(mine.small?.errors, 3);
  assert.equal(mine.big, undefined);
  assert.equal(theirs.small?.requestsPerSec, 100);
  assert.equal(
    formatRoundRatios(rounds, "heiretsu"),
    "heiretsu 1 KiB vs baseline_memory by round: 0.90× 1.20× 1.25× (median 1.20×)",
  );
});
