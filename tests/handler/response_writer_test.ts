/**
 * ResponseWriter against a fake WriterIo: records no larger than the scratch buffer, never more
 * than the window unacknowledged, an abort that ends a wait, chunked framing of streams, and
 * bodies made of bytes and file ranges.
 */
import assert from "node:assert/strict";
import {
  AbortedError,
  LengthMismatchError,
  type ResponseEnd,
  ResponseWriter,
  STREAM_END_WAIT_MS,
  unendedStream,
  type WriterIo,
} from "../../lib/handler/response_writer.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Record {
  stream: number;
  text: string;
  end?: ResponseEnd;
}

/** A worker's writer services that record every record sent; credit comes only from the test. */
function fakeIo(options: { scratchBytes: number; windowBytes: number }): {
  io: WriterIo;
  records: Record[];
  flushes: { count: number };
} {
  const records: Record[] = [];
  const flushes = { count: 0 };
  const io: WriterIo = {
    scratch: new Uint8Array(options.scratchBytes),
    windowBytes: options.windowBytes,
    backlogged: () => false,
    whenFlushed: () => {
      flushes.count++;
      return Promise.resolve();
    },
    // The writer reuses its scratch buffer: copy, as the channel does.
    send: (stream, bytes, end) => records.push({ stream, text: decoder.decode(bytes), end }),
  };
  return { io, records, flushes };
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

const END: ResponseEnd = { close: false, leftover: new Uint8Array() };

Deno.test("ResponseWriter.sendParts() sends the head and body in records that fit the scratch buffer", async () => {
  const { io, records } = fakeIo({ scratchBytes: 16, windowBytes: 1024 });
  const writer = new ResponseWriter(io, 7);
  await writer.sendParts("HEAD\r\n\r\n", {
    parts: [encoder.encode("0123456789abcdefXYZ")],
    end: END,
  });
  assert.deepEqual(records.map((r) => r.text), ["HEAD\r\n\r\n01234567", "89abcdefXYZ"]);
  assert.ok(records.every((r) => r.stream === 7));
  assert.deepEqual(records.map((r) => r.end), [undefined, END], "only the last record ends");
  assert.equal(writer.sentBytes, 8 + 19);
});

Deno.test("ResponseWriter.sendParts() sends what fits the window at once, without a promise", () => {
  const { io, records } = fakeIo({ scratchBytes: 64, windowBytes: 1024 });
  const result = new ResponseWriter(io, 1).sendParts("H\r\n\r\n", { parts: [], end: END });
  assert.equal(result, undefined);
  assert.equal(records.length, 1);
});

Deno.test("ResponseWriter.sendParts() without an end sends no end (the exchange goes on)", async () => {
  const { io, records } = fakeIo({ scratchBytes: 64, windowBytes: 1024 });
  await new ResponseWriter(io, 1).sendParts("H\r\n\r\n", { parts: [] });
  assert.deepEqual(records, [{ stream: 1, text: "H\r\n\r\n", end: undefined }]);
});

Deno.test("ResponseWriter waits for credit once a window of bytes is unacknowledged", async () => {
  const { io, records } = fakeIo({ scratchBytes: 10, windowBytes: 20 });
  const writer = new ResponseWriter(io, 1);
  let done = false;
  const sending = Promise.resolve(
    writer.sendParts("", { parts: [new Uint8Array(50).fill(97)], end: END }),
  ).then(() => (done = true));
  await settle();
  assert.equal(records.length, 2, "two records of 10 bytes fill the window of 20");
  assert.equal(done, false);
  writer.credit(5);
  await settle();
  assert.equal(records.length, 2, "5 bytes of room do not fit a 10-byte record");
  writer.credit(5);
  await settle();
  assert.equal(records.length, 3);
  writer.credit(100);
  await sending;
  assert.equal(records.length, 5);
  assert.equal(records.map((r) => r.text).join(""), "a".repeat(50));
});

Deno.test("ResponseWriter.abort() ends a wait for credit with AbortedError, and later writes too", async () => {
  const { io, records } = fakeIo({ scratchBytes: 10, windowBytes: 10 });
  const writer = new ResponseWriter(io, 1);
  const sending = writer.sendParts("", { parts: [new Uint8Array(30)], end: END })!;
  await settle();
  assert.equal(records.length, 1);
  writer.abort();
  await assert.rejects(sending, AbortedError);
  await assert.rejects(writer.sendParts("H", { parts: [] })!, AbortedError);
  assert.equal(records.length, 1, "nothing is sent after the abort");
});

Deno.test("ResponseWriter waits for the channel's backlog to flush before filling a record", async () => {
  const { io, records, flushes } = fakeIo({ scratchBytes: 64, windowBytes: 1024 });
  io.backlogged = () => true;
  await new ResponseWriter(io, 1).sendParts("H\r\n\r\n", { parts: [encoder.encode("x")] });
  assert.equal(flushes.count, 1);
  assert.equal(records.length, 1);
});

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

Deno.test("ResponseWriter.sendStream() frames each piece as a chunk and ends with the last chunk", async () => {
  const { io, records } = fakeIo({ scratchBytes: 1024, windowBytes: 4096 });
  const stream = streamOf(["hello", "", "a longer piece"]);
  await new ResponseWriter(io, 3).sendStream("H\r\n\r\n", { stream, chunked: true, end: END });
  assert.deepEqual(records.map((r) => r.text), [
    "H\r\n\r\n",
    "5\r\nhello\r\n",
    "e\r\na longer piece\r\n",
    "0\r\n\r\n",
  ]);
  assert.equal(records.at(-1)!.end, END);
});

Deno.test("ResponseWriter.sendStream() splits a piece larger than the scratch buffer into chunks", async () => {
  const { io, records } = fakeIo({ scratchBytes: 30, windowBytes: 4096 });
  const stream = streamOf(["x".repeat(25)]);
  await new ResponseWriter(io, 1).sendStream("H", { stream, chunked: true, end: END });
  // 30 bytes of scratch leave 10 for data besides the 20 reserved for the framing.
  assert.deepEqual(records.map((r) => r.text), [
    "H",
    `a\r\n${"x".repeat(10)}\r\n`,
    `a\r\n${"x".repeat(10)}\r\n`,
    `5\r\n${"x".repeat(5)}\r\n`,
    "0\r\n\r\n",
  ]);
});

Deno.test("ResponseWriter.sendStream() unchunked sends the bytes as they are and an empty end", async () => {
  const { io, records } = fakeIo({ scratchBytes: 1024, windowBytes: 4096 });
  const stream = streamOf(["ab", "cd"]);
  await new ResponseWriter(io, 1).sendStream("H", { stream, chunked: false, end: END });
  assert.deepEqual(records.map((r) => [r.text, r.end]), [
    ["H", undefined],
    ["ab", undefined],
    ["cd", undefined],
    ["", END],
  ]);
});

Deno.test("ResponseWriter.sendStream() cancels the stream when aborted while waiting for credit", async () => {
  const { io, records } = fakeIo({ scratchBytes: 1024, windowBytes: 10 });
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    start: (controller) => controller.enqueue(encoder.encode("x".repeat(30))),
    cancel: () => void (cancelled = true),
  });
  const writer = new ResponseWriter(io, 1);
  const sending = writer.sendStream("H", { stream, chunked: true, end: END });
  await settle();
  assert.deepEqual(records.map((r) => r.text), ["H"], "the chunk waits for the window");
  writer.abort();
  await assert.rejects(sending, AbortedError);
  assert.equal(cancelled, true);
  assert.equal(records.length, 1);
});

