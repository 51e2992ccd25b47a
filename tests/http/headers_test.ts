import assert from "node:assert/strict";
import {
  decodeLatin1,
  isFieldValue,
  isToken,
  listMembers,
  parseFieldSection,
  refineCode,
} from "../../lib/http/headers.ts";
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

Deno.test("parseFieldSection() lower-cases names and trims OWS but keeps inner spaces", () => {
  assert.deepEqual(parseFieldSection(latin1("Content-Type:\t text/html; q=1 \t\r\nX-E:\n")), [
    ["content-type", "text/html; q=1"],
    ["x-e", ""],
  ]);
});

Deno.test("parseFieldSection() keeps obs-text values byte for byte", () => {
  assert.deepEqual(parseFieldSection(latin1("X: caf\xe9\x80\xff\r\n")), [["x", "caf\xe9\x80\xff"]]);
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
