import assert from "node:assert/strict";
import fc from "../_helpers/fast_check.ts";
import {
  decodeLatin1,
  isFieldValue,
  isToken,
  listMembers,
  parseFieldSection,
  refineCode,
} from "../../lib/http/headers.ts";
import { HttpError } from "../../lib/http/errors.ts";
import { latin1, statusOf } from "./_helpers.ts";

Deno.test("isToken() accepts tchar runs and refuses empty strings, separators and non-ASCII", () => {
  assert.ok(isToken("!#$%&'*+-.^_`|~09azAZ"));
  for (const bad of ["", "a b", "a:b", "a\tb", "(", "\u00e9", "\u0100"]) {
    assert.ok(!isToken(bad), bad);
  }
});

Deno.test("isFieldValue() accepts VCHAR, SP, HTAB and obs-text only", () => {
  assert.ok(isFieldValue("a b\tc~\u0080\u00ff"));
  assert.ok(isFieldValue(""));
  for (const bad of ["\0", "\r", "\n", "\x01", "\x7f", "\u0100"]) assert.ok(!isFieldValue(bad));
});

Deno.test("decodeLatin1() maps every byte to the character of the same code", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const short = decodeLatin1(all.subarray(0x70, 0x90));
  const long = decodeLatin1(all);
  assert.equal(long.length, 256);
  for (let i = 0; i < 256; i++) assert.equal(long.charCodeAt(i), i);
  assert.equal(short, long.slice(0x70, 0x90));
});

Deno.test("decodeLatin1() decodes only the range it is given, short or long", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  for (const [start, end] of [[0, 0], [65, 68], [0x70, 0x77], [0x70, 0x78], [10, 250]]) {
    const expected = String.fromCharCode(...all.subarray(start, end));
    assert.equal(decodeLatin1(all, { start, end }), expected);
    assert.equal(decodeLatin1(all.subarray(start, end)), expected);
  }
});

Deno.test("parseFieldSection() lower-cases names and trims OWS but keeps inner spaces", () => {
  assert.deepEqual(parseFieldSection(latin1("Content-Type:\t text/html; q=1 \t\r\nX-E:\n")), [
    ["content-type", "text/html; q=1"],
    ["x-e", ""],
  ]);
});

Deno.test("parseFieldSection() keeps obs-text values byte for byte", () => {
  assert.deepEqual(parseFieldSection(latin1("X: caf\xe9\x80\xff\r\n")), [["x", "caf\xe9\x80\xff"]]);
});

Deno.test("parseFieldSection() parses only the range it is given", () => {
  const bytes = latin1("GET / HTTP/1.1\r\nHost: a\r\nX:\t \r\n\r\nBody: no\r\n");
  const start = "GET / HTTP/1.1\r\n".length;
  const end = bytes.indexOf(0x0a, start + 10) + 1;
  assert.deepEqual(parseFieldSection(bytes, { start, end }), [["host", "a"], ["x", ""]]);
  assert.deepEqual(parseFieldSection(bytes, { start, end: start }), []);
});

Deno.test("parseFieldSection() ignores an unterminated last line", () => {
  assert.deepEqual(parseFieldSection(latin1("A: 1\r\nB: 2")), [["a", "1"]]);
  assert.deepEqual(parseFieldSection(latin1("A: 1\r\nB: 2\r")), [["a", "1"]]);
  const bytes = latin1("A: 1\r\nB: 2\r\n");
  assert.deepEqual(parseFieldSection(bytes, { start: 0, end: bytes.length - 1 }), [["a", "1"]]);
});

Deno.test("parseFieldSection() names the error of a bad line after clean ones", () => {
  assert.equal(
    statusOf(() => parseFieldSection(latin1("A: 1\r\nB: 2\r\nC\x01: 3\r\n"))),
    "400 invalid-field-name",
  );
  assert.equal(statusOf(() => parseFieldSection(latin1("A: 1\nB: \x002\n"))), "400 nul-byte");
});

