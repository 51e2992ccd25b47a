/**
 * @module
 * Tests for lib/wire/log_text.ts: text from workers and apps is escaped so it stays on its own
 * log lines.
 */
import assert from "node:assert/strict";
import { errorText, escapeControl } from "../../lib/wire/log_text.ts";

Deno.test("escapeControl() escapes line breaks, terminal escapes and Unicode separators only", () => {
  assert.equal(escapeControl('a\r\nb\x1b[31m\u2028"q"\\'), 'a\\x0d\\x0ab\\x1b[31m\\u2028"q"\\');
});

Deno.test("errorText() keeps an error on its own lines: the message escaped, frames indented", () => {
  const error = new Error("kaboom\r\n127.0.0.1 - - forged");
  const lines = errorText(error).split("\n");
  assert.equal(lines[0], "Error: kaboom\\x0d\\x0a127.0.0.1 - - forged");
  assert.ok(lines.length > 1);
  for (const line of lines.slice(1)) assert.match(line, /^ {4}at /);
});

Deno.test("errorText() shows thrown non-errors, even one whose conversion throws", () => {
  assert.equal(errorText("plain\nstring"), "plain\\x0astring");
  const hostile = {
    toString: () => {
      throw new Error("no");
    },
  };
  assert.equal(errorText(hostile), "a thrown value that cannot be shown");
});

Deno.test("errorText() shows an error whose stack an app replaced with something not text by its message", () => {
  // It threw in the app thread's error guard: the raw TypeError went to standard error, not
  // JSON under --log-format json, and the crash was logged as the thread's own failure.
  for (const stack of [42, { frames: 1 }, null]) {
    const error = new Error("bad\nstack");
    (error as { stack: unknown }).stack = stack;
    assert.equal(errorText(error), "Error: bad\\x0astack");
  }
});
