/**
 * An app that attacks its own server (security review, issue 8): it may lose its own worker and
 * its own requests, but never the process, the other clients, or the truth of the log.
 */
import assert from "node:assert/strict";
import type { TestServer } from "./_helpers/server.ts";
import { timedGet } from "./_helpers/http.ts";
import { withSiteServer } from "./_helpers/site.ts";

const APP = new URL("./fixtures/hostile_app.ts", import.meta.url).pathname;
/** An access line an app would like to slip into the log. */
const FORGED = '127.0.0.1 - - [01/Jan/2026:00:00:00 +0000] "GET /forged HTTP/1.1" 200 0';

/** A server with the hostile app over a test site; it must still exit 0 at the end. */
function withHostileApp(
  args: string[],
  fn: (server: TestServer) => Promise<void>,
): Promise<void> {
  return withSiteServer({ args: ["--app", APP, ...args] }, fn);
}

Deno.test("an app's error messages cannot forge log lines: control characters are escaped, request named", async () => {
  await withHostileApp(["--workers", "1"], async (server) => {
    const text = encodeURIComponent(`kaboom\r\n${FORGED}`);
    const { response } = await timedGet(server.port, `/throw?text=${text}"`);
    assert.equal(response.status, 500);
    await server.waitForLine(
      /^Worker 1: request failed \("GET \/throw\?text=kaboom%0D%0A127\.0\.0\.1.*\\x22"\): Error: kaboom\\x0d\\x0a127\.0\.0\.1 /,
    );
    assert.ok(!server.lines.some((line) => line.startsWith(FORGED)), server.lines.join("\n"));
  });
});
