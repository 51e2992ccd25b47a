import assert from "node:assert/strict";
import { DEFAULTS, type StaticSettings } from "../../../lib/config/settings.ts";
import {
  cacheControl,
  finishHeaders,
  headerPolicy,
  optionsResponse,
  pageResponse,
} from "../../../lib/handler/static/respond.ts";

const settings = (changes: Partial<StaticSettings>): StaticSettings => ({
  ...DEFAULTS,
  ...changes,
});

Deno.test("headerPolicy() returns the same policy while the settings object is the same", () => {
  const a = settings({});
  assert.equal(headerPolicy(a), headerPolicy(a));
  assert.notEqual(headerPolicy(settings({})), headerPolicy(a));
});

Deno.test("headerPolicy() by default adds only nosniff", () => {
  const policy = headerPolicy(DEFAULTS);
  assert.deepEqual(policy.common, [["x-content-type-options", "nosniff"]]);
  assert.deepEqual(policy.vary, []);
});

Deno.test("headerPolicy() with one CORS origin adds it, exposed headers and Vary: Origin", () => {
  const policy = headerPolicy(settings({ cors: "https://a.example" }));
  assert.deepEqual(policy.common.map(([name]) => name), [
    "x-content-type-options",
    "access-control-allow-origin",
    "access-control-expose-headers",
  ]);
  assert.deepEqual(policy.vary, ["Origin"]);
  assert.deepEqual(headerPolicy(settings({ cors: "*" })).vary, []);
});

Deno.test("headerPolicy() lets --header replace its own headers", () => {
  const policy = headerPolicy(settings({
    extraHeaders: [["x-content-type-options", "off"], ["x-a", "1"]],
  }));
  assert.deepEqual(policy.common, [["x-content-type-options", "off"], ["x-a", "1"]]);
});

Deno.test("finishHeaders() merges Vary members and drops headers --header replaces", () => {
  const policy = headerPolicy(
    settings({ cors: "https://a.example", extraHeaders: [["etag", "x"]] }),
  );
  const headers = finishHeaders([["etag", '"a"'], ["content-length", "1"]], {
    policy,
    vary: ["Accept-Encoding"],
  });
  assert.deepEqual(headers.filter(([name]) => name === "etag" || name === "vary"), [
    ["vary", "Accept-Encoding, Origin"],
    ["etag", "x"],
  ]);
  assert.equal(headers[0][0], "content-length");
});

Deno.test("cacheControl() gives HTML no-cache and other types the setting", () => {
  const policy = headerPolicy(settings({ cacheControl: "max-age=60" }));
  assert.equal(cacheControl("text/html; charset=utf-8", policy), "no-cache");
  assert.equal(cacheControl("text/css; charset=utf-8", policy), "max-age=60");
});

Deno.test("pageResponse() sends the page to GET and only its headers to HEAD", () => {
  const policy = headerPolicy(DEFAULTS);
  const get = pageResponse({ status: 403, method: "GET" }, policy);
  assert.equal(get.status, 403);
  assert.equal(get.body.kind, "bytes");
  const head = pageResponse({ status: 403, method: "HEAD" }, policy);
  assert.deepEqual(head.headers, get.headers);
  assert.deepEqual(head.body, { kind: "empty" });
});

Deno.test("optionsResponse() answers a CORS preflight only when CORS is on", () => {
  const preflight = { accessControlRequestMethod: "GET", accessControlRequestHeaders: "x-a" };
  const off = optionsResponse(preflight, headerPolicy(DEFAULTS));
  assert.equal(off.status, 204);
  assert.ok(!off.headers.some(([name]) => name.startsWith("access-control-")));
  const on = optionsResponse(preflight, headerPolicy(settings({ cors: "*" })));
  const names = on.headers.map(([name]) => name);
  for (
    const name of [
      "access-control-allow-methods",
      "access-control-allow-headers",
      "access-control-max-age",
      "access-control-allow-origin",
      "vary",
    ]
  ) {
    assert.ok(names.includes(name), name);
  }
  assert.ok(!names.includes("content-length"));
});

Deno.test("pageResponse() builds each plain page once per policy, HEAD apart, and others each time", () => {
  const policy = headerPolicy(settings({}));
  const page = pageResponse({ status: 404, method: "GET" }, policy);
  assert.equal(pageResponse({ status: 404, method: "GET" }, policy), page);
  assert.ok(Object.isFrozen(page) && Object.isFrozen(page.headers));
  const head = pageResponse({ status: 404, method: "HEAD" }, policy);
  assert.notEqual(head, page);
  assert.equal(head.body.kind, "empty");
  const detailed = pageResponse({ status: 404, method: "GET", detail: "x" }, policy);
  assert.notEqual(detailed, pageResponse({ status: 404, method: "GET", detail: "x" }, policy));
});
