/**
 * Exchange against a fake ExchangeIo: what it sends, and what it does when the client leaves at
 * each step.
 */
import assert from "node:assert/strict";
import {
  type AccessEntry,
  Exchange,
  type ExchangeIo,
  type Failure,
  type Handoff,
} from "../../lib/handler/exchange.ts";
import type { IncomingRequest, RequestHandler } from "../../lib/handler/handler.ts";
import type { ResponseEnd } from "../../lib/handler/response_writer.ts";
import { BufferShelf } from "../../lib/handler/shelf.ts";
import type { PlannedResponse } from "../../lib/handler/handler.ts";

const encoder = new TextEncoder();

interface Sent {
  text: string;
  end?: ResponseEnd;
}

/** A worker's services that record what an exchange sends; no credit ever comes back. */
function fakeIo(
  handle: RequestHandler,
): { io: ExchangeIo; sent: Sent[]; pulls: number[]; logs: AccessEntry[]; errors: Failure[] } {
  const sent: Sent[] = [];
  const errors: Failure[] = [];
  const pulls: number[] = [];
  const logs: AccessEntry[] = [];
  const io: ExchangeIo = {
    handle,
    serverHeader: "heiretsu/test",
    maxBodyBytes: 1024,
    maxPull: 65536,
    limits: { maxRequestLineBytes: 8192, maxHeaderBytes: 32768, maxHeaderCount: 100 },
    parserStorage: new BufferShelf(4096, 4),
    pull: (_stream, bytes) => pulls.push(bytes),
    log: (entry) => logs.push(entry),
    logError: (failure) => void errors.push(failure),
    logNotice: () => {},
    scratch: new Uint8Array(512 * 1024),
    windowBytes: 1024,
    backlogged: () => false,
    whenFlushed: () => Promise.resolve(),
    send: (_stream, bytes, end) => sent.push({ text: new TextDecoder().decode(bytes), end }),
  };
  return { io, sent, pulls, logs, errors };
}

function start(head: string) {
  return { stream: 1, remote: "127.0.0.1", port: 1234, head: encoder.encode(head) };
}

/** A response whose body is a file, so a test can see whether it was closed. */
function fileResponse(path: string): { response: PlannedResponse; file: Deno.FsFile } {
  const file = Deno.openSync(path);
  const length = file.statSync().size;
  return {
    file,
    response: {
      status: 200,
      headers: [["content-length", String(length)]],
      body: { kind: "file", file, offset: 0, length },
    },
  };
}

/** An exchange for `GET /big` whose handler answers with a temporary file of `bytes` bytes. */
function fileExchange(bytes: number) {
  const path = Deno.makeTempFileSync();
  Deno.writeFileSync(path, new Uint8Array(bytes));
  let file: Deno.FsFile | null = null;
  const { io, sent } = fakeIo(() => {
    const planned = fileResponse(path);
    file = planned.file;
    return planned.response;
  });
  const exchange = new Exchange(io, start("GET /big HTTP/1.1\r\nHost: a\r\n\r\n"));
  return { exchange, sent, path, opened: () => file };
}

function isClosed(file: Deno.FsFile): boolean {
  try {
    file.statSync();
    return false;
  } catch {
    return true;
  }
}

