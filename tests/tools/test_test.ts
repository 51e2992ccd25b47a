import assert from "node:assert/strict";
import { isCheckLine } from "../../tools/test.ts";

Deno.test("isCheckLine() drops Deno's Check lines, coloured or not, and keeps everything else", () => {
  assert.ok(isCheckLine("Check tests/http/head_test.ts"));
  assert.ok(isCheckLine("\x1b[0m\x1b[32mCheck\x1b[0m file:///work/bench/load_worker.ts"));
  assert.ok(isCheckLine("Check blob:null/32542a2d-f781-4b62-a88d-630c343df1bf"));
  for (
    const kept of [
      "error: TS2304 [ERROR]: Cannot find name 'x'.",
      "Checked 3 files",
      "Check",
      "  Check tests/x_test.ts",
      "checks passed",
      "runLoad() measures a server over keep-alive connections ... ok (4s)",
    ]
  ) {
    assert.equal(isCheckLine(kept), false, kept);
  }
});
