import assert from "node:assert/strict";
import fc from "../../_helpers/fast_check.ts";
import { HttpError } from "../../../lib/http/errors.ts";
import { resolveTarget } from "../../../lib/handler/static/path.ts";

const TRAVERSALS: Array<[string, string]> = [
  ["/../etc/passwd", "/etc/passwd"],
  ["/..", "/"],
  ["/a/../../etc/passwd", "/etc/passwd"],
  ["/%2e%2e/%2e%2e/x", "/x"],
  ["/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "/etc/passwd"],
  ["/.%2e/.%2E/etc/passwd", "/etc/passwd"],
  ["/a/%2e%2e/%2e./..%2f..%2fetc/passwd", "/etc/passwd"],
  ["/%252e%252e/x", "/%2e%2e/x"],
  ["/a/./b", "/a/b"],
  ["/a/.", "/a/"],
  ["/a/b/..", "/a/"],
  ["//etc/passwd", "/etc/passwd"],
  ["/a//b///c", "/a/b/c"],
  ["/", "/"],
  ["/dir/", "/dir/"],
  ["http://example.com/../../a/b", "/a/b"],
  ["HTTP://example.com//etc/passwd", "/etc/passwd"],
];

for (const [target, expected] of TRAVERSALS) {
  Deno.test(`resolveTarget() keeps "${target}" inside the root as "${expected}"`, () => {
    assert.deepEqual(resolveTarget(target), { path: expected, query: "" });
  });
}

const PLAIN: Array<[string, string, string]> = [
  ["/1k.bin", "/1k.bin", ""],
  ["/", "/", ""],
  ["/a/b/", "/a/b/", ""],
  ["/a.b/c.d", "/a.b/c.d", ""],
  ["/a?", "/a", ""],
  ["/a?x=1&y=/../%zz?", "/a", "x=1&y=/../%zz?"],
  ["/a;b=c@d:e!$&'()*+,=~_-", "/a;b=c@d:e!$&'()*+,=~_-", ""],
  ["/.well-known/x", "/.well-known/x", ""],
  ["/a/..b/c", "/a/..b/c", ""],
  ["/a/b..", "/a/b..", ""],
];

for (const [target, path, query] of PLAIN) {
  Deno.test(`resolveTarget() gives "${target}" the path "${path}" and query "${query}"`, () => {
    assert.deepEqual(resolveTarget(target), { path, query });
  });
}

Deno.test("resolveTarget() splits the query off undecoded", () => {
  assert.deepEqual(resolveTarget("/a%20b?x=%20&y=/../"), { path: "/a b", query: "x=%20&y=/../" });
});

Deno.test("resolveTarget() takes path and query from absolute-form", () => {
  assert.deepEqual(resolveTarget("http://host:8080/a/b?q=1"), { path: "/a/b", query: "q=1" });
  assert.deepEqual(resolveTarget("https://host"), { path: "/", query: "" });
  assert.deepEqual(resolveTarget("http://host?q"), { path: "/", query: "q" });
});

Deno.test("resolveTarget() decodes UTF-8 percent-escapes once", () => {
  assert.deepEqual(resolveTarget("/caf%C3%A9.txt"), { path: "/café.txt", query: "" });
});

const REJECTED: Array<[string, string]> = [
  ["/a%00b", "percent-encoded NUL"],
  ["/a\0b", "raw NUL"],
  ["/a%5cb", "percent-encoded backslash"],
  ["/a%5C..%5C..%5Cwindows", "upper-case encoded backslash"],
  ["/a\\b", "raw backslash"],
  ["/a%zz", "a non-hex escape"],
  ["/a%2", "a truncated escape"],
  ["/a%", "a lone percent sign"],
  ["/%C3", "truncated UTF-8"],
  ["/%C0%AE%C0%AE/x", "overlong UTF-8 dots"],
  ["/%ED%A0%80", "an encoded surrogate"],
  ["/%FF", "an invalid UTF-8 byte"],
  ["/a b", "a raw space"],
  ["/a\r\nb", "raw CR LF"],
  ["/café", "raw non-ASCII"],
  ["a/b", "a relative path"],
  ["*", "the asterisk form"],
  ["", "an empty target"],
  ["ftp://host/a", "an unknown scheme"],
];

for (const [target, why] of REJECTED) {
  Deno.test(`resolveTarget() rejects ${why} with 400`, () => {
    assert.throws(
      () => resolveTarget(target),
      (error: unknown) => error instanceof HttpError && error.status === 400,
    );
  });
}

/** The invariants every resolved path keeps, whatever the target. */
function assertSafePath(path: string): void {
  assert.ok(path.startsWith("/"));
  assert.ok(!path.includes("//") && !path.includes("\\") && !path.includes("\0"));
  for (const segment of path.split("/")) assert.ok(segment !== "." && segment !== "..");
}

Deno.test("resolveTarget() never returns a dot segment from dots, slashes and escapes", () => {
  const piece = fc.constantFrom(
    "/",
    ".",
    "..",
    "%2e",
    "%2E",
    "%2f",
    "a",
    "%25",
    "b.c",
    "//",
    "%5c",
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
      try {
        assertSafePath(resolveTarget("/" + pieces.join("")).path);
      } catch (error) {
        if (!(error instanceof HttpError && error.status === 400)) throw error;
      }
    }),
  );
});

Deno.test("resolveTarget() returns a safe path or throws 400 for any ASCII string", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary-ascii" }), (text) => {
      try {
        assertSafePath(resolveTarget("/" + text).path);
      } catch (error) {
        if (!(error instanceof HttpError && error.status === 400)) throw error;
      }
    }),
  );
});

/** The resolution as a model: decode once, then drop empty and dot segments. */
function modelResolve(target: string): { path: string; query: string } {
  const mark = target.indexOf("?");
  const query = mark === -1 ? "" : target.slice(mark + 1);
  const decoded = decodeURIComponent(mark === -1 ? target : target.slice(0, mark));
  if (decoded.includes("\0") || decoded.includes("\\")) throw new HttpError(400, "x", "x");
  const segments = decoded.split("/");
  const kept: string[] = [];
  for (const segment of segments) {
    if (segment === "..") kept.pop();
    else if (segment !== "" && segment !== ".") kept.push(segment);
  }
  const last = segments.at(-1);
  const slash = kept.length > 0 && (last === "" || last === "." || last === "..");
  return { path: "/" + kept.join("/") + (slash ? "/" : ""), query };
}

Deno.test("resolveTarget() agrees with the model for generated origin-form targets", () => {
  const piece = fc.constantFrom("/", ".", "..", "a", "b.c", "%2e", "%41", "%", "?", "=", "\\", "~");
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 10 }), (pieces) => {
      const target = "/" + pieces.join("");
      let expected: unknown;
      try {
        expected = modelResolve(target);
      } catch {
        expected = 400;
      }
      try {
        assert.deepEqual(resolveTarget(target), expected);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        assert.equal(expected, 400);
      }
    }),
  );
});
