/**
 * @module
 * The one exhaustiveness check for switches over unions: the main↔worker messages, connection
 * states, located files. Shared by both threads; it imports nothing.
 */

/**
 * Marks a switch as exhaustive: the compiler rejects a call that a new union member reaches,
 * and at run time (a value from outside the type system) it throws, naming the value.
 *
 * @param value the value no case handled
 * @returns never; it throws
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unreachable } from "./unreachable.ts";
 * type Kind = "a";
 * function name(kind: Kind): string {
 *   if (kind === "a") return "A";
 *   return unreachable(kind);
 * }
 * assert.equal(name("a"), "A");
 * assert.throws(() => name("b" as Kind), /unhandled case: "b"/);
 * ```
 */
export function unreachable(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