Deno.test("ResponseWriter.sendParts() reads file ranges between byte parts, across records", async () => {
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(path, "0123456789abcdefghij");
    using file = await Deno.open(path);
    const { io, records } = fakeIo({ scratchBytes: 8, windowBytes: 4096 });
    const parts = [encoder.encode("<"), { file, offset: 5, length: 12 }, encoder.encode(">")];
    await new ResponseWriter(io, 1).sendParts("", { parts, end: END });
    assert.equal(records.map((r) => r.text).join(""), "<56789abcdefg>");
    assert.ok(records.every((r) => r.text.length <= 8));
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("ResponseWriter.abort() cancels a stream that never yields again, ending sendStream()", async () => {
  const { io } = fakeIo({ scratchBytes: 1024, windowBytes: 4096 });
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull: () => new Promise(() => {}),
    cancel: () => void (cancelled = true),
  });
  const writer = new ResponseWriter(io, 1);
  const sending = writer.sendStream("H\r\n\r\n", { stream, chunked: true, end: END });
  await settle();
  writer.abort();
  await assert.rejects(sending, AbortedError);
  assert.ok(cancelled, "the app's stream is told to stop");
});

Deno.test("ResponseWriter.sendStream() with a length sends exactly that many bytes unchunked", async () => {
  const { io, records } = fakeIo({ scratchBytes: 1024, windowBytes: 4096 });
  const stream = streamOf(["ab", "cd", ""]);
  await new ResponseWriter(io, 1).sendStream("H", { stream, chunked: false, length: 4, end: END });
  assert.equal(records.map((r) => r.text).join(""), "Habcd");
  assert.equal(records.at(-1)!.end, END);
});

