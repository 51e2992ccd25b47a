import assert from "node:assert/strict";
import { fromResponse } from "../../lib/app/response.ts";

Deno.test("fromResponse() refuses an informational status, naming it", async () => {
  await assert.rejects(
    () => fromResponse(new Response(null, { status: 101 }), { method: "GET" }),
    /status 101: an informational \(1xx\) status cannot be a response/,
  );
});

Deno.test("fromResponse() gives a body complete at once its Content-Length", async () => {
  const planned = await fromResponse(new Response("hi"), { method: "GET" });
  assert.equal(planned.status, 200);
  assert.deepEqual(planned.headers.find(([name]) => name === "content-length"), [
    "content-length",
    "2",
  ]);
});
