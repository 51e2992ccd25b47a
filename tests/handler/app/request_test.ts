import assert from "node:assert/strict";
import { requestUrl, toRequest } from "../../../lib/handler/app/request.ts";
import type { IncomingRequest } from "../../../lib/handler/handler.ts";
import { HttpError } from "../../../lib/http/errors.ts";
import { RequestBody } from "../../../lib/handler/request_body.ts";
import type { RequestParser } from "../../../lib/http/parser.ts";

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

/** Bodies for requests that have one: the bytes, pulled as a Request stream would be. */
function withBody(request: IncomingRequest, text: string): IncomingRequest {
  const stream = () => new Response(text).body!;
  (request as { body: unknown }).body = { state: "unread", stream };
  return request;
}

Deno.test("toRequest() gives the fields in order, repeats and all, as a Request given them at once", () => {
  const fields: Array<[string, string]> = [
    ["host", "example.com"],
    ["x-b", " padded "],
    ["accept", "*/*"],
    ["x-a", "1"],
    ["cookie", "a=1"],
    ["x-a", "2"],
    ["cookie", "b=2"],
    ["set-cookie", "c=3"],
    ["set-cookie", "d=4"],
  ];
  // The two Cookie fields are one, joined with "; " (see the test on cookies below).
  const joined = fields.filter(([name]) => name !== "cookie").concat([["cookie", "a=1; b=2"]]);
  for (const method of ["GET", "HEAD", "OPTIONS", "DELETE", "POST"]) {
    const built = toRequest(incoming(method, "/", fields));
    const expected = new Request("http://example.com/", { method, headers: joined });
    assert.deepEqual([...built.headers], [...expected.headers], method);
    assert.deepEqual(built.headers.getSetCookie(), ["c=3", "d=4"]);
    assert.equal(built.method, method);
  }
});

Deno.test("toRequest() headers are the request's own: clone() and new Request(request) keep them", () => {
  const fields: Array<[string, string]> = [["host", "h"], ["x-a", "1"], ["x-a", "2"], ["x-b", "3"]];
  const built = toRequest(incoming("GET", "/p", fields));
  const expected = [["host", "h"], ["x-a", "1, 2"], ["x-b", "3"]];
  assert.deepEqual([...built.clone().headers], expected);
  assert.deepEqual([...new Request(built).headers], expected);
  assert.deepEqual([...new Request(built, { method: "PUT" }).headers], expected);
  assert.equal(new Request(built).url, "http://h/p");
});

Deno.test("toRequest() gives a request with a body its method, fields and bytes", async () => {
  for (const method of ["POST", "PUT", "patch", "delete"]) {
    const fields: Array<[string, string]> = [["host", "h"], ["content-type", "text/plain"]];
    const built = toRequest(withBody(incoming(method, "/", fields), "abc"));
    assert.equal(built.method, method === "delete" ? "DELETE" : method);
    assert.deepEqual([...built.headers], [...new Headers(fields)]);
    assert.equal(await built.clone().text(), "abc");
    assert.equal(await built.text(), "abc");
  }
});

Deno.test("toRequest() a lower-case standard method is upper-cased, another is kept", () => {
  assert.equal(toRequest(incoming("get", "/", [["host", "h"]])).method, "GET");
  assert.equal(toRequest(incoming("head", "/", [["host", "h"]])).method, "HEAD");
  assert.equal(toRequest(incoming("options", "/", [["host", "h"]])).method, "OPTIONS");
  assert.equal(toRequest(incoming("patch", "/", [["host", "h"]])).method, "patch");
  assert.equal(toRequest(incoming("PURGE", "/", [["host", "h"]])).method, "PURGE");
});

Deno.test("toRequest() reads the signal only when the app does", () => {
  const controller = new AbortController();
  let reads = 0;
  const request = incoming("GET", "/", [["host", "h"]]);
  Object.defineProperty(request, "signal", {
    get: () => {
      reads++;
      return controller.signal;
    },
  });
  const built = toRequest(request);
  assert.equal(reads, 0);
  assert.equal(built.signal, controller.signal);
  controller.abort();
  assert.equal(built.signal.aborted, true);
  assert.equal(reads, 2);
});

Deno.test("toRequest() a field value Request refuses is 400", () => {
  for (const value of ["a\nb", "a\0b", "a\rb"]) {
    const fields: Array<[string, string]> = [["host", "h"], ["x-a", value]];
    assert.equal(statusOf(() => toRequest(incoming("GET", "/", fields))), 400);
    assert.equal(statusOf(() => toRequest(withBody(incoming("POST", "/", fields), "x"))), 400);
  }
});

Deno.test('toRequest() joins Cookie fields with "; " (RFC 6265 §5.4), not ", "', () => {
  const fields: Array<[string, string]> = [
    ["host", "h"],
    ["cookie", "a=1; b=2"],
    ["x-a", "1"],
    ["cookie", "c=3"],
  ];
  const built = toRequest(incoming("GET", "/", fields));
  assert.equal(built.headers.get("cookie"), "a=1; b=2; c=3");
  assert.equal(
    toRequest(incoming("GET", "/", [["host", "h"], ["cookie", "a=1"]])).headers
      .get("cookie"),
    "a=1",
  );
});

Deno.test("toRequest() keeps a backslash of the target: the app's path is the one the client sent", () => {
  // URL parsing reads "\\" as "/" in an http URL: "/public\\..\\admin" would have been "/admin".
  const built = toRequest(incoming("GET", "/public\\..\\admin?q=\\", [["host", "h"]]));
  assert.equal(new URL(built.url).pathname, "/public%5C..%5Cadmin");
  assert.equal(new URL(built.url).searchParams.get("q"), "\\");
  // A backslash in an absolute-form authority makes no host: 400.
  assert.equal(statusOf(() => toRequest(incoming("GET", "http://a\\b/c", [["host", "h"]]))), 400);
});

Deno.test("toRequest() an absolute-form target without a host is 400, not a host taken from its path", () => {
  assert.equal(
    statusOf(() => toRequest(incoming("GET", "http:///admin/panel", [["host", "h"]]))),
    400,
  );
});

Deno.test("toRequest() reads no body byte, and sends no 100 Continue, until the app reads", async () => {
  const events = [{ kind: "body", data: new TextEncoder().encode("abc") }, { kind: "end" }];
  let firstReads = 0;
  const body = new RequestBody({
    parser: { next: () => events.shift() } as unknown as RequestParser,
    maxBodyBytes: 1024,
    needData: () => Promise.resolve(false),
    onFirstRead: () => void firstReads++,
  });
  const request = incoming("POST", "/", [["host", "h"], ["content-length", "3"]]);
  (request as { body: unknown }).body = body;
  const built = toRequest(request);
  // Turns for a stream that pulls as it is made (its default high-water mark is 1).
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(firstReads, 0);
  assert.equal(body.state, "unread");
  assert.equal(await built.text(), "abc");
  assert.equal(firstReads, 1);
});