Deno.test("Exchange.run() sends the head and body and ends the exchange", async () => {
  const { io, sent } = fakeIo(() => ({
    status: 200,
    headers: [["content-length", "2"]],
    body: { kind: "bytes", bytes: encoder.encode("ok") },
  }));
  const exchange = new Exchange(io, start("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  await exchange.run();
  assert.equal(exchange.state, "done");
  assert.equal(sent.length, 1);
  assert.match(sent[0].text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.ok(sent[0].text.endsWith("\r\n\r\nok"));
  assert.equal(sent[0].end?.close, false);
});

Deno.test("Exchange.run() stops when the client leaves before the handler answers", async () => {
  const path = Deno.makeTempFileSync();
  Deno.writeFileSync(path, new Uint8Array(64 * 1024));
  const answer = Promise.withResolvers<PlannedResponse>();
  const { io, sent } = fakeIo(() => answer.promise);
  const exchange = new Exchange(io, start("GET /big HTTP/1.1\r\nHost: a\r\n\r\n"));
  const done = exchange.run();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(exchange.state, "handling");
  exchange.abort();
  const { response, file } = fileResponse(path);
  answer.resolve(response);
  await done;
  assert.equal(exchange.state, "aborted");
  assert.equal(sent.length, 0, "nothing may be sent for a client that left");
  assert.ok(isClosed(file), "the file the handler opened is closed");
  Deno.removeSync(path);
});

Deno.test("Exchange.run() stops when the abort comes in the same turn as the request", async () => {
  const { exchange, sent, opened, path } = fileExchange(64 * 1024);
  const done = exchange.run();
  exchange.abort(); // a ring drain hands over the request and the abort together
  await done;
  // A response that fits the window goes out before run() first yields: then the abort comes
  // after the end. Either way nothing waits for credit and the file is closed.
  if (exchange.state === "aborted") assert.equal(sent.length, 0);
  else assert.equal(sent.at(-1)?.end?.close, false);
  assert.ok(opened() !== null && isClosed(opened()!));
  Deno.removeSync(path);
});

Deno.test("Exchange.run() ends a response waiting for credit when the client leaves", async () => {
  const { exchange, sent, opened, path } = fileExchange(1024 * 1024);
  const done = exchange.run();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(exchange.state, "responding");
  assert.equal(sent.length, 1, "one record, then the window is full");
  exchange.abort();
  await done;
  assert.ok(opened() !== null && isClosed(opened()!));
  Deno.removeSync(path);
});

Deno.test("Exchange.run() asks for a body only when the handler reads it", async () => {
  const { io, sent, pulls } = fakeIo(async (incoming) => {
    const bytes = await incoming.body.read();
    return {
      status: 200,
      headers: [["content-length", String(bytes?.byteLength ?? 0)]],
      body: { kind: "bytes", bytes: bytes ?? new Uint8Array() },
    };
  });
  const exchange = new Exchange(
    io,
    start("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n"),
  );
  const done = exchange.run();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(pulls, [65536]);
  exchange.receive(encoder.encode("abc"), false);
  await done;
  assert.ok(sent.map((record) => record.text).join("").endsWith("\r\n\r\nabc"));
  assert.equal(sent.at(-1)!.end?.close, false, "the body was drained: keep-alive goes on");
});

Deno.test("Exchange logs the body bytes of a complete response, head apart", async () => {
  const { io, sent, logs } = fakeIo(() => ({
    status: 200,
    headers: [["content-length", "2"]],
    body: { kind: "bytes", bytes: encoder.encode("ok") },
  }));
  await new Exchange(io, start("GET /a?b=1 HTTP/1.1\r\nHost: a\r\n\r\n")).run();
  assert.equal(logs.length, 1);
  const [entry] = logs;
  assert.equal(entry.requestLine, "GET /a?b=1 HTTP/1.1");
  assert.equal(entry.status, 200);
  assert.equal(entry.ended, "complete");
  assert.equal(entry.bytes, 2);
  assert.equal(entry.headBytes, sent[0].text.length - 2);
  assert.equal(entry.referer, null);
  assert.equal(entry.userAgent, null);
});

Deno.test("Exchange logs a request whose client left before the answer as 499, once", async () => {
  const answer = Promise.withResolvers<PlannedResponse>();
  const { io, logs } = fakeIo(() => answer.promise);
  const exchange = new Exchange(io, start("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"));
  const done = exchange.run();
  await new Promise((resolve) => setTimeout(resolve, 0));
  exchange.abort();
  assert.equal(logs.length, 1, "logged at the abort, even if the handler never answers");
  answer.resolve({ status: 204, headers: [], body: { kind: "empty" } });
  await done;
  exchange.abort();
  assert.equal(logs.length, 1);
  assert.deepEqual([logs[0].status, logs[0].bytes, logs[0].ended], [499, 0, "aborted"]);
});

Deno.test("Exchange ends with a close when the app rejects with its signal's reason after the client closed its side", async () => {
  const { io, sent, logs } = fakeIo(({ signal }) =>
    new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)))
  );
  const exchange = new Exchange(io, start("GET /upstream HTTP/1.1\r\nHost: a\r\n\r\n"));
  const done = exchange.run();
  await new Promise((resolve) => setTimeout(resolve, 0));
  exchange.receive(new Uint8Array(), true);
  await done;
  assert.equal(exchange.state, "done");
  assert.deepEqual(sent.map((s) => [s.text, s.end?.close]), [["", true]]);
  assert.equal(logs.length, 1);
  assert.deepEqual([logs[0].status, logs[0].ended], [499, "aborted"]);
});

