/**
 * Reads one flag value, given on the command line or in the environment, into a config value
 * by the flag's kind, or says why it is wrong.
 *
 * @module
 */
import { isFieldValue, isToken } from "../http/headers.ts";
import type { FlagSpec } from "./flags.ts";

/** What reading one flag value gives: the value, or why it is wrong. */
export type ReadResult =
  | string
  | number
  | boolean
  | [string, string]
  | true
  | string[]
  | { error: string };

/**
 * Reads one flag value given on the command line or in the environment.
 *
 * @param flag the flag
 * @param raw its text (or true for a bare switch)
 * @returns the value for the config field, or an error
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FLAGS } from "./flags.ts";
 * import { readValue } from "./values.ts";
 * const flag = (name: string) => FLAGS.find((f) => f.name === name)!;
 * assert.equal(readValue(flag("port"), "8080"), 8080);
 * assert.equal(readValue(flag("header-timeout"), "2.5"), 2500);
 * assert.deepEqual(readValue(flag("header"), "X-A: 1"), ["x-a", "1"]);
 * assert.deepEqual(readValue(flag("port"), "x"), {
 *   error: 'expected a whole number from 0 to 65535, got "x"',
 * });
 * ```
 */
export function readValue(flag: FlagSpec, raw: string | boolean): ReadResult {
  if (flag.kind === "switch") return readSwitch(raw);
  const text = String(raw).trim();
  switch (flag.kind) {
    case "text":
      return text === "" ? { error: "must not be empty" } : text;
    case "choice":
      return flag.choices!.includes(text)
        ? text
        : { error: `expected one of ${flag.choices!.join(", ")}, got "${text}"` };
    case "header":
      return readHeader(text);
    case "origin":
      return readOrigin(text);
    case "permission":
      return readPermission(raw);
    case "port":
      return readNumber(text, { integer: true, min: 0, max: 65535 });
    default: {
      const integer = flag.kind !== "seconds";
      const number = readNumber(text, { integer, min: flag.min ?? 0, max: flag.max });
      if (typeof number === "object") return number;
      return flag.kind === "seconds" ? Math.round(number * 1000) : number;
    }
  }
}

/** Fields the server itself writes: a `--header` copy would duplicate them or break framing. */
const SERVER_OWNED_HEADERS = new Set([
  "connection",
  "content-encoding",
  "content-length",
  "content-range",
  "date",
  "keep-alive",
  "server",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** "Name: value", with a token name and a value without control characters. */
function readHeader(text: string): ReadResult {
  const colon = text.indexOf(":");
  const name = text.slice(0, colon).trim();
  const value = text.slice(colon + 1).trim();
  if (colon <= 0 || !isToken(name)) {
    return { error: `expected "Name: value", got "${text}"` };
  }
  if (!isFieldValue(value)) {
    return { error: `the value of "${name}" must not contain control characters` };
  }
  if (SERVER_OWNED_HEADERS.has(name.toLowerCase())) {
    return { error: `${name} is set by the server; choose another header` };
  }
  return [name.toLowerCase(), value];
}

/** Bare (true or "*"): everything; "a,b": only those. */
function readPermission(raw: string | boolean): ReadResult {
  if (raw === true || raw === "*") return true;
  const items = String(raw).split(",").map((item) => item.trim());
  // An empty list or item is refused, never read as "everything".
  if (items.some((item) => item === "")) {
    return { error: "expected a comma-separated list of names: give the flag alone for any" };
  }
  return items;
}

/**
 * `*` or one origin as browsers send it in `Origin`: `scheme://host[:port]`, nothing after.
 */
function readOrigin(text: string): ReadResult {
  if (text === "*") return text;
  const shape = /^([a-z][a-z0-9+.-]*):\/\/([^/?#@\s,]+)$/i.exec(text);
  let url: URL | null = null;
  try {
    url = shape === null ? null : new URL(text);
  } catch {
    url = null;
  }
  if (url === null || url.hostname === "") {
    const hint = text.includes(",")
      ? "repeat the flag for each origin"
      : /^[^:/]+(:\d+)?$/.test(text)
      ? `say the scheme: https://${text}`
      : "an origin is scheme://host[:port], with no path";
    return { error: `"${text}" is not * or an origin: ${hint}` };
  }
  // Browsers send the origin lower-case, without a default port.
  const port = url.port === "" ? "" : `:${url.port}`;
  return `${url.protocol}//${url.hostname}${port}`;
}

function readSwitch(raw: string | boolean): ReadResult {
  if (typeof raw === "boolean") return raw;
  const text = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(text)) return true;
  if (["0", "false", "no", "off", ""].includes(text)) return false;
  return { error: `expected true or false, got "${raw}"` };
}

interface NumberRule {
  integer: boolean;
  min: number;
  max?: number;
}

function readNumber(text: string, rule: NumberRule): number | { error: string } {
  const pattern = rule.integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  const kind = rule.integer ? "a whole number" : "a number";
  const range = rule.max === undefined ? `at least ${rule.min}` : `from ${rule.min} to ${rule.max}`;
  if (!pattern.test(text)) return { error: `expected ${kind} ${range}, got "${text}"` };
  const value = Number(text);
  if (value < rule.min || (rule.max !== undefined && value > rule.max)) {
    return { error: `"${text}" is out of range: use ${kind} ${range}` };
  }
  return value;
}
