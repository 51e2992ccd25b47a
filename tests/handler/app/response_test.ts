import assert from "node:assert/strict";
import fc from "../../_helpers/fast_check.ts";
import { fromResponse, HOP_BY_HOP, responseHeaders } from "../../../lib/handler/app/response.ts";
import type { PlannedResponse } from "../../../lib/handler/handler.ts";

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

/** A response whose body is the stream `start` writes. */
function streamed(start: (controller: ReadableStreamDefaultController) => void): Response {
  return new Response(new ReadableStream({ start }));
}

function contentLength(planned: PlannedResponse): string | undefined {
  return planned.headers.find(([name]) => name === "content-length")?.[1];
}

async function streamText(planned: PlannedResponse): Promise<string> {
  assert.equal(planned.body.kind, "stream");
  if (planned.body.kind !== "stream") throw new Error("unreachable");
  return await new Response(planned.body.stream).text();
}

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

Deno.test("fromResponse() sends a body complete at once as bytes, whatever made it", async () => {
  const made = [
    new Response("hello"),
    new Response(bytes("hello")),
    new Response(new URLSearchParams("a=123")),
    streamed((controller) => {
      controller.enqueue(bytes("hello"));
      controller.close();
    }),
  ];
  for (const response of made) {
    const planned = await fromResponse(response, { method: "GET" });
    assert.equal(planned.body.kind, "bytes");
    assert.equal(contentLength(planned), "5");
  }
});

Deno.test("fromResponse() gives an empty body a length of 0", async () => {
  const closed = await fromResponse(streamed((controller) => controller.close()), {
    method: "GET",
  });
  assert.deepEqual(closed.body, { kind: "empty" });
  assert.equal(contentLength(closed), "0");
  const none = await fromResponse(new Response(null), { method: "GET" });
  assert.deepEqual(none.body, { kind: "empty" });
  assert.equal(contentLength(none), "0");
  // An empty string is one empty piece, then the end.
  const text = await fromResponse(new Response(""), { method: "GET" });
  assert.deepEqual(text.body, { kind: "bytes", bytes: new Uint8Array() });
  assert.equal(contentLength(text), "0");
});

Deno.test("fromResponse() streams a body still being written without waiting for its next piece", async () => {
  let close = () => {};
  const response = streamed((controller) => {
    controller.enqueue(bytes("data: 1\n\n"));
    close = () => controller.close();
  });
  const planned = await fromResponse(response, { method: "GET" });
  assert.equal(planned.body.kind, "stream");
  assert.equal(contentLength(planned), undefined);
  close();
  assert.equal(await streamText(planned), "data: 1\n\n");
});

Deno.test("fromResponse() streams one piece followed by its end on a timer, before the timer", async () => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const response = streamed((controller) => {
    controller.enqueue(bytes("a"));
    timer = setTimeout(() => controller.close(), 50);
  });
  const started = performance.now();
  const planned = await fromResponse(response, { method: "GET" });
  assert.ok(performance.now() - started < 50, "the plan waited for the timer");
  assert.equal(planned.body.kind, "stream");
  assert.equal(await streamText(planned), "a");
  clearTimeout(timer);
});

Deno.test("fromResponse() gives a length to a body whose one piece and end come later together", async () => {
  const response = new Response(
    new ReadableStream({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        controller.enqueue(bytes("late"));
        controller.close();
      },
    }),
  );
  const planned = await fromResponse(response, { method: "GET" });
  assert.deepEqual(planned.body, { kind: "bytes", bytes: bytes("late") });
  assert.equal(contentLength(planned), "4");
});

Deno.test("fromResponse() waits two microtasks, no more, for the end after the first piece", async () => {
  const after = (ticks: number) =>
    streamed((controller) => {
      controller.enqueue(bytes("a"));
      let close = () => controller.close();
      for (let i = 1; i < ticks; i++) {
        const inner = close;
        close = () => queueMicrotask(inner);
      }
      queueMicrotask(close);
    });
  assert.equal((await fromResponse(after(1), { method: "GET" })).body.kind, "bytes");
  assert.equal((await fromResponse(after(2), { method: "GET" })).body.kind, "bytes");
  const late = await fromResponse(after(3), { method: "GET" });
  assert.equal(late.body.kind, "stream");
  assert.equal(await streamText(late), "a");
});

Deno.test("fromResponse() streams pieces written at once, in order", async () => {
  const response = streamed((controller) => {
    controller.enqueue(bytes("a"));
    controller.enqueue(bytes("b"));
    controller.enqueue(bytes("c"));
    controller.close();
  });
  const planned = await fromResponse(response, { method: "GET" });
  assert.equal(await streamText(planned), "abc");
});

Deno.test("fromResponse() takes DataView and ArrayBuffer pieces as bytes", async () => {
  const view = new DataView(new Uint8Array([0, 1, 2, 3]).buffer, 1, 2);
  for (const [chunk, expected] of [[view, [1, 2]], [new Uint8Array([7]).buffer, [7]]] as const) {
    const response = streamed((controller) => {
      controller.enqueue(chunk);
      controller.close();
    });
    const planned = await fromResponse(response, { method: "GET" });
    assert.deepEqual(planned.body, { kind: "bytes", bytes: new Uint8Array(expected) });
  }
});

