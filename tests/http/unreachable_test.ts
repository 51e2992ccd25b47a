import assert from "node:assert/strict";
import { unreachable } from "../../lib/http/unreachable.ts";

Deno.test("unreachable() throws, naming the unhandled value", () => {
  assert.throws(() => unreachable({ kind: "bogus" } as never), /unhandled case: .*bogus/);
});
