/**
 * @module
 * Tests for lib/http/pages.ts: the status pages, the small responses carrying them, and the
 * closing responses the main thread sends without a worker (complete, correctly framed, and
 * closing the connection).
 */
import assert from "node:assert/strict";
import {
  closingResponse,
  errorPage,
  escapeHtml,
  statusResponse,
  textResponse,
} from "../../lib/http/pages.ts";
import { SERVER_HEADER, VERSION } from "../../lib/config/version.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("escapeHtml() replaces the five HTML-significant characters", () => {
  assert.equal(
    escapeHtml(`<a href="x" title='y'>&</a>`),
    "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
  );
});

Deno.test("escapeHtml() leaves plain and non-ASCII text alone", () => {
  assert.equal(escapeHtml("café /a/b"), "café /a/b");
});

Deno.test("errorPage() titles the page with status and reason phrase", () => {
  const page = decode(errorPage(404));
  assert.ok(page.startsWith("<!DOCTYPE html>\n"));
  assert.match(page, /<title>404 Not Found<\/title>/);
  assert.match(page, /<h1>404 Not Found<\/h1>/);
  assert.match(page, /<meta charset="utf-8">/);
  assert.ok(!page.includes("<p>"));
});

Deno.test("errorPage() escapes the detail", () => {
  const page = decode(errorPage(400, "<script>alert(1)</script>"));
  assert.match(page, /<p>&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/p>/);
  assert.ok(!page.includes("<script>"));
});

Deno.test("errorPage() names reasons for 301, 405 and 500", () => {
  assert.match(decode(errorPage(301)), /<title>301 Moved Permanently<\/title>/);
  assert.match(decode(errorPage(405)), /<title>405 Method Not Allowed<\/title>/);
  assert.match(decode(errorPage(500)), /<title>500 Internal Server Error<\/title>/);
});

Deno.test("errorPage() falls back to a generic reason for an unknown status", () => {
  assert.match(decode(errorPage(599)), /<title>599 Unknown Status<\/title>/);
});

Deno.test("statusResponse() puts the given headers first and sends no page to HEAD", () => {
  const get = statusResponse(301, {
    detail: "moved to /a/",
    headers: [["location", "/a/"]],
  });
  assert.equal(get.status, 301);
  assert.equal(get.body.kind, "bytes");
  const page = get.body.kind === "bytes" ? get.body.bytes : new Uint8Array();
  assert.deepEqual(get.headers, [
    ["location", "/a/"],
    ["content-type", "text/html; charset=utf-8"],
    ["content-length", String(page.byteLength)],
  ]);
  assert.match(decode(page), /<p>moved to \/a\/<\/p>/);
  const head = statusResponse(301, { detail: "moved to /a/", head: true });
  assert.deepEqual(head.body, { kind: "empty" });
  assert.deepEqual(head.headers.at(-1), ["content-length", String(page.byteLength)]);
});

Deno.test("textResponse() frames the text and appends the given headers", () => {
  const response = textResponse(503, {
    text: "draining\n",
    headers: [["cache-control", "no-store"]],
  });
  assert.equal(response.status, 503);
  assert.deepEqual(response.headers, [
    ["content-type", "text/plain; charset=utf-8"],
    ["content-length", "9"],
    ["cache-control", "no-store"],
  ]);
  assert.deepEqual(response.body, { kind: "bytes", bytes: new TextEncoder().encode("draining\n") });
});

interface Parsed {
  statusLine: string;
  headers: Map<string, string[]>;
  body: Uint8Array;
}

/** Splits response bytes into status line, header fields (by lower-case name) and body. */
function parseResponse(bytes: Uint8Array): Parsed {
  const text = new TextDecoder("latin1").decode(bytes);
  const end = text.indexOf("\r\n\r\n");
  assert.ok(end > 0, "the head ends with an empty line");
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+): (.*)$/.exec(line);
    assert.ok(match !== null, `a well-formed field line: ${JSON.stringify(line)}`);
    const name = match[1].toLowerCase();
    headers.set(name, [...headers.get(name) ?? [], match[2]]);
  }
  return { statusLine, headers, body: bytes.subarray(end + 4) };
}

function only(parsed: Parsed, name: string): string {
  const values = parsed.headers.get(name) ?? [];
  assert.equal(values.length, 1, `exactly one ${name} field`);
  return values[0];
}

const CASES: [status: number, reason: string, extra: [string, string][]][] = [
  [503, "Service Unavailable", [["retry-after", "1"]]],
  [408, "Request Timeout", []],
  [502, "Bad Gateway", []],
];

for (const [status, reason, extra] of CASES) {
  Deno.test(`closingResponse(${status}) is a complete response that closes the connection`, () => {
    const before = Date.now();
    const parsed = parseResponse(
      closingResponse(status, { headers: extra, server: SERVER_HEADER }),
    );
    assert.equal(parsed.statusLine, `HTTP/1.1 ${status} ${reason}`);
    assert.equal(only(parsed, "connection"), "close");
    assert.equal(only(parsed, "content-type"), "text/html; charset=utf-8");
    assert.equal(only(parsed, "content-length"), String(parsed.body.byteLength));
    assert.equal(only(parsed, "server"), `heiretsu/${VERSION}`);
    for (const [name, value] of extra) assert.equal(only(parsed, name), value);
    const date = Date.parse(only(parsed, "date"));
    assert.ok(date >= Math.floor(before / 1000) * 1000 && date <= Date.now(), "a current date");
    assert.match(only(parsed, "date"), /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    const html = new TextDecoder().decode(parsed.body);
    assert.match(html, /^<!DOCTYPE html>/);
    assert.ok(html.includes(`${status} ${reason}`), html);
    assert.ok(!parsed.headers.has("transfer-encoding"));
  });
}

Deno.test("closingResponse() without extra headers adds no retry-after", () => {
  assert.ok(
    !parseResponse(closingResponse(408, { headers: [], server: SERVER_HEADER })).headers.has(
      "retry-after",
    ),
  );
});

Deno.test("errorPage() looks like the default site: its stylesheet inline, light and dark, a link home", () => {
  const page = decode(errorPage(404, 'Nothing is served at /a<b>"c'));
  const css = Deno.readTextFileSync(new URL("../../static/style.css", import.meta.url));
  assert.ok(page.includes(`<style>${css}`), "static/style.css, inline");
  assert.match(page, /<meta name="color-scheme" content="light dark">/);
  assert.match(page, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
  assert.match(page, /<a href="\/">/);
  assert.match(page, /<p>Nothing is served at \/a&lt;b&gt;&quot;c<\/p>/);
  assert.ok(!page.includes('rel="stylesheet"'), "no request for a stylesheet");
  assert.match(page, /<link rel="icon" href="data:image\/svg\+xml,/, "nor for a favicon");
});
