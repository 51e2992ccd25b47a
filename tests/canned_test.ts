/**
 * @module
 * Tests for lib/canned.ts: the responses the main thread sends without a worker are complete,
 * correctly framed HTTP/1.1 responses that close the connection.
 */
import assert from "node:assert/strict";
import { cannedResponse } from "../lib/canned.ts";
import { VERSION } from "../lib/config/version.ts";

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
  Deno.test(`cannedResponse(${status}) is a complete response that closes the connection`, () => {
    const before = Date.now();
    const parsed = parseResponse(cannedResponse(status, extra));
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

Deno.test("cannedResponse() without extra headers adds no retry-after", () => {
  assert.ok(!parseResponse(cannedResponse(408, [])).headers.has("retry-after"));
});
