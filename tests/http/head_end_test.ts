import assert from "node:assert/strict";
import { findHeadEnd } from "../../lib/http/head_end.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("findHeadEnd() finds the blank line after CRLF and bare LF heads", () => {
  assert.equal(findHeadEnd(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 0), 27);
  assert.equal(findHeadEnd(bytes("GET / HTTP/1.1\nHost: a\n\nbody"), 0), 24);
  assert.equal(findHeadEnd(bytes("GET / HTTP/1.0\r\n\r\nGET /next"), 0), 18);
});

Deno.test("findHeadEnd() returns -1 until the blank line arrives", () => {
  const whole = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  for (let cut = 0; cut < whole.length; cut++) {
    assert.equal(findHeadEnd(bytes(whole.slice(0, cut)), 0), -1, `cut at ${cut}`);
  }
});

Deno.test("findHeadEnd() resumes a search from length minus 3 at every split", () => {
  const whole = bytes("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n");
  for (let cut = 1; cut < whole.length; cut++) {
    const first = findHeadEnd(whole.subarray(0, cut), 0);
    const resumed = first === -1 ? findHeadEnd(whole, Math.max(0, cut - 3)) : first;
    assert.equal(resumed, whole.length, `cut at ${cut}`);
  }
});