Deno.test("Exchange drains a body after the app's own pending read, which gets its bytes", async () => {
  let appRead: Promise<Uint8Array | null> | null = null;
  const { io, sent, pulls } = fakeIo(({ body }) => {
    // The app asks for the body and answers without waiting for it.
    appRead = body.read();
    return { status: 204, headers: [], body: { kind: "empty" } };
  });
  const exchange = new Exchange(
    io,
    start("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n"),
  );
  const done = exchange.run();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(pulls.length, 1, "one pull at a time");
  exchange.receive(encoder.encode("0123456789"), false);
  await done;
  assert.equal(new TextDecoder().decode((await appRead)!), "0123456789");
  assert.equal(exchange.state, "done");
  assert.equal(sent.at(-1)?.end?.close, false, "the body was drained: the connection goes on");
});

Deno.test("Exchange logs an aborted download with the bytes written to the socket", async () => {
  const path = Deno.makeTempFileSync();
  Deno.writeFileSync(path, new Uint8Array(1024 * 1024));
  const { io, sent, logs } = fakeIo(() => fileResponse(path).response);
  const exchange = new Exchange(io, start("GET /big HTTP/1.1\r\nHost: a\r\n\r\n"));
  const done = exchange.run();
  await new Promise((resolve) => setTimeout(resolve, 10));
  const written = sent[0].text.length;
  exchange.credit(written);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(logs.length, 0, "nothing logged while the response goes on");
  exchange.abort();
  await done;
  assert.equal(logs.length, 1);
  const [entry] = logs;
  assert.equal(entry.status, 200);
  assert.equal(entry.ended, "aborted");
  assert.equal(
    entry.bytes + entry.headBytes,
    written,
    "what reached the socket, not what was sent",
  );
  assert.ok(entry.bytes > 0 && entry.bytes < 1024 * 1024);
  Deno.removeSync(path);
});

Deno.test("Exchange logs a stream that fails after the head as failed", async () => {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode("part"));
    },
    pull() {
      throw new Error("the app's stream broke");
    },
  });
  const { io, logs } = fakeIo(() => ({
    status: 200,
    headers: [],
    body: { kind: "stream", stream },
  }));
  await new Exchange(io, start("GET /s HTTP/1.1\r\nHost: a\r\n\r\n")).run();
  assert.equal(logs.length, 1);
  assert.equal(logs[0].ended, "failed");
  assert.equal(logs[0].status, 200);
});

Deno.test("Exchange logs the reason of every 500 it makes, an unsendable header value's too", async () => {
  const { io, sent, errors } = fakeIo(() => ({
    status: 200,
    headers: [["x-bad", "a\u0001b"]],
    body: { kind: "empty" },
  }));
  await new Exchange(io, start("GET /bad HTTP/1.1\r\nHost: a\r\n\r\n")).run();
  assert.match(sent[0].text, /^HTTP\/1.1 500 /);
  assert.equal(errors.length, 1);
  assert.match(String(errors[0].error), /x-bad/);
  assert.equal(errors[0].head?.target, "/bad");
});

Deno.test("Exchange logs no error for a 4xx or 501 the client's request earned", async () => {
  const { io, sent, errors } = fakeIo(() => ({
    status: 204,
    headers: [],
    body: { kind: "empty" },
  }));
  await new Exchange(io, start("GET / HTTP/1.1\r\nHost:\r\n\r\n")).run();
  assert.match(sent[0].text, /^HTTP\/1.1 400 /);
  assert.equal(errors.length, 0);
});

/** An app's event stream: one event, then nothing; `cancelled` once the server cancels it. */
function idleEvents() {
  const state = { cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode("data: 0\n\n"));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { state, stream };
}

