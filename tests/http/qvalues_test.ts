import assert from "node:assert/strict";
import { mediaWeight, parseQualityList, preferredMedia } from "../../lib/http/qvalues.ts";

Deno.test("parseQualityList() reads members, weights and defaults, lower-cased", () => {
  assert.deepEqual(parseQualityList("gzip;q=0.5, BR ,identity;q=0,*;q=0.001"), [
    { value: "gzip", q: 0.5 },
    { value: "br", q: 1 },
    { value: "identity", q: 0 },
    { value: "*", q: 0.001 },
  ]);
});

Deno.test("parseQualityList() drops members with malformed weights and empty members", () => {
  assert.deepEqual(parseQualityList("a;q=2, b;q=0.1234, c;q=x, , d;Q=1.000, e;level=1"), [
    { value: "d", q: 1 },
    { value: "e", q: 1 },
  ]);
});

Deno.test("mediaWeight() uses the most specific matching range", () => {
  const accept = "text/*;q=0.5, text/html;q=0.9, */*;q=0.1";
  assert.deepEqual(mediaWeight(accept, "text/html"), { q: 0.9, specificity: 2 });
  assert.deepEqual(mediaWeight(accept, "text/plain"), { q: 0.5, specificity: 1 });
  assert.deepEqual(mediaWeight(accept, "image/png"), { q: 0.1, specificity: 0 });
  assert.deepEqual(mediaWeight("text/plain", "image/png"), { q: 0, specificity: -1 });
  assert.deepEqual(mediaWeight(undefined, "image/png"), { q: 1, specificity: 0 });
});

Deno.test("preferredMedia() prefers weight, then specificity, then the offered order", () => {
  const offered = ["text/html", "application/json"];
  assert.equal(preferredMedia("application/json", offered), "application/json");
  assert.equal(preferredMedia("application/json, */*", offered), "application/json");
  assert.equal(preferredMedia("*/*", offered), "text/html");
  assert.equal(preferredMedia(undefined, offered), "text/html");
  assert.equal(
    preferredMedia("text/html;q=0.5, application/json;q=0.6", offered),
    "application/json",
  );
  assert.equal(preferredMedia("image/png", offered), null);
});
