import assert from "node:assert/strict";
import {
  allIn,
  charClass,
  DIGIT,
  FIELD_CHAR,
  REG_NAME,
  TCHAR,
  VCHAR,
} from "../../lib/http/chars.ts";

/** The members of a class as a string, in code order. */
function members(table: Uint8Array): string {
  let text = "";
  for (let code = 0; code < 256; code++) if (table[code] === 1) text += String.fromCharCode(code);
  return text;
}

const ALPHA_DIGIT = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const VISIBLE = Array.from({ length: 0x7e - 0x20 }, (_, i) => String.fromCharCode(0x21 + i))
  .join("");
const OBS_TEXT = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(0x80 + i)).join("");

function sorted(text: string): string {
  return [...text].sort((a, b) => a.charCodeAt(0) - b.charCodeAt(0)).join("");
}

Deno.test("charClass() marks the singles and the inclusive ranges, nothing else", () => {
  const table = charClass("ab", [[0x30, 0x32]]);
  assert.equal(table.length, 256);
  assert.equal(members(table), "012ab");
});

Deno.test("TCHAR holds exactly the RFC 9110 tchar", () => {
  assert.equal(members(TCHAR), sorted("!#$%&'*+-.^_`|~" + ALPHA_DIGIT));
});

Deno.test("FIELD_CHAR holds HTAB, SP, VCHAR and obs-text", () => {
  assert.equal(members(FIELD_CHAR), "\t " + VISIBLE + OBS_TEXT);
});

Deno.test("VCHAR holds visible ASCII only", () => {
  assert.equal(members(VCHAR), VISIBLE);
});

Deno.test("REG_NAME holds unreserved, sub-delims and percent", () => {
  assert.equal(members(REG_NAME), sorted("-._~%!$&'()*+,;=" + ALPHA_DIGIT));
});

Deno.test("DIGIT holds the ten decimal digits", () => {
  assert.equal(members(DIGIT), "0123456789");
});

Deno.test("allIn() accepts the empty string and refuses codes above 0xFF", () => {
  assert.equal(allIn(DIGIT, ""), true);
  assert.equal(allIn(DIGIT, "0123"), true);
  assert.equal(allIn(DIGIT, "01a3"), false);
  assert.equal(allIn(FIELD_CHAR, "caf\u00e9"), true);
  assert.equal(allIn(FIELD_CHAR, "\u0130"), false);
  assert.equal(allIn(FIELD_CHAR, "\u0109"), false);
});