Deno.test("Exchange ends a streamed response at once when the client closes its side", async () => {
  const { state, stream } = idleEvents();
  let completed = false;
  const { io, sent, logs } = fakeIo((incoming) => {
    incoming.completed.then(() => (completed = true));
    return { status: 200, headers: [], body: { kind: "stream", stream } };
  });
  const exchange = new Exchange(io, start("GET /events HTTP/1.1\r\nHost: a\r\n\r\n"));
  const done = exchange.run();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.match(sent.map((s) => s.text).join(""), /data: 0/);
  assert.equal(logs.length, 0, "the stream is idle, no write pending");
  exchange.receive(new Uint8Array(), true);
  await done;
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(state.cancelled, true, "the app's stream was cancelled");
  assert.equal(completed, true);
  assert.equal(exchange.state, "aborted");
  const end = { close: true, reset: true, leftover: new Uint8Array() };
  assert.deepEqual(sent.at(-1), { text: "", end });
  assert.equal(logs.length, 1);
  assert.equal(logs[0].ended, "aborted");
});

Deno.test("Exchange ends a streamed response waiting for credit when the client closes its side", async () => {
  const stream = new ReadableStream<Uint8Array>({
    pull: (controller) => controller.enqueue(new Uint8Array(4096)),
  });
  const { io, sent, logs } = fakeIo(() => ({
    status: 200,
    headers: [],
    body: { kind: "stream", stream },
  }));
  const exchange = new Exchange(io, start("GET /events HTTP/1.1\r\nHost: a\r\n\r\n"));
  const done = exchange.run();
  await new Promise((resolve) => setTimeout(resolve, 10));
  const before = sent.length;
  exchange.receive(new Uint8Array(), true);
  await done;
  assert.equal(sent.length, before + 1, "only the closing end after the close");
  assert.equal(sent.at(-1)?.end?.close, true);
  assert.equal(logs[0].ended, "aborted");
});

Deno.test("Exchange does not start a streamed body for a client that closed its side", async () => {
  const { state, stream } = idleEvents();
  const answer = Promise.withResolvers<PlannedResponse>();
  const { io, sent, logs } = fakeIo(() => answer.promise);
  const exchange = new Exchange(io, start("GET /events HTTP/1.1\r\nHost: a\r\n\r\n"));
  const done = exchange.run();
  await new Promise((resolve) => setTimeout(resolve, 0));
  exchange.receive(new Uint8Array(), true);
  answer.resolve({ status: 200, headers: [], body: { kind: "stream", stream } });
  await done;
  assert.equal(state.cancelled, true);
  assert.deepEqual(sent.map((s) => [s.text, s.end?.close]), [["", true]]);
  assert.deepEqual([logs[0].status, logs[0].ended], [499, "aborted"]);
});

Deno.test("Exchange still sends a whole body to a client that closed its side after its request", async () => {
  const answer = Promise.withResolvers<PlannedResponse>();
  const { io, sent, logs } = fakeIo(() => answer.promise);
  const exchange = new Exchange(io, start("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  const done = exchange.run();
  await new Promise((resolve) => setTimeout(resolve, 0));
  // As `printf 'GET / …' | nc -q 5 host port` does.
  exchange.receive(new Uint8Array(), true);
  const bytes = encoder.encode("ok");
  answer.resolve({
    status: 200,
    headers: [["content-length", "2"]],
    body: { kind: "bytes", bytes },
  });
  await done;
  assert.equal(exchange.state, "done");
  assert.match(sent[0].text, /^HTTP\/1.1 200 OK\r\n[^]*\r\n\r\nok$/);
  assert.deepEqual([logs[0].status, logs[0].ended], [200, "complete"]);
});

Deno.test("Exchange aborts the request's signal once the response is done, as Deno.serve does", async () => {
  let signal: AbortSignal | null = null;
  let incoming: IncomingRequest | null = null;
  const { io } = fakeIo((request) => {
    incoming = request;
    signal = request.signal;
    return { status: 204, headers: [], body: { kind: "empty" } };
  });
  await new Exchange(io, start("GET / HTTP/1.1\r\nHost: a\r\n\r\n")).run();
  assert.equal(signal!.aborted, true);
  assert.equal((signal!.reason as DOMException).name, "AbortError");
  // A signal first asked for after the response is aborted too.
  const late = fakeIo((request) => {
    incoming = request;
    return { status: 204, headers: [], body: { kind: "empty" } };
  });
  await new Exchange(late.io, start("GET / HTTP/1.1\r\nHost: a\r\n\r\n")).run();
  assert.equal(incoming!.signal.aborted, true);
});

Deno.test("Exchange does not abort the signal while a streamed response goes on", async () => {
  let signal: AbortSignal | null = null;
  const body = Promise.withResolvers<void>();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await body.promise;
      controller.close();
    },
  });
  const { io } = fakeIo((request) => {
    signal = request.signal;
    return { status: 200, headers: [], body: { kind: "stream", stream } };
  });
  const done = new Exchange(io, start("GET / HTTP/1.1\r\nHost: a\r\n\r\n")).run();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(signal!.aborted, false);
  body.resolve();
  await done;
  assert.equal(signal!.aborted, true);
});

