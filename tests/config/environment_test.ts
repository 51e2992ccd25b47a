/**
 * @module
 * Tests for lib/config/environment.ts: the HEIRETSU_* names, and the warning when they cannot
 * be read.
 */
import assert from "node:assert/strict";
import { envName, unreadSettings } from "../../lib/config/environment.ts";
import { FLAGS } from "../../lib/config/flags.ts";
import { parseConfig } from "../../lib/config/parse.ts";

Deno.test("envName() is each flag's variable, and parseConfig() reads every one", () => {
  const asked: string[] = [];
  parseConfig({ args: [], env: (variable) => void asked.push(variable) });
  for (const flag of FLAGS) {
    assert.match(envName(flag), /^HEIRETSU_[A-Z_]+$/);
    assert.ok(asked.includes(envName(flag)), `${envName(flag)} is read`);
  }
});

Deno.test("unreadSettings() is null when every variable may be read", () => {
  assert.equal(unreadSettings(FLAGS, () => "granted"), null);
});

Deno.test("unreadSettings() says HEIRETSU_* is not read and how to fix it, without the permission", () => {
  const line = unreadSettings(FLAGS, () => "prompt")!;
  assert.match(line, /^HEIRETSU_\* variables are not read: /);
  assert.match(line, /--allow-env=HEIRETSU_\*/);
  assert.doesNotMatch(line, /\n/);
});

Deno.test("unreadSettings() names the variables left out by a narrower --allow-env", () => {
  const line = unreadSettings(FLAGS, (name) => name === "HEIRETSU_PORT" ? "granted" : "denied")!;
  assert.match(line, /\(HEIRETSU_ROOT, /);
  assert.doesNotMatch(line, /HEIRETSU_PORT\b/);
});
