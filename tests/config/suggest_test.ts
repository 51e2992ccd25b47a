/**
 * @module
 * Tests for lib/config/suggest.ts: flags brought from other servers get ours named, typos the
 * nearest flag.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config/parse.ts";
import { FOREIGN_FLAGS } from "../../lib/config/suggest.ts";
import { FLAGS } from "../../lib/config/flags.ts";

function errorOf(args: string[]): string {
  const result = parseConfig({ args, env: () => undefined });
  assert.equal(result.kind, "error", JSON.stringify(result));
  return result.kind === "error" ? result.message : "";
}

/** The flags of http-server, serve, miniserve and static-web-server the issue met, and ours. */
const BROUGHT: [flag: string, hint: RegExp][] = [
  ["--listing", /: use --list\b/],
  ["--single", /: use --spa\b/],
  ["--ssl", /: HTTPS is on when --cert FILE and --key FILE are given/],
  ["--tls", /: HTTPS is on when --cert FILE and --key FILE are given/],
  ["--gzip", /: use --compress\b/],
  ["--dir", /: give the folder as ROOT or --root\b/],
  ["--silent", /: use --quiet\b/],
  ["--threads", /: use --workers\b/],
  ["--index", /: a folder's index\.html is served without a flag; .*--spa/],
];

for (const [flag, hint] of BROUGHT) {
  Deno.test(`parseConfig() answers ${flag} with heiretsu's way`, () => {
    const message = errorOf([flag, "x"]);
    assert.ok(message.startsWith(`unknown flag ${flag}: `), message);
    assert.match(message, hint);
    assert.match(message, /\(see --help for the flags\)$/);
  });
}

Deno.test("parseConfig() answers another server's flag written with =value too", () => {
  assert.match(errorOf(["--threads=4"]), /^unknown flag --threads: use --workers/);
});

Deno.test("FOREIGN_FLAGS names no flag of ours, and every flag it points to exists", () => {
  const ours = new Set(FLAGS.map((flag) => flag.name));
  for (const [name, hint] of Object.entries(FOREIGN_FLAGS)) {
    assert.ok(!ours.has(name), `--${name} is ours`);
    for (const [, pointed] of hint.matchAll(/--([a-z-]+)/g)) {
      assert.ok(ours.has(pointed), `--${name} points to --${pointed}, which does not exist`);
    }
  }
});
