import assert from "node:assert/strict";
import fc from "../_helpers/fast_check.ts";
import { HttpError } from "../../lib/http/errors.ts";
import { httpDate } from "../../lib/http/date.ts";

const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

Deno.test("httpDate() formats the RFC 9110 example as IMF-fixdate", () => {
  assert.equal(httpDate(Date.UTC(1994, 10, 6, 8, 49, 37)), "Sun, 06 Nov 1994 08:49:37 GMT");
});

Deno.test("httpDate() formats the current time as IMF-fixdate", () => {
  assert.match(httpDate(), IMF_FIXDATE);
});

Deno.test("httpDate() returns the same string within one second and a new one after", () => {
  const second = Date.UTC(2024, 1, 29, 23, 59, 59);
  const first = httpDate(second);
  assert.equal(httpDate(second + 999), first);
  assert.equal(httpDate(second + 500), first);
  assert.equal(httpDate(second + 1000), "Fri, 01 Mar 2024 00:00:00 GMT");
});

Deno.test("httpDate() keeps the clock's second cached while other seconds come and go", () => {
  const now = Date.UTC(2030, 0, 1);
  const modified = Date.UTC(2001, 8, 9, 1, 46, 40);
  for (let i = 0; i < 3; i++) {
    assert.equal(httpDate(now), "Tue, 01 Jan 2030 00:00:00 GMT");
    assert.equal(httpDate(modified + i * 1000), `Sun, 09 Sep 2001 01:46:4${i} GMT`);
  }
});

Deno.test("httpDate() matches IMF-fixdate and Date#toUTCString for any time in years 1970-9999", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 253402300799999 }), (ms) => {
      const text = httpDate(ms);
      assert.match(text, IMF_FIXDATE);
      assert.equal(Date.parse(text), Math.floor(ms / 1000) * 1000);
    }),
    { numRuns: 200 },
  );
});

Deno.test("httpDate() throws a 500 HttpError for a time Date cannot represent", () => {
  assert.throws(() => httpDate(NaN), HttpError);
  assert.throws(() => httpDate(9e15), HttpError);
});
