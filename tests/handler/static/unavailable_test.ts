/**
 * @module
 * Tests for lib/handler/static/unavailable.ts: which errors mean "no file here", the 503 while files
 * cannot be opened, and one log line per burst.
 */
import assert from "node:assert/strict";
import { DEFAULTS } from "../../../lib/config/settings.ts";
import { headerPolicy } from "../../../lib/handler/static/respond.ts";
import {
  BURST_QUIET_MS,
  BurstLog,
  isGone,
  unavailableResponse,
} from "../../../lib/handler/static/unavailable.ts";
import { header } from "./_helpers.ts";

const emfile = Object.assign(new Error("Too many open files (os error 24)"), { code: "EMFILE" });
const enfile = Object.assign(new Error("Too many open files in system (os error 23)"), {
  code: "ENFILE",
});

Deno.test("isGone() is true only for errors that say the path leads to no file", () => {
  assert.equal(isGone(new Deno.errors.NotFound("x")), true);
  assert.equal(isGone(new Deno.errors.NotADirectory("x")), true);
  for (const error of [emfile, enfile, new Error("Input/output error (os error 5)")]) {
    assert.equal(isGone(error), false, error.message);
  }
});

Deno.test("unavailableResponse() is a 503 no cache keeps, with Retry-After", () => {
  const response = unavailableResponse("HEAD", headerPolicy(DEFAULTS));
  assert.equal(response.status, 503);
  assert.equal(header(response, "cache-control"), "no-store");
  assert.equal(header(response, "retry-after"), "1");
  assert.equal(response.body.kind, "empty");
});

Deno.test("BurstLog.report() writes the first error of a burst and counts the rest", () => {
  const lines: string[] = [];
  const log = new BurstLog((line) => lines.push(line));
  for (let i = 0; i < 1000; i++) log.report("EMFILE", i);
  assert.equal(lines.length, 1);
  // A burst lasts while errors keep coming closer than BURST_QUIET_MS apart.
  log.report("EMFILE", 999 + BURST_QUIET_MS - 1);
  assert.equal(lines.length, 1);
  log.report("EMFILE", 999 + 2 * BURST_QUIET_MS);
  assert.equal(lines.length, 2);
  assert.match(lines[1], /1000 more in the burst before/);
});
