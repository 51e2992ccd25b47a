import assert from "node:assert/strict";
import { dotfileStatus, isListed } from "../../../lib/handler/static/dotfiles.ts";

Deno.test("dotfileStatus() refuses a dot in any segment by policy", () => {
  for (const path of ["/.env", "/.git/config", "/a/.hidden/b.txt", "/.well-known/x"]) {
    assert.equal(dotfileStatus(path, "ignore"), 404, path);
    assert.equal(dotfileStatus(path, "deny"), 403, path);
    assert.equal(dotfileStatus(path, "allow"), null, path);
  }
});

Deno.test("dotfileStatus() lets through dots that do not start a segment", () => {
  for (const path of ["/", "/a.txt", "/v1.2/app.js", "/a./b"]) {
    assert.equal(dotfileStatus(path, "deny"), null, path);
  }
});

Deno.test("isListed() hides dot names unless allowed", () => {
  assert.equal(isListed(".env", "ignore"), false);
  assert.equal(isListed(".env", "deny"), false);
  assert.equal(isListed(".env", "allow"), true);
  assert.equal(isListed("a.env", "deny"), true);
});
