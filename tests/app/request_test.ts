import assert from "node:assert/strict";
import { requestUrl, toRequest } from "../../lib/app/request.ts";
import type { IncomingRequest } from "../../lib/worker/handler.ts";
import { HttpError } from "../../lib/http/errors.ts";
import { RequestBody } from "../../lib/worker/request_body.ts";

function incoming(method: string, target: string, headers: Array<[string, string]>) {
  return {
    head: {
      method,
      target,
      version: "HTTP/1.1",
      headers,
      framing: { kind: "none" },
      keepAlive: true,
      expectContinue: false,
    },
    remote: "127.0.0.1",
    port: 40000,
    completed: Promise.resolve(),
    body: RequestBody.none(),
    signal: new AbortController().signal,
  } as unknown as IncomingRequest;
}

function statusOf(thrower: () => unknown): number {
  try {
    thrower();
  } catch (error) {
    assert.ok(error instanceof HttpError, `expected an HttpError, got ${error}`);
    return error.status;
  }
  throw new assert.AssertionError({ message: "expected a throw" });
}

Deno.test("requestUrl: origin-form uses Host, absolute-form its authority, * maps to /", () => {
  assert.equal(requestUrl({ target: "/a?b=1", host: "h:8", scheme: "http" }), "http://h:8/a?b=1");
  assert.equal(requestUrl({ target: "http://x/y", host: "h", scheme: "http" }), "http://x/y");
  assert.equal(
    requestUrl({ target: "HTTP://x:81?q", host: "h", scheme: "http" }),
    "http://x:81/?q",
  );
  assert.equal(requestUrl({ target: "*", host: "h", scheme: "https" }), "https://h/");
  assert.equal(requestUrl({ target: "/", host: null, scheme: "http" }), "http://localhost/");
});

Deno.test("toRequest: method, URL and repeated headers reach the Request", () => {
  const request = toRequest(
    incoming("GET", "/p?q=1", [["host", "example.com"], ["x-a", "1"], ["x-a", "2"]]),
  );
  assert.equal(request.method, "GET");
  assert.equal(request.url, "http://example.com/p?q=1");
  assert.equal(request.headers.get("x-a"), "1, 2");
  assert.equal(request.body, null);
});

Deno.test("requestUrl: the scheme is the listener's, never the one an absolute-form target claims", () => {
  assert.equal(requestUrl({ target: "https://x/y", host: "h", scheme: "http" }), "http://x/y");
  assert.equal(requestUrl({ target: "http://x/y", host: "h", scheme: "https" }), "https://x/y");
});

Deno.test("toRequest: an absolute-form target's authority replaces Host (RFC 9112 §3.2.2)", () => {
  const request = toRequest(
    incoming("GET", "https://other.example:8443/p?q=1", [["x-a", "1"], ["host", "mine.example"]]),
  );
  assert.equal(request.url, "http://other.example:8443/p?q=1");
  assert.equal(request.headers.get("host"), "other.example:8443");
  assert.equal(request.headers.get("x-a"), "1");
  const withoutHost = toRequest(incoming("GET", "http://other.example/", []));
  assert.equal(withoutHost.headers.get("host"), "other.example");
});

Deno.test("toRequest: an absolute-form target with user information is 400", () => {
  assert.equal(
    statusOf(() => toRequest(incoming("GET", "http://user@other/", [["host", "h"]]))),
    400,
  );
});

Deno.test("toRequest: methods no Request can carry are 501, not a crash", () => {
  for (const method of ["TRACE", "CONNECT", "TRACK"]) {
    assert.equal(statusOf(() => toRequest(incoming(method, "/", [["host", "h"]]))), 501);
  }
});

Deno.test("toRequest: a Host that makes no URL is 400", () => {
  for (const host of ["t:99999", "1.2.3.4.5", "%zz"]) {
    assert.equal(statusOf(() => toRequest(incoming("GET", "/", [["host", host]]))), 400, host);
  }
});

Deno.test("toRequest: a lower-case get with a body is a GET without one, as fetch normalizes it", () => {
  const request = incoming("get", "/", [["host", "h"], ["content-length", "5"]]);
  (request as { body: unknown }).body = { state: "unread", stream: () => new ReadableStream() };
  const built = toRequest(request);
  assert.equal(built.method, "GET");
  assert.equal(built.body, null);
});
