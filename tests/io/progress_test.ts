import assert from "node:assert/strict";
import { progressAt, stampOf } from "../../lib/io/progress.ts";

const worker = (lastProgress: number, busyChangedAt = 0) => ({
  lastProgress,
  busyChangedAt,
});

Deno.test("stampOf() reads the worker's stamp, a little ahead of the main thread's clock too", () => {
  assert.equal(stampOf(worker(9_000), 10_000), 9_000);
  assert.equal(stampOf(worker(10_500), 10_000), 10_500);
});

Deno.test("stampOf() counts a stamp far in the future (written by an app into its board) as none", () => {
  assert.equal(stampOf(worker(10_000 + 60_000), 10_000), 0);
});

Deno.test("progressAt() is the later of the stamp and when the worker became busy", () => {
  assert.equal(progressAt(worker(1_000, 60_000), 60_001), 60_000);
  assert.equal(progressAt(worker(61_000, 60_000), 61_001), 61_000);
  assert.equal(progressAt(worker(1e12, 60_000), 60_001), 60_000);
});
