import assert from "node:assert/strict";
import type { CpuCost } from "../../bench/cpu_cost.ts";
import {
  formatIoShares,
  formatIoTable,
  formatPairLine,
  formatRatios,
  IO_TARGETS,
  type IoRound,
  roundRatios,
} from "../../bench/io_table.ts";
import type { Measured } from "../../bench/report.ts";

function cost(byLabel: Record<string, number>): CpuCost {
  const [busiest, busiestUs] = Object.entries(byLabel).sort(([, a], [, b]) => b - a)[0];
  const totalUs = Object.values(byLabel).reduce((sum, us) => sum + us, 0);
  return { totalUs, mainUs: byLabel.main ?? 0, busiestUs, busiest, byLabel };
}

function run(requestsPerSec: number, cpu?: CpuCost): Measured {
  return {
    tool: "wrk",
    requests: requestsPerSec * 5,
    durationS: 5,
    requestsPerSec,
    bytesPerSec: 0,
    p50Ms: 2,
    p99Ms: 9.5,
    errors: 0,
    cpu,
  };
}

const K1 = { name: "k1", label: "K=1" };
const K2 = { name: "k2", label: "K=2" };

/** Three rounds: K=2's busiest thread at 0.5×, 0.55× and 0.7× K=1's; its CPU at 1.1×, 1.1× and 1.07×. */
const ROUNDS: IoRound[] = [
  {
    k1: run(10_000, cost({ main: 1, "io-1": 20, "handler-1": 9 })),
    k2: run(12_000, cost({ main: 1, "io-1": 10, "io-2": 9, "handler-1": 9, other: 4 })),
  },
  {
    k1: run(11_000, cost({ main: 1, "io-1": 20, "handler-1": 9 })),
    k2: run(11_000, cost({ main: 1, "io-1": 11, "io-2": 9, "handler-1": 9, other: 3 })),
  },
  {
    k1: run(9_000, cost({ main: 1, "io-1": 20, "handler-1": 9 })),
    k2: run(13_000, cost({ main: 1, "io-1": 8, "io-2": 14, "handler-1": 9, other: 0 })),
  },
];

Deno.test("roundRatios() divides one server's figure by the other's in each round both ran", () => {
  const rounds: IoRound[] = [...ROUNDS, { k1: run(5_000) }, { k2: run(5_000), k1: undefined }];
  const ratios = roundRatios(rounds, {
    server: "k2",
    reference: "k1",
    pick: (m) => m.cpu?.busiestUs,
  });
  assert.deepEqual(ratios.map((r) => r.toFixed(2)), ["0.50", "0.55", "0.70"]);
  assert.deepEqual(
    roundRatios(ROUNDS, { server: "k2", reference: "k1", pick: (m) => m.requestsPerSec })
      .map((r) => r.toFixed(2)),
    ["1.20", "1.00", "1.44"],
  );
});

Deno.test("formatRatios() lists the rounds and says whether the median meets the target", () => {
  assert.equal(
    formatRatios([0.5, 0.55, 0.7], IO_TARGETS.busiest),
    "0.50× 0.55× 0.70× (median 0.55×; target ≤ 0.60×: met)",
  );
  assert.equal(
    formatRatios([1.2, 1.1, 1.3], IO_TARGETS.total),
    "1.20× 1.10× 1.30× (median 1.20×; target ≤ 1.15×: missed)",
  );
  assert.equal(formatRatios([2]), "2.00× (median 2.00×)");
  assert.equal(formatRatios([]), "–");
});

Deno.test("formatPairLine() gives busiest, CPU and rate ratios against the targets", () => {
  assert.equal(
    formatPairLine(ROUNDS, { server: K2, reference: K1, targets: IO_TARGETS }),
    "- K=2 ÷ K=1, by round: " +
      "busiest thread µs/req 0.50× 0.55× 0.70× (median 0.55×; target ≤ 0.60×: met); " +
      "CPU µs/req 1.10× 1.10× 1.07× (median 1.10×; target ≤ 1.15×: met); " +
      "req/s 1.20× 1.00× 1.44× (median 1.20×)",
  );
  assert.match(
    formatPairLine(ROUNDS, { server: K1, reference: K2 }),
    /busiest.* 2\.00× .*\(median 1\.82×\); CPU/,
  );
});

Deno.test("formatIoTable() shows medians with a column per role and ratios to the reference", () => {
  const table = formatIoTable(ROUNDS, { rows: [K1, K2], reference: "k1" })!;
  const lines = table.split("\n");
  assert.equal(
    lines[0],
    "| server | req/s | p50 | p99 | CPU µs/req | main µs/req | io-1 µs/req | io-2 µs/req | " +
      "handler-1 µs/req | other µs/req | busiest thread µs/req | its cap req/s | req/s vs K=1 | " +
      "CPU/req vs K=1 | errors |",
  );
  assert.equal(
    lines[2],
    "| K=1 | 10000 | 2.00 ms | 9.50 ms | 30.0 | 1.0 | 20.0 | – | 9.0 | – | 20.0 (io-1) | 50000 | " +
      "1.00× | 1.00× | 0 |",
  );
  assert.equal(
    lines[3],
    "| K=2 | 12000 | 2.00 ms | 9.50 ms | 33.0 | 1.0 | 10.0 | 9.0 | 9.0 | 3.0 | 11.0 (io-1) | 90909 | " +
      "1.20× | 1.10× | 0 |",
  );
});

Deno.test("formatIoTable() marks a server that never ran and has nothing without runs", () => {
  const table = formatIoTable(ROUNDS, {
    rows: [K1, { name: "gone", label: "gone" }],
    reference: "k1",
  })!;
  assert.equal(
    table.split("\n")[3],
    "| gone | – | – | – | – | – | – | – | – | – | – | – | – |",
  );
  assert.equal(formatIoTable([{}, {}], { rows: [K1], reference: "k1" }), undefined);
});

Deno.test("formatIoShares() gives each round's split of the I/O threads' time", () => {
  assert.equal(
    formatIoShares(ROUNDS, "k2"),
    "io-1 53% / io-2 47%, io-1 55% / io-2 45%, io-1 36% / io-2 64%",
  );
  assert.equal(formatIoShares(ROUNDS, "k1"), "io-1 100%, io-1 100%, io-1 100%");
  assert.equal(formatIoShares([{ k2: run(1) }], "k2"), "–");
});
