import assert from "node:assert/strict";
import { newSectionScan, scanFieldSection } from "../../lib/http/section.ts";
import { latin1, statusOf } from "./_helpers.ts";

const LIMITS = { maxHeaderBytes: 64, maxHeaderCount: 4 };

Deno.test("scanFieldSection() returns the offset after the empty line, CRLF or LF", () => {
  for (const section of ["A: 1\r\nB: 2\r\n\r\nrest", "A: 1\nB: 2\n\nrest"]) {
    const bytes = latin1(section);
    const scan = newSectionScan();
    assert.equal(scanFieldSection(bytes, { scan, limits: LIMITS }), section.indexOf("rest"));
    assert.equal(scan.fieldLines, 2);
    assert.equal(scan.lineStart, section.indexOf("rest") - (section.includes("\r") ? 2 : 1));
  }
});

Deno.test("scanFieldSection() resumes where it stopped when more bytes arrive", () => {
  const whole = latin1("A: 1\r\nB: 2\r\n\r\n");
  const scan = newSectionScan();
  assert.equal(scanFieldSection(whole.subarray(0, 8), { scan, limits: LIMITS }), -1);
  assert.equal(scan.scan, 8);
  assert.equal(scanFieldSection(whole, { scan, limits: LIMITS }), whole.length);
});

Deno.test("scanFieldSection() rejects a partial line that proves too many fields with 431", () => {
  const scan = newSectionScan();
  const four = "A: 1\r\n".repeat(4);
  assert.equal(scanFieldSection(latin1(`${four}\r`), { scan, limits: LIMITS }), -1);
  assert.equal(
    statusOf(() => scanFieldSection(latin1(`${four}X`), { scan, limits: LIMITS })),
    "431 too-many-header-fields",
  );
});

Deno.test("scanFieldSection() rejects a partial line that proves too many bytes with 431", () => {
  const long = `X: ${"a".repeat(61)}`; // 64 bytes before its line end
  assert.equal(
    scanFieldSection(latin1(long), { scan: newSectionScan(), limits: LIMITS }),
    -1,
  );
  assert.equal(
    statusOf(() =>
      scanFieldSection(latin1(`${long}\r`), { scan: newSectionScan(), limits: LIMITS })
    ),
    "431 header-too-large",
  );
});