Deno.test("Exchange answers an app's error with plain text unless the client prefers HTML", async () => {
  const cases: Array<[string, RegExp]> = [
    ["", /content-type: text\/plain[^]*\r\n\r\nInternal Server Error$/],
    ["Accept: */*\r\n", /content-type: text\/plain[^]*\r\n\r\nInternal Server Error$/],
    ["Accept: application/json\r\n", /content-type: text\/plain/],
    [
      "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n",
      /content-type: text\/html[^]*<title>500 Internal Server Error<\/title>/,
    ],
  ];
  for (const [accept, expected] of cases) {
    const { io, sent } = fakeIo(() => {
      throw new Error("the app broke");
    });
    await new Exchange(io, start(`GET / HTTP/1.1\r\nHost: a\r\n${accept}\r\n`)).run();
    const text = sent.map((s) => s.text).join("");
    assert.match(text, /^HTTP\/1.1 500 /);
    assert.match(text, expected, accept);
  }
});

/** A 101 plan whose socket records what its tunnel tells it. */
function upgradePlan(seen: string[]): PlannedResponse {
  return {
    status: 101,
    headers: [["upgrade", "websocket"], ["connection", "Upgrade"]],
    body: { kind: "empty" },
    upgrade: {
      accept: () => ({
        receive: () => void seen.push("receive"),
        ended: () => void seen.push("ended"),
        lost: () => void seen.push("lost"),
        goAway: () => void seen.push("goAway"),
      }),
      refuse: (reason) => void seen.push(`refused: ${reason}`),
    },
  };
}

Deno.test("Exchange hands a 101 and its head to io.upgrade, and logs it as 101 once switched", async () => {
  const { io, sent, logs } = fakeIo(() => upgradePlan([]));
  const handoffs: Handoff[] = [];
  io.upgrade = (handoff) => void handoffs.push(handoff);
  const exchange = new Exchange(io, start("GET /ws HTTP/1.1\r\nHost: a\r\n\r\n"));
  await exchange.run();
  assert.equal(exchange.state, "done");
  assert.equal(sent.length, 0);
  assert.equal(handoffs.length, 1);
  const head = new TextDecoder().decode(handoffs[0].head);
  assert.match(
    head,
    /^HTTP\/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n/,
  );
  assert.doesNotMatch(head, /content-length|transfer-encoding/i);
  // Not before the main thread confirms the switch: a refused upgrade (503) is never logged 101.
  assert.equal(logs.length, 0);
  handoffs[0].switched();
  assert.equal(logs[0].status, 101);
});

Deno.test("Exchange answers 400 to an upgrade with a body, and refuses the socket of a client that left", async () => {
  const refused: string[] = [];
  const { io, sent } = fakeIo(() => upgradePlan(refused));
  io.upgrade = () => assert.fail("no upgrade with a body");
  await new Exchange(io, start("GET /ws HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx")).run();
  assert.match(sent[0].text, /^HTTP\/1.1 400 /);
  assert.deepEqual(refused, [
    "refused: A WebSocket upgrade must be an HTTP/1.1 GET without a body",
  ]);
  const seen: string[] = [];
  const answer = Promise.withResolvers<PlannedResponse>();
  const left = fakeIo(() => answer.promise);
  left.io.upgrade = () => assert.fail("the client left");
  const exchange = new Exchange(left.io, start("GET /ws HTTP/1.1\r\nHost: a\r\n\r\n"));
  const running = exchange.run();
  exchange.abort();
  answer.resolve(upgradePlan(seen));
  await running;
  assert.deepEqual(seen, ["refused: the client went away before the upgrade"]);
});
