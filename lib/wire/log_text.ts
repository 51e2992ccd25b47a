/**
 * Text that crosses from a worker to a log line: crash reasons and an app's errors may carry an
 * app's or a client's text, so both threads escape it here before it is written, and a message
 * can never start a log line of its own.
 *
 * @module
 */

/**
 * Escapes every character that could end a log line or steer a terminal (C0 and C1 controls,
 * DEL, U+2028 and U+2029), leaving the rest readable: for error messages, which an app may fill
 * with request input.
 *
 * @param text the text
 * @returns the text with each such character as `\xNN` or `\uNNNN`
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeControl } from "./log_text.ts";
 * assert.equal(escapeControl("a\r\nb"), "a\\x0d\\x0ab");
 * ```
 */
export function escapeControl(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (char) => {
    const code = char.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, "0")}`;
  });
}

/**
 * An error for the log: its message on the first line and each stack frame on its own indented
 * line, every part escaped with {@linkcode escapeControl}, so a message cannot start a line of
 * its own.
 *
 * @param error what was thrown
 * @returns the text; every line after the first starts with four spaces
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorText } from "./log_text.ts";
 * assert.equal(errorText(new Error("bad\ninput")).split("\n")[0], "Error: bad\\x0ainput");
 * ```
 */
export function errorText(error: unknown): string {
  let headline: string;
  let stack: string;
  try {
    headline = String(error);
    const raw: unknown = error instanceof Error ? error.stack : "";
    // An app can set an error's stack to anything: only text is one.
    stack = typeof raw === "string" ? raw : "";
  } catch {
    // An app can throw anything, even a value whose conversion to text throws.
    return "a thrown value that cannot be shown";
  }
  // V8 stacks are the headline and then the frames: keep the frames apart, one per line.
  if (!stack.startsWith(headline)) return escapeControl(stack || headline);
  const frames = stack.slice(headline.length).split("\n").map((line) => line.trim());
  const lines = [escapeControl(headline)];
  for (const frame of frames) if (frame !== "") lines.push(`    ${escapeControl(frame)}`);
  return lines.join("\n");
}
