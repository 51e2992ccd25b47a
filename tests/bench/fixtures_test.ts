import assert from "node:assert/strict";
import { join } from "node:path";
import { createFixtures, fillRandom } from "../../bench/fixtures.ts";

Deno.test("fillRandom() fills buffers beyond the 64 KiB getRandomValues limit", () => {
  const bytes = fillRandom(new Uint8Array(200_000));
  // A zero-filled tail would mean a chunk was skipped.
  assert.ok(bytes.subarray(190_000).some((byte) => byte !== 0));
  assert.ok(bytes.subarray(65_536, 70_000).some((byte) => byte !== 0));
});

Deno.test("createFixtures() writes both files at the requested sizes", async () => {
  const fixtures = await createFixtures({ smallBytes: 1024, bigBytes: 3 * 1024 * 1024 + 5 });
  try {
    assert.equal((await Deno.stat(join(fixtures.dir, fixtures.smallName))).size, 1024);
    const big = await Deno.readFile(join(fixtures.dir, fixtures.bigName));
    assert.equal(big.length, 3 * 1024 * 1024 + 5);
    // Random chunks: the second MiB must not repeat the first.
    assert.notDeepEqual(big.subarray(0, 64), big.subarray(1024 * 1024, 1024 * 1024 + 64));
  } finally {
    await Deno.remove(fixtures.dir, { recursive: true });
  }
});
