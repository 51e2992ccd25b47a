import assert from "node:assert/strict";
import {
  cpuDelta,
  type CpuSnapshot,
  parseClockTicks,
  parseStatLine,
  threadLabel,
} from "../../bench/proc_stat.ts";

/** Recorded on the bench machine: a heiretsu process and one of its V8 helper threads. */
const HEIRETSU_PROCESS =
  "20363 (deno) S 1 20360 16263 0 -1 4194304 13165 0 0 0 13 11 0 0 20 0 10 0 82463 20521099264 " +
  "23573 18446744073709551615 94771368939520 94771432852336 140723776109472 0 0 0 0 4100 17987 0 " +
  "0 0 17 1 0 0 0 0 0 94771435419752 94771435652544 94772393213952 140723776117386 " +
  "140723776117477 140723776117477 140723776118762 0\n";
const V8_THREAD =
  "20366 (V8 DefaultWorke) S 1 20360 16263 0 -1 4194368 1187 0 0 0 0 1 0 0 20 0 10 0 82466 " +
  "20521099264 23573 18446744073709551615 94771368939520 94771432852336 140723776109472 0 0 0 0 " +
  "4100 17987 1 0 0 -1 1 0 0 0 0 0 94771435419752 94771435652544 94772393213952 " +
  "140723776117386 140723776117477 140723776117477 140723776118762 0\n";
/** Recorded: an init process whose reaped children used 971 + 746 ticks. */
const INIT = "1 (process_api) S 0 0 0 0 -1 4194560 38911 588633 0 152 111 380 971 746 10 -10 13 " +
  "0 28 45772800 3406 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 " +
  "0 0 0";

/** A stat line in the kernel's layout with chosen times. */
function statLine(id: number, comm: string, ticks: { utime: number; stime: number }): string {
  return `${id} (${comm}) R 7 7 7 0 -1 4194304 102 0 0 0 ${ticks.utime} ${ticks.stime} 0 0 20 0 ` +
    "1 0 78560 3133440 389 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0";
}

Deno.test("parseStatLine() reads pid, comm, parent and user plus system ticks", () => {
  assert.deepEqual(parseStatLine(HEIRETSU_PROCESS), {
    id: 20363,
    comm: "deno",
    ppid: 1,
    ticks: 24,
    childTicks: 0,
  });
  assert.deepEqual(parseStatLine(V8_THREAD), {
    id: 20366,
    comm: "V8 DefaultWorke",
    ppid: 1,
    ticks: 1,
    childTicks: 0,
  });
});

Deno.test("parseStatLine() adds the reaped children's ticks separately", () => {
  const init = parseStatLine(INIT);
  assert.equal(init.ticks, 111 + 380);
  assert.equal(init.childTicks, 971 + 746);
});

Deno.test("parseStatLine() takes the comm up to the last parenthesis", () => {
  for (const comm of ["a) (b", "x) R 1 2 3 (", ") ) )", "", "tab\there"]) {
    const fields = parseStatLine(statLine(99, comm, { utime: 5, stime: 2 }));
    assert.equal(fields.comm, comm);
    assert.equal(fields.ticks, 7);
    assert.equal(fields.ppid, 7);
  }
});

Deno.test("parseStatLine() rejects cut and malformed lines naming the field", () => {
  assert.throws(() => parseStatLine(""), /pid and comm/);
  assert.throws(() => parseStatLine("deno) S 1"), /pid and comm/);
  assert.throws(() => parseStatLine("12 (deno) S 1 2 3"), /field 14/);
  assert.throws(() => parseStatLine(statLine(1, "x", { utime: -1, stime: 0 })), /field 14/);
});

Deno.test("parseClockTicks() reads getconf's answer and falls back to 100", () => {
  assert.equal(parseClockTicks("100\n"), 100);
  assert.equal(parseClockTicks("1000"), 1000);
  assert.equal(parseClockTicks(""), 100);
  assert.equal(parseClockTicks("undefined\n"), 100);
  assert.equal(parseClockTicks("0"), 100);
});

Deno.test("threadLabel() names the main thread, keeps thread names and marks child processes", () => {
  assert.equal(threadLabel({ pid: 7, tid: 7, comm: "deno", ticks: 0 }, 7), "main");
  assert.equal(threadLabel({ pid: 7, tid: 9, comm: "worker-1", ticks: 0 }, 7), "worker-1");
  assert.equal(threadLabel({ pid: 8, tid: 8, comm: "nginx", ticks: 0 }, 7), "nginx (child)");
});

function snapshot(parts: Partial<CpuSnapshot>): CpuSnapshot {
  return { rootPid: 7, processes: [], threads: [], ...parts };
}

Deno.test("cpuDelta() converts ticks to µs per thread, largest first, new threads from zero", () => {
  const before = snapshot({
    processes: [{ pid: 7, ticks: 100, childTicks: 0 }],
    threads: [
      { pid: 7, tid: 7, comm: "deno", ticks: 60 },
      { pid: 7, tid: 9, comm: "worker-1", ticks: 40 },
    ],
  });
  const after = snapshot({
    processes: [{ pid: 7, ticks: 250, childTicks: 0 }],
    threads: [
      { pid: 7, tid: 7, comm: "deno", ticks: 110 },
      { pid: 7, tid: 9, comm: "worker-1", ticks: 120 },
      { pid: 7, tid: 11, comm: "tokio-runtime-w", ticks: 20 },
    ],
  });
  assert.deepEqual(cpuDelta(before, after, 100), {
    totalUs: 1_500_000,
    threads: [
      { label: "worker-1", tid: 9, us: 800_000 },
      { label: "main", tid: 7, us: 500_000 },
      { label: "tokio-runtime-w", tid: 11, us: 200_000 },
    ],
  });
  assert.equal(cpuDelta(before, after, 1000).totalUs, 150_000);
});

Deno.test("cpuDelta() counts exited threads and reaped children in the total once", () => {
  const before = snapshot({
    processes: [{ pid: 7, ticks: 10, childTicks: 0 }, { pid: 8, ticks: 30, childTicks: 0 }],
    threads: [{ pid: 7, tid: 7, comm: "nginx", ticks: 10 }, {
      pid: 8,
      tid: 8,
      comm: "nginx",
      ticks: 30,
    }],
  });
  // The child used 20 more ticks and was reaped; a thread of the root that ran 5 ticks exited.
  const after = snapshot({
    processes: [{ pid: 7, ticks: 15, childTicks: 50 }],
    threads: [{ pid: 7, tid: 7, comm: "nginx", ticks: 10 }],
  });
  const delta = cpuDelta(before, after, 100);
  assert.equal(delta.totalUs, (5 + 20) * 10_000);
  assert.deepEqual(delta.threads, [{ label: "main", tid: 7, us: 0 }]);
});

Deno.test("cpuDelta() starts a reused thread id from zero", () => {
  const before = snapshot({ threads: [{ pid: 7, tid: 12, comm: "old", ticks: 90 }] });
  const after = snapshot({ threads: [{ pid: 7, tid: 12, comm: "new", ticks: 3 }] });
  assert.deepEqual(cpuDelta(before, after, 100).threads, [{ label: "new", tid: 12, us: 30_000 }]);
});

Deno.test("cpuDelta() refuses snapshots of different servers", () => {
  assert.throws(() => cpuDelta(snapshot({}), snapshot({ rootPid: 8 }), 100), /pid 7 and 8/);
});
