/**
 * configFromOptions(): the library's options go through the command line's own parser, and what a
 * caller leaves empty grants nothing.
 */
import assert from "node:assert/strict";
import { configFromOptions } from "../../lib/config/options.ts";
import { readValue } from "../../lib/config/values.ts";
import { FLAGS } from "../../lib/config/flags.ts";

const root = Deno.makeTempDirSync({ prefix: "heiretsu-options-" });

Deno.test("configFromOptions() grants an app nothing for an empty permission list", () => {
  const result = configFromOptions({ root, appPermissions: { read: [], net: ["db:5432"] } });
  assert.equal(result.kind, "run");
  if (result.kind !== "run") return;
  assert.deepEqual(result.config.appPermissions, { net: ["db:5432"] });
});

Deno.test("configFromOptions() refuses an empty item in a permission list", () => {
  const result = configFromOptions({ root, appPermissions: { net: [""] } });
  assert.equal(result.kind, "error");
});

Deno.test("configFromOptions() takes null as a field's none, so a config round-trips", () => {
  const first = configFromOptions({ root, cors: null, cert: null, key: null });
  assert.equal(first.kind, "run");
});

Deno.test("readValue() refuses an empty permission list instead of granting everything", () => {
  const flag = FLAGS.find((f) => f.name === "allow-read")!;
  assert.deepEqual(readValue(flag, true), true);
  assert.deepEqual(readValue(flag, "/a,/b"), ["/a", "/b"]);
  assert.ok(typeof readValue(flag, "") === "object" && "error" in (readValue(flag, "") as object));
  assert.ok("error" in (readValue(flag, "/a,,/b") as object));
});

Deno.test("configFromOptions() takes several CORS origins separated by spaces, as the field holds them", () => {
  const result = configFromOptions({ cors: "https://a.example https://b.example:8443" });
  assert.equal(result.kind, "run");
  assert.equal(
    result.kind === "run" ? result.config.cors : null,
    "https://a.example https://b.example:8443",
  );
});
