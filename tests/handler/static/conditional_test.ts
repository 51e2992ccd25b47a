import assert from "node:assert/strict";
import fc from "../../_helpers/fast_check.ts";
import {
  evaluatePreconditions,
  ifRangeHolds,
  parseHttpDate,
  strongEtag,
  type Validators,
} from "../../../lib/handler/static/conditional.ts";
import { httpDate } from "../../../lib/http/date.ts";

const MODIFIED = Date.UTC(2024, 4, 1, 12, 0, 0);
const CURRENT: Validators = { etag: '"abc-10"', modifiedMs: MODIFIED };
const BEFORE = httpDate(MODIFIED - 1000);
const AT = httpDate(MODIFIED);

Deno.test("strongEtag() encodes mtime and size in hex, with the coding of a sibling", () => {
  assert.equal(strongEtag({ size: 420, mtimeMs: 1_700_000_000_000.7 }), '"18bcfe56800-1a4"');
  assert.equal(strongEtag({ size: 420, mtimeMs: 1_700_000_000_000 }, "br"), '"18bcfe56800-1a4-br"');
});

Deno.test("parseHttpDate() accepts IMF-fixdate, RFC 850 and asctime", () => {
  const expected = 784111777000;
  assert.equal(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), expected);
  assert.equal(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), expected);
  assert.equal(parseHttpDate("Sun Nov  6 08:49:37 1994"), expected);
  assert.equal(parseHttpDate(" Sun, 06 Nov 1994 08:49:37 GMT "), expected);
});

Deno.test("parseHttpDate() rejects other formats and impossible dates", () => {
  for (
    const text of [
      "",
      "yesterday",
      "1994-11-06T08:49:37Z",
      "Sun, 06 Nov 1994 08:49:37 UTC",
      "Sun, 31 Feb 1994 08:49:37 GMT",
      "Sun, 06 Foo 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 24:49:37 GMT",
      "Sun, 6 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT",
    ]
  ) {
    assert.equal(parseHttpDate(text), null, text);
  }
});

Deno.test("parseHttpDate() reads back every date httpDate() writes", () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 253402300799000 }), (ms) => {
    assert.equal(parseHttpDate(httpDate(ms)), Math.floor(ms / 1000) * 1000);
  }));
});

Deno.test("evaluatePreconditions() answers 304 for a matching If-None-Match, weak or strong", () => {
  for (const list of ['"abc-10"', 'W/"abc-10"', '"x", W/"abc-10"', "*", ' "x" ,"abc-10" ']) {
    assert.equal(evaluatePreconditions({ ifNoneMatch: list }, CURRENT), "not-modified", list);
  }
  const weakCurrent = { ...CURRENT, etag: 'W/"abc-10-br"' };
  assert.equal(evaluatePreconditions({ ifNoneMatch: '"abc-10-br"' }, weakCurrent), "not-modified");
});

Deno.test("evaluatePreconditions() proceeds for other or malformed If-None-Match lists", () => {
  for (const list of ['"abc-1"', "abc-10", '"abc-10', '"x" "abc-10"']) {
    assert.equal(evaluatePreconditions({ ifNoneMatch: list }, CURRENT), "proceed", list);
  }
});

Deno.test("evaluatePreconditions() uses If-Modified-Since only without If-None-Match", () => {
  assert.equal(evaluatePreconditions({ ifModifiedSince: AT }, CURRENT), "not-modified");
  assert.equal(evaluatePreconditions({ ifModifiedSince: BEFORE }, CURRENT), "proceed");
  assert.equal(evaluatePreconditions({ ifModifiedSince: "garbage" }, CURRENT), "proceed");
  assert.equal(
    evaluatePreconditions({ ifModifiedSince: AT, ifNoneMatch: '"other"' }, CURRENT),
    "proceed",
  );
  assert.equal(
    evaluatePreconditions({ ifModifiedSince: AT }, { etag: null, modifiedMs: null }),
    "proceed",
  );
});

Deno.test("evaluatePreconditions() fails If-Match without a strong match with 412", () => {
  assert.equal(evaluatePreconditions({ ifMatch: '"abc-10"' }, CURRENT), "proceed");
  assert.equal(evaluatePreconditions({ ifMatch: "*" }, CURRENT), "proceed");
  assert.equal(evaluatePreconditions({ ifMatch: 'W/"abc-10"' }, CURRENT), "precondition-failed");
  assert.equal(evaluatePreconditions({ ifMatch: '"nope"' }, CURRENT), "precondition-failed");
  const weakCurrent = { ...CURRENT, etag: 'W/"abc-10"' };
  assert.equal(evaluatePreconditions({ ifMatch: '"abc-10"' }, weakCurrent), "precondition-failed");
});

Deno.test("evaluatePreconditions() fails a stale If-Unmodified-Since unless If-Match is sent", () => {
  assert.equal(
    evaluatePreconditions({ ifUnmodifiedSince: BEFORE }, CURRENT),
    "precondition-failed",
  );
  assert.equal(evaluatePreconditions({ ifUnmodifiedSince: AT }, CURRENT), "proceed");
  assert.equal(
    evaluatePreconditions({ ifUnmodifiedSince: BEFORE, ifMatch: '"abc-10"' }, CURRENT),
    "proceed",
  );
});

Deno.test("evaluatePreconditions() checks If-Match before If-None-Match", () => {
  const fields = { ifMatch: '"nope"', ifNoneMatch: '"abc-10"' };
  assert.equal(evaluatePreconditions(fields, CURRENT), "precondition-failed");
});

Deno.test("ifRangeHolds() matches the current strong tag or exact date only", () => {
  assert.equal(ifRangeHolds('"abc-10"', CURRENT), true);
  assert.equal(ifRangeHolds('W/"abc-10"', CURRENT), false);
  assert.equal(ifRangeHolds('"abc-9"', CURRENT), false);
  assert.equal(ifRangeHolds(AT, CURRENT), true);
  assert.equal(ifRangeHolds(BEFORE, CURRENT), false);
  assert.equal(ifRangeHolds(httpDate(MODIFIED + 1000), CURRENT), false);
  assert.equal(ifRangeHolds("garbage", CURRENT), false);
  assert.equal(ifRangeHolds('W/"abc-10"', { ...CURRENT, etag: 'W/"abc-10"' }), false);
});