/**
 * The section parser as a simple model: split into lines, then each line through regular
 * expressions. The parser's fast and slow paths must both agree with it.
 */
function modelFields(section: string): Array<[string, string]> {
  const lines = section.split("\n");
  return lines.slice(0, -1).map((line): [string, string] => {
    if (/^[ \t]/.test(line)) throw new HttpError(400, "obs-fold", "");
    const body = line.endsWith("\r") ? line.slice(0, -1) : line;
    const match = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/s.exec(body);
    if (match === null) throw new HttpError(400, refineCode(body, "invalid-field-name"), "");
    if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(match[2])) {
      throw new HttpError(400, refineCode(match[2], "invalid-field-value"), "");
    }
    return [match[1].toLowerCase(), match[2]];
  });
}

Deno.test("parseFieldSection() agrees with a line-by-line model for generated sections", () => {
  const piece = fc.constantFrom(
    "Host",
    "x-Y",
    "a",
    ":",
    ": ",
    " ",
    "\t",
    "\r",
    "\0",
    "\x7f",
    "\x01",
    "\xe9",
    "\xff",
    "v",
    "1",
    "(",
    "\r\n",
    "\n",
  );
  const line = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(""));
  const section = fc.tuple(fc.array(line, { maxLength: 5 }), fc.constantFrom("\n", "\r\n"))
    .map(([lines, end]) => lines.map((text) => text + end).join(""));
  fc.assert(
    fc.property(section, (text) => {
      const expected = statusOf(() => modelFields(text));
      assert.equal(statusOf(() => parseFieldSection(latin1(text))), expected);
      if (expected === "no error") {
        assert.deepEqual(parseFieldSection(latin1(text)), modelFields(text));
      }
    }),
  );
});

const BAD_SECTIONS: Array<[string, string, string]> = [
  ["obs-fold", "A: 1\r\n b\r\n", "400 obs-fold"],
  ["a space before the colon", "A : 1\r\n", "400 invalid-field-name"],
  ["a missing colon", "A 1\r\n", "400 invalid-field-name"],
  ["an empty name", ": 1\r\n", "400 invalid-field-name"],
  ["a bare CR in a value", "A: 1\r2\r\n", "400 bare-cr"],
  ["a bare CR in a name", "A\rB: 1\r\n", "400 bare-cr"],
  ["a CR before CRLF", "A: 1\r\r\n", "400 bare-cr"],
  ["NUL in a value", "A: 1\x002\r\n", "400 nul-byte"],
  ["DEL in a value", "A: 1\x7f\r\n", "400 invalid-field-value"],
  ["ESC in a value", "A: \x1b[0m\r\n", "400 invalid-field-value"],
];

for (const [what, section, expected] of BAD_SECTIONS) {
  Deno.test(`parseFieldSection() rejects ${what} with ${expected.slice(0, 3)}`, () => {
    assert.equal(statusOf(() => parseFieldSection(latin1(section))), expected);
  });
}

Deno.test("refineCode() names NUL and bare CR before the fallback", () => {
  assert.equal(refineCode("a\0\rb", "x"), "nul-byte");
  assert.equal(refineCode("a\rb", "x"), "bare-cr");
  assert.equal(refineCode("ab", "x"), "x");
});

Deno.test("listMembers() collects lower-cased members across fields with that name", () => {
  const fields: Array<[string, string]> = [
    ["connection", "Keep-Alive, ,Upgrade"],
    ["host", "a"],
    ["connection", "\tclose "],
  ];
  assert.deepEqual(listMembers(fields, "connection"), ["keep-alive", "upgrade", "close"]);
  assert.deepEqual(listMembers(fields, "te"), []);
});

Deno.test("listMembers() drops empty members at either end and of an empty value", () => {
  const fields: Array<[string, string]> = [["te", ",trailers,"], ["te", ""], ["te", ","]];
  assert.deepEqual(listMembers(fields, "te"), ["trailers"]);
});
