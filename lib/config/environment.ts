/**
 * The `HEIRETSU_*` environment variables: each flag's variable name, and the warning for a
 * process that may not read them, so a setting given there is never silently ignored.
 *
 * @module
 */
import type { FlagSpec } from "./flags.ts";

/**
 * The environment variable of a flag: `HEIRETSU_` and its name in upper case, `-` as `_`.
 *
 * @param flag the flag
 * @returns the variable's name
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { envName } from "./environment.ts";
 * assert.equal(envName({ name: "drain-delay" }), "HEIRETSU_DRAIN_DELAY");
 * ```
 */
export function envName(flag: Pick<FlagSpec, "name">): string {
  return `HEIRETSU_${flag.name.toUpperCase().replaceAll("-", "_")}`;
}

/**
 * The warning for a process that may not read some `HEIRETSU_*` variables (Deno run without
 * `--allow-env=HEIRETSU_*`): Deno gives no way to see whether they are set, so it names the
 * variables it cannot read and says how to fix it. Null when every one can be read.
 *
 * @param flags the flags whose variables count
 * @param state a variable's env permission state, e.g. from `Deno.permissions.querySync`
 * @returns one line, or null
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unreadSettings } from "./environment.ts";
 * const flags = [{ name: "port" }, { name: "host" }];
 * assert.equal(unreadSettings(flags, () => "granted"), null);
 * assert.match(unreadSettings(flags, () => "prompt")!, /^HEIRETSU_\* variables are not read/);
 * ```
 */
export function unreadSettings(
  flags: readonly Pick<FlagSpec, "name">[],
  state: (variable: string) => Deno.PermissionState,
): string | null {
  const unread = flags.map(envName).filter((name) => state(name) !== "granted");
  if (unread.length === 0) return null;
  const which = unread.length === flags.length ? "" : ` (${unread.join(", ")})`;
  return `HEIRETSU_* variables are not read${which}: deno was not given --allow-env=HEIRETSU_*; ` +
    "add it to the deno run command, or give those settings as flags";
}
