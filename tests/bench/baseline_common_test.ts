import assert from "node:assert/strict";
import { fileNameFromUrl, parseBaselineArgs } from "../../bench/baseline_common.ts";

Deno.test("parseBaselineArgs() reads port and root and accepts heiretsu's other flags", () => {
  assert.deepEqual(parseBaselineArgs([]), { port: 0, root: "." });
  assert.deepEqual(
    parseBaselineArgs(["--port", "8080", "--quiet", "--root", "/srv", "--workers", "4"]),
    { port: 8080, root: "/srv" },
  );
});

Deno.test("parseBaselineArgs() reads --cert and --key, and refuses one without the other", () => {
  assert.deepEqual(parseBaselineArgs(["--cert", "c.pem", "--key", "k.pem"]), {
    port: 0,
    root: ".",
    tls: { certFile: "c.pem", keyFile: "k.pem" },
  });
  assert.throws(() => parseBaselineArgs(["--cert", "c.pem"]), /only one of --cert and --key/);
  assert.throws(() => parseBaselineArgs(["--key", "k.pem"]), /only one of --cert and --key/);
});

Deno.test("parseBaselineArgs() rejects a port outside 0-65535", () => {
  assert.throws(() => parseBaselineArgs(["--port", "65536"]), RangeError);
  assert.throws(() => parseBaselineArgs(["--port", "x"]), RangeError);
});

Deno.test("fileNameFromUrl() accepts plain decoded names only", () => {
  assert.equal(fileNameFromUrl("http://h/1k.bin"), "1k.bin");
  assert.equal(fileNameFromUrl("http://h/a%20b.txt?q=1"), "a b.txt");
  for (
    const path of ["/", "/a/b", "/..", "/.", "/%2e%2e", "/a%2Fb", "/a%5Cb", "/%00", "/%E0%A4%A"]
  ) {
    assert.equal(fileNameFromUrl(`http://h${path}`), undefined, path);
  }
});
