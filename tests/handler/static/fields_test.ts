import assert from "node:assert/strict";
import { NO_FIELDS, readFields } from "../../../lib/handler/static/fields.ts";

Deno.test("readFields() returns the shared NO_FIELDS when no wanted field is present", () => {
  assert.equal(readFields([["host", "a"], ["user-agent", "curl"]]), NO_FIELDS);
  assert.equal(readFields([]), NO_FIELDS);
});

Deno.test("readFields() picks conditional, range, negotiation and preflight fields", () => {
  const fields = readFields([
    ["if-none-match", '"a"'],
    ["if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT"],
    ["range", "bytes=0-1"],
    ["if-range", '"a"'],
    ["accept", "text/html"],
    ["accept-encoding", "br"],
    ["access-control-request-method", "GET"],
    ["accept-language", "en"],
  ]);
  assert.deepEqual({ ...fields }, {
    ifNoneMatch: '"a"',
    ifModifiedSince: "Sun, 06 Nov 1994 08:49:37 GMT",
    range: "bytes=0-1",
    ifRange: '"a"',
    accept: "text/html",
    acceptEncoding: "br",
    accessControlRequestMethod: "GET",
  });
});

Deno.test("readFields() joins a field sent on several lines with a comma", () => {
  const fields = readFields([["if-none-match", '"a"'], ["if-none-match", '"b"']]);
  assert.equal(fields.ifNoneMatch, '"a", "b"');
});
