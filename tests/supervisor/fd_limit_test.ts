/**
 * @module
 * Tests for lib/supervisor/fd_limit.ts: the open file limit read from /proc/self/limits, and the
 * startup warning when --max-connections plus the reserve exceeds it.
 */
import assert from "node:assert/strict";
import {
  DESCRIPTOR_RESERVE,
  descriptorWarning,
  openFilesLimit,
  processOpenFilesLimit,
} from "../../lib/supervisor/fd_limit.ts";

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max open files            1024                 524288               files     
Max locked memory         8388608              8388608              bytes     
`;

Deno.test("openFilesLimit() reads the soft limit, null when unlimited or absent", () => {
  assert.equal(openFilesLimit(LIMITS), 1024);
  assert.equal(openFilesLimit(LIMITS.replace("1024 ", "unlimited")), null);
  assert.equal(openFilesLimit("Max cpu time unlimited unlimited seconds\n"), null);
});

Deno.test("descriptorWarning() warns when --max-connections plus the reserve exceeds the limit", () => {
  const warning = descriptorWarning(10_000, 1024);
  assert.ok(warning !== null);
  assert.match(warning, /--max-connections 10000/);
  assert.match(warning, /open file limit of 1024/);
  assert.match(warning, new RegExp(`ulimit -n ${10_000 + DESCRIPTOR_RESERVE}`));
  assert.match(warning, new RegExp(`lower --max-connections to ${1024 - DESCRIPTOR_RESERVE}`));
  assert.equal(descriptorWarning(1024 - DESCRIPTOR_RESERVE, 1024), null);
  assert.notEqual(descriptorWarning(1024 - DESCRIPTOR_RESERVE + 1, 1024), null);
  assert.equal(descriptorWarning(10_000, null), null);
});

Deno.test({
  name: "processOpenFilesLimit() is this process's soft limit on Linux",
  // Reason: /proc/self/limits exists on Linux only.
  ignore: Deno.build.os !== "linux",
  fn: () => {
    const text = Deno.readTextFileSync("/proc/self/limits");
    assert.equal(processOpenFilesLimit(), openFilesLimit(text));
  },
});
