import assert from "node:assert/strict";
import fc from "../_helpers/fast_check.ts";
import { findLineFeed } from "../../lib/http/line_feed.ts";
import { latin1 } from "./_helpers.ts";

Deno.test("findLineFeed() finds the first LF at or after the start", () => {
  const bytes = latin1("ab\ncd\n");
  assert.equal(findLineFeed(bytes, 0), 2);
  assert.equal(findLineFeed(bytes, 2), 2);
  assert.equal(findLineFeed(bytes, 3), 5);
  assert.equal(findLineFeed(bytes, 6), -1);
  assert.equal(findLineFeed(bytes, 60), -1);
  assert.equal(findLineFeed(new Uint8Array(0), 0), -1);
});

Deno.test("findLineFeed() finds an LF far past the short-line loop", () => {
  for (const length of [31, 32, 33, 64, 5000]) {
    const bytes = latin1("x".repeat(length) + "\n");
    assert.equal(findLineFeed(bytes, 0), length);
    assert.equal(findLineFeed(bytes.subarray(0, length), 0), -1);
  }
});

Deno.test("findLineFeed() agrees with Uint8Array#indexOf for any bytes and start", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }).map((bytes) => bytes.map((b) => (b < 8 ? 0x0a : b))),
      fc.nat(220),
      (bytes, from) => {
        assert.equal(findLineFeed(bytes, from), bytes.indexOf(0x0a, from));
      },
    ),
  );
});