Deno.test("ResponseWriter.sendStream() fails a stream shorter than its length, the end unsent", async () => {
  const { io, records } = fakeIo({ scratchBytes: 1024, windowBytes: 4096 });
  const stream = streamOf(["ab", "cd"]);
  const writer = new ResponseWriter(io, 1);
  const sending = writer.sendStream("H", { stream, chunked: false, length: 5, end: END });
  await assert.rejects(sending, LengthMismatchError);
  await assert.rejects(
    new ResponseWriter(io, 2).sendStream("H", {
      stream: streamOf(["ab"]),
      length: 3,
      chunked: false,
    }),
    /ended after 2 of the 3 bytes/,
  );
  assert.ok(records.every((r) => r.end === undefined), "no end: the exchange closes");
});

Deno.test("ResponseWriter.sendStream() fails a stream longer than its length before its last byte goes", async () => {
  for (const pieces of [["ab", "cd", "e"], ["ab", "cde"], ["abcde"]]) {
    const { io, records } = fakeIo({ scratchBytes: 1024, windowBytes: 4096 });
    const sending = new ResponseWriter(io, 1).sendStream("H", {
      stream: streamOf(pieces),
      chunked: false,
      length: 4,
      end: END,
    });
    await assert.rejects(sending, /longer than its Content-Length of 4 bytes/);
    const sent = records.map((r) => r.text).join("").length - 1;
    assert.ok(sent < 4, `${pieces}: ${sent} body bytes sent, a body that looks complete`);
  }
});

/** A stream that gives `pieces`, then `later` after `laterMs` (if any), and never closes. */
function unendingStream(
  pieces: string[],
  options: { later?: string; laterMs?: number; cancelled: { reason: unknown } | null[] },
): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      if (options.later === undefined) return;
      setTimeout(() => {
        try {
          controller.enqueue(encoder.encode(options.later!));
        } catch {
          // Cancelled meanwhile.
        }
      }, options.laterMs);
    },
    cancel(reason) {
      (options.cancelled as unknown[]).push(reason ?? "cancelled");
    },
  });
}

/** `promise`, or a rejection after `ms`: a writer that waits forever fails the test instead. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

Deno.test("ResponseWriter.sendStream() sends a stream that gave its whole length and never ends after STREAM_END_WAIT_MS, cancels it and says why", async () => {
  // Bound: the body complete within STREAM_END_WAIT_MS + 2 s (it used to wait forever).
  const { io, records } = fakeIo({ scratchBytes: 1024, windowBytes: 4096 });
  const cancelled: unknown[] = [];
  const reasons: string[] = [];
  const started = Date.now();
  await within(
    new ResponseWriter(io, 1).sendStream("H", {
      stream: unendingStream(["ab", "c"], { cancelled: cancelled as null[] }),
      chunked: false,
      length: 3,
      end: END,
      onUnended: (reason) => reasons.push(reason),
    }),
    STREAM_END_WAIT_MS + 2_000,
  );
  const waited = Date.now() - started;
  assert.ok(waited >= STREAM_END_WAIT_MS - 50, `sent after ${waited} ms`);
  assert.equal(records.map((r) => r.text).join(""), "Habc");
  assert.equal(records.at(-1)!.end, END, "the exchange ends as a complete response");
  await settle();
  assert.equal(cancelled.length, 1, "the app's cancel() runs");
  assert.deepEqual(reasons, [unendedStream(3)]);
});

Deno.test("ResponseWriter.sendStream() still fails a stream that gives more than its length within STREAM_END_WAIT_MS", async () => {
  const { io, records } = fakeIo({ scratchBytes: 1024, windowBytes: 4096 });
  const cancelled: unknown[] = [];
  const reasons: string[] = [];
  const sending = new ResponseWriter(io, 1).sendStream("H", {
    stream: unendingStream(["abc"], { later: "d", laterMs: 100, cancelled: cancelled as null[] }),
    chunked: false,
    length: 3,
    end: END,
    onUnended: (reason) => reasons.push(reason),
  });
  await assert.rejects(
    within(sending, STREAM_END_WAIT_MS + 2_000),
    /longer than its Content-Length/,
  );
  assert.equal(records.map((r) => r.text).join(""), "H", "no byte count that looks complete");
  assert.ok(records.every((r) => r.end === undefined), "no end: the exchange closes");
  assert.deepEqual(reasons, []);
});

Deno.test("ResponseWriter.sendStream() with a length of 0 waits STREAM_END_WAIT_MS at most for a stream that gives nothing and never ends", async () => {
  const { io, records } = fakeIo({ scratchBytes: 1024, windowBytes: 4096 });
  const cancelled: unknown[] = [];
  const reasons: string[] = [];
  await within(
    new ResponseWriter(io, 1).sendStream("H", {
      stream: unendingStream([], { cancelled: cancelled as null[] }),
      chunked: false,
      length: 0,
      end: END,
      onUnended: (reason) => reasons.push(reason),
    }),
    STREAM_END_WAIT_MS + 2_000,
  );
  assert.equal(records.map((r) => r.text).join(""), "H");
  assert.equal(records.at(-1)!.end, END);
  assert.deepEqual(reasons, [unendedStream(0)]);
});
