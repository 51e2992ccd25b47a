import assert from "node:assert/strict";
import { appHandler } from "../../../lib/handler/app/handler.ts";
import type { AppFetch } from "../../../lib/handler/app/load.ts";
import type { IncomingRequest } from "../../../lib/handler/handler.ts";
import { RequestBody } from "../../../lib/handler/request_body.ts";

/** A GET / from 127.0.0.1:40000; `completed` counts how often it is read. */
function incoming(method = "GET") {
  const done = Promise.resolve();
  const reads = { completed: 0 };
  const request = {
    head: {
      method,
      target: "/",
      version: "HTTP/1.1",
      headers: [["host", "h"]],
      framing: { kind: "none" },
      keepAlive: true,
      expectContinue: false,
    },
    remote: "127.0.0.1",
    port: 40000,
    get completed() {
      reads.completed++;
      return done;
    },
    body: RequestBody.none(),
    signal: new AbortController().signal,
  } as unknown as IncomingRequest;
  return { request, done, reads };
}

const plain = { scheme: "http", extraHeaders: [] } as const;

Deno.test("appHandler() plans a Response given as it is or in a promise alike", async () => {
  const sync = appHandler(() => new Response("hi"), plain);
  const later = appHandler(() => Promise.resolve(new Response("hi")), plain);
  const expected = {
    status: 200,
    headers: [["content-type", "text/plain;charset=UTF-8"], ["content-length", "2"]],
    body: { kind: "bytes", bytes: new TextEncoder().encode("hi") },
  };
  assert.deepEqual(await sync(incoming().request), expected);
  assert.deepEqual(await later(incoming().request), expected);
});

Deno.test("appHandler() refuses an answer that is no Response, naming its type", async () => {
  for (const answer of [undefined, Promise.resolve("text"), { status: 200 }]) {
    const handle = appHandler((() => answer) as unknown as AppFetch, plain);
    await assert.rejects(async () => await handle(incoming().request), TypeError);
  }
  const handle = appHandler((() => undefined) as unknown as AppFetch, plain);
  await assert.rejects(
    async () => await handle(incoming().request),
    /the app's fetch returned undefined, not a Response/,
  );
});

Deno.test("appHandler() adds each --header field the app did not set itself", async () => {
  const handle = appHandler(
    () => new Response(null, { status: 204, headers: { "x-frame-options": "SAMEORIGIN" } }),
    { scheme: "http", extraHeaders: [["x-frame-options", "DENY"], ["x-extra", "1"]] },
  );
  const planned = await handle(incoming().request);
  assert.deepEqual(planned.headers, [["x-frame-options", "SAMEORIGIN"], ["x-extra", "1"]]);
});

Deno.test("appHandler() gives the app its peer, and `completed` only when the app reads it", async () => {
  const seen: Array<Deno.NetAddr> = [];
  const quiet = appHandler((_request, info) => {
    seen.push(info.remoteAddr);
    return new Response("hi");
  }, plain);
  const first = incoming();
  await quiet(first.request);
  assert.deepEqual(seen, [{ transport: "tcp", hostname: "127.0.0.1", port: 40000 }]);
  assert.equal(first.reads.completed, 0);
  let completed: Promise<void> | null = null;
  const asking = appHandler((_request, info) => {
    completed = info.completed;
    return new Response("hi");
  }, plain);
  const second = incoming();
  await asking(second.request);
  assert.equal(completed, second.done);
});