Deno.test("fromResponse() fails a string piece with a message naming it, and cancels the body", async () => {
  let cancelled = false;
  const first = new Response(
    new ReadableStream({
      start: (controller: ReadableStreamDefaultController) => controller.enqueue("text"),
      cancel: () => void (cancelled = true),
    }),
  );
  await assert.rejects(
    () => fromResponse(first, { method: "GET" }),
    /gave a string: each chunk of a body stream must be a Uint8Array/,
  );
  assert.equal(cancelled, true);
  const second = streamed((controller) => {
    controller.enqueue(bytes("a"));
    controller.enqueue({});
    controller.close();
  });
  const planned = await fromResponse(second, { method: "GET" });
  await assert.rejects(() => streamText(planned), /gave Object: each chunk/);
});

Deno.test("fromResponse() fails with the body's own error when it errs at once", async () => {
  const errs = (afterFirst: boolean) =>
    streamed((controller) => {
      if (afterFirst) controller.enqueue(bytes("a"));
      controller.error(new Error("boom"));
    });
  await assert.rejects(() => fromResponse(errs(false), { method: "GET" }), /^Error: boom$/);
  await assert.rejects(() => fromResponse(errs(true), { method: "GET" }), /^Error: boom$/);
});

Deno.test("fromResponse() answers HEAD with GET's headers and no body", async () => {
  const known = await fromResponse(new Response("hello"), { method: "HEAD" });
  assert.deepEqual(known.body, { kind: "empty" });
  assert.equal(contentLength(known), "5");
  let cancelled = false;
  const open = new Response(
    new ReadableStream({
      start: (controller) => controller.enqueue(bytes("a")),
      cancel: () => void (cancelled = true),
    }),
    { headers: { "content-length": "10" } },
  );
  const declared = await fromResponse(open, { method: "HEAD" });
  assert.deepEqual(declared.body, { kind: "empty" });
  assert.equal(contentLength(declared), "10");
  assert.equal(cancelled, true);
});

Deno.test("fromResponse() sends no body and no Content-Length for 204 and 304", async () => {
  for (const status of [204, 304]) {
    for (const method of ["GET", "HEAD"]) {
      const planned = await fromResponse(new Response(null, { status }), { method });
      assert.deepEqual(planned, { status, headers: [], body: { kind: "empty" } });
    }
  }
});

/** responseHeaders() as it was written with for…of, to hold the forEach version to it. */
function reference(headers: Headers): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of headers) {
    if (name === "set-cookie" || HOP_BY_HOP.has(name)) continue;
    out.push([name, value]);
  }
  for (const cookie of headers.getSetCookie()) out.push(["set-cookie", cookie]);
  return out;
}

Deno.test("responseHeaders() gives the fields sorted and combined, each Set-Cookie apart, last", () => {
  const names = fc.constantFrom(
    "set-cookie",
    "Set-Cookie",
    "x-a",
    "X-B",
    "content-type",
    "vary",
    ...HOP_BY_HOP,
  );
  const values = fc.stringMatching(/^[!-~]([ -~]{0,6}[!-~])?$/);
  fc.assert(
    fc.property(fc.array(fc.tuple(names, values), { maxLength: 12 }), (fields) => {
      const headers = new Headers(fields);
      assert.deepEqual(responseHeaders(headers), reference(headers));
    }),
  );
});

Deno.test("fromResponse() stops waiting for a first piece that never comes once the exchange ends", async () => {
  let cancelled = false;
  const silent = new Response(
    new ReadableStream({
      pull: () => new Promise(() => {}),
      cancel: () => void (cancelled = true),
    }),
  );
  const ended = Promise.withResolvers<void>();
  const planning = fromResponse(silent, { method: "GET", ended: () => ended.promise });
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(cancelled, false, "an app still writing is waited for");
  ended.resolve();
  const planned = await planning;
  assert.equal(cancelled, true);
  assert.equal(planned.body.kind, "empty");
});

Deno.test("fromResponse() keeps an app's Content-Length on a streamed body, once", async () => {
  const open = new Response(
    new ReadableStream({ start: (controller) => controller.enqueue(bytes("abc")) }),
    { headers: { "content-length": "6" } },
  );
  const planned = await fromResponse(open, { method: "GET" });
  assert.equal(planned.body.kind, "stream");
  assert.deepEqual(planned.headers.filter(([name]) => name === "content-length"), [
    ["content-length", "6"],
  ]);
  const head = await fromResponse(
    new Response(new ReadableStream({ start: (c) => c.enqueue(bytes("a")) }), {
      headers: { "content-length": "6" },
    }),
    { method: "HEAD" },
  );
  assert.deepEqual(head.headers.filter(([name]) => name === "content-length"), [
    ["content-length", "6"],
  ]);
});

Deno.test("fromResponse() fails a streamed body whose Content-Length is no length, naming it", async () => {
  for (const value of ["abc", "-1", "1e3", "9999999999999999"]) {
    const open = new Response(
      new ReadableStream({ start: (controller) => controller.enqueue(bytes("abc")) }),
      { headers: { "content-length": value } },
    );
    await assert.rejects(
      fromResponse(open, { method: "GET" }),
      /Content-Length .* is not a length/,
    );
  }
});
