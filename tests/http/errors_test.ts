import assert from "node:assert/strict";
import { HttpError } from "../../lib/http/errors.ts";

Deno.test("HttpError carries its status, code and message", () => {
  const error = new HttpError(431, "header-too-large", "Header section exceeds 32768 bytes");
  assert.ok(error instanceof Error);
  assert.equal(error.name, "HttpError");
  assert.equal(error.status, 431);
  assert.equal(error.code, "header-too-large");
  assert.equal(error.message, "Header section exceeds 32768 bytes");
  assert.match(String(error), /^HttpError: Header section/);
});
