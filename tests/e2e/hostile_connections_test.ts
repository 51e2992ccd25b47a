/**
 * Hostile connections: clients that abort pipelined downloads, pipeline without reading, stall a
 * head, a body or a TLS handshake, or stop reading a response. Each must cost the server a
 * bounded amount for a bounded time, and leave no file descriptor behind.
 */
import assert from "node:assert/strict";
import {
  concat,
  connect,
  readResponses,
  residentMb,
  timedGet,
  writeAll,
} from "../_helpers/http.ts";
import { openFds, settledFds } from "../_helpers/fds.ts";
import { withSiteServer, writeRandomFile } from "../_helpers/site.ts";
import { withTlsServer } from "../_helpers/certificate.ts";
import { NO_PROC } from "../_helpers/proc.ts";

const encoder = new TextEncoder();

/** Reads until the server closes the connection; returns the bytes and how long it took. */
async function readToClose(
  conn: Deno.Conn,
  timeoutMs: number,
): Promise<{ text: string; ms: number; closed: boolean }> {
  const started = performance.now();
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  const deadline = started + timeoutMs;
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) break;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), left);
    });
    const n = await Promise.race([conn.read(buffer).catch(() => null), timeout]);
    clearTimeout(timer);
    if (n === "timeout") break;
    if (n === null) {
      const text = new TextDecoder("latin1").decode(concat(chunks));
      return { text, ms: performance.now() - started, closed: true };
    }
    chunks.push(buffer.slice(0, n));
  }
  const text = new TextDecoder("latin1").decode(concat(chunks));
  return { text, ms: performance.now() - started, closed: false };
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** Reads about `bytes` bytes, then returns. */
async function readSome(conn: Deno.Conn, bytes: number): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  for (let got = 0; got < bytes;) {
    const n = await conn.read(buffer);
    if (n === null) return;
    got += n;
  }
}

Deno.test({
  name: "pipelined downloads aborted mid-way leave no file handle behind",
  ignore: NO_PROC,
}, async () => {
  await withSiteServer({ largeBytes: 8 * 1024 * 1024, args: ["--quiet"] }, async (server, site) => {
    // Larger than the window, and abandoned early: the abort then races the second request's
    // dispatch (on the old code one connection in three leaked a handle to large.bin).
    await writeRandomFile(`${site.root}/mid.bin`, 300 * 1024);
    const before = await settledFds(server.pid, { timeoutMs: 3000 });
    const pipelined = encoder.encode(
      "GET /mid.bin HTTP/1.1\r\nHost: t\r\n\r\nGET /large.bin HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    const started = performance.now();
    for (let round = 0; round < 25 && performance.now() - started < 20_000; round++) {
      await Promise.all(Array.from({ length: 20 }, async () => {
        const conn = await connect(server.port);
        try {
          await writeAll(conn, pipelined);
          await readSome(conn, 100 * 1024);
        } finally {
          closeQuietly(conn);
        }
      }));
    }
    const after = await settledFds(server.pid, { timeoutMs: 5000, atMost: before });
    assert.ok(after <= before, `fds: ${before} before 500 aborted pipelines, ${after} after`);
  });
});

Deno.test(
  { name: "a client that pipelines and never reads holds bounded memory", ignore: NO_PROC },
  async () => {
    await withSiteServer({ args: ["--quiet", "--send-timeout", "30"] }, async (server, site) => {
      await writeRandomFile(`${site.root}/mid.bin`, 200 * 1024);
      const baseline = await residentMb(server.pid);
      const conn = await connect(server.port);
      const request = encoder.encode("GET /mid.bin HTTP/1.1\r\nHost: t\r\n\r\n");
      const batch = new Uint8Array(request.byteLength * 1000);
      for (let i = 0; i < 1000; i++) batch.set(request, i * request.byteLength);
      // 20 batches: 700 KB of requests for 4 GB of responses. Writes stall once the server stops
      // reading, so they run in the background and the connection is closed at the end.
      let sent = 0;
      const writer = (async () => {
        for (let i = 0; i < 20; i++) {
          await writeAll(conn, batch);
          sent += batch.byteLength;
        }
      })().catch(() => {});
      let peak = baseline;
      for (let i = 0; i < 30; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        peak = Math.max(peak, await residentMb(server.pid));
      }
      closeQuietly(conn);
      await writer;
      assert.ok(
        peak - baseline < 100,
        `RSS ${baseline.toFixed(0)} → ${peak.toFixed(0)} MB with ${sent} request bytes sent unread`,
      );
      const { response } = await timedGet(server.port, "/hello.txt");
      assert.equal(response.status, 200);
    });
  },
);

Deno.test("empty lines and then a partial head are cut off at the header timeout", async () => {
  await withSiteServer({ args: ["--header-timeout", "1"] }, async (server) => {
    const conn = await connect(server.port);
    try {
      await writeAll(conn, encoder.encode("\r\n\r\nGET /hello.txt HTTP/1.1\r\nHo"));
      const { text, ms, closed } = await readToClose(conn, 5000);
      assert.ok(closed, "connection still open after 5 s");
      assert.match(text, /^HTTP\/1\.1 408 /);
      assert.ok(ms < 3000, `closed after ${ms.toFixed(0)} ms`);
    } finally {
      closeQuietly(conn);
    }
  });
});

Deno.test("empty lines before a request line are ignored", async () => {
  await withSiteServer({}, async (server) => {
    const conn = await connect(server.port);
    try {
      await writeAll(conn, encoder.encode("\r\n\n\r\nGET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"));
      const [response] = await readResponses(conn, { responses: 1 });
      assert.equal(response.status, 200);
      assert.equal(new TextDecoder().decode(response.body), "hello, world\n");
    } finally {
      closeQuietly(conn);
    }
  });
});

Deno.test("a body that never arrives is cut off at the body timeout", async () => {
  await withSiteServer({ args: ["--body-timeout", "1"] }, async (server) => {
    const conn = await connect(server.port);
    try {
      await writeAll(
        conn,
        encoder.encode("POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nab"),
      );
      const { text, ms, closed } = await readToClose(conn, 6000);
      assert.ok(closed, `connection still open after 6 s: ${text.slice(0, 100)}`);
      assert.match(text, /^HTTP\/1\.1 405 /, "the answer comes first, then the drain times out");
      assert.ok(ms < 4000, `closed after ${ms.toFixed(0)} ms`);
    } finally {
      closeQuietly(conn);
    }
  });
});

Deno.test("a body trickled slower than the body timeout is cut off", async () => {
  await withSiteServer({ args: ["--body-timeout", "0.5"] }, async (server) => {
    const conn = await connect(server.port);
    try {
      await writeAll(
        conn,
        encoder.encode("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n"),
      );
      const closedBy = readToClose(conn, 8000);
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 900));
        await writeAll(conn, encoder.encode("a")).catch(() => {});
      }
      const { closed, ms } = await closedBy;
      assert.ok(closed && ms < 4000, `closed: ${closed} after ${ms.toFixed(0)} ms`);
    } finally {
      closeQuietly(conn);
    }
  });
});

Deno.test({
  name: "a client that stops reading a response is cut off at the send timeout",
  ignore: NO_PROC,
}, async () => {
  await withSiteServer(
    { largeBytes: 32 * 1024 * 1024, args: ["--send-timeout", "1"] },
    async (server) => {
      const before = await settledFds(server.pid, { timeoutMs: 3000 });
      const conns = await Promise.all(Array.from({ length: 10 }, () => connect(server.port)));
      for (const conn of conns) {
        await writeAll(conn, encoder.encode("GET /large.bin HTTP/1.1\r\nHost: t\r\n\r\n"));
      }
      // The send timeout (1 s) and the sweep that applies it, with room for a busy machine.
      await server.waitForLine(/send timeout/, 10_000);
      const after = await settledFds(server.pid, { timeoutMs: 3000, atMost: before });
      for (const conn of conns) closeQuietly(conn);
      assert.ok(after <= before, `fds: ${before} before, ${after} with 10 stalled readers cut`);
    },
  );
});

Deno.test("an Expect: 100-continue request answered without its body says Connection: close", async () => {
  await withSiteServer({}, async (server) => {
    const conn = await connect(server.port);
    try {
      await writeAll(
        conn,
        encoder.encode(
          "PUT /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        ),
      );
      const [response] = await readResponses(conn, { responses: 1 });
      assert.equal(response.status, 405);
      assert.equal(response.headers.get("connection"), "close");
    } finally {
      closeQuietly(conn);
    }
  });
});

Deno.test({
  name: "TLS handshakes that never start are closed at the header timeout and release their fds",
  ignore: NO_PROC,
}, async () => {
  await withTlsServer(
    ["--header-timeout", "1", "--max-connections", "100", "--quiet"],
    async (server, client) => {
      const before = await settledFds(server.pid, { timeoutMs: 3000 });
      const silent = await Promise.all(Array.from({ length: 300 }, () => connect(server.port)));
      const during = await openFds(server.pid);
      assert.ok(during - before <= 110, `fds ${before} → ${during}: over --max-connections`);
      const closed = await Promise.all(silent.map((conn) => readToClose(conn, 5000)));
      assert.ok(closed.every((c) => c.closed), "a silent TLS connection was not closed");
      for (const conn of silent) closeQuietly(conn);
      const after = await settledFds(server.pid, { timeoutMs: 3000, atMost: before });
      assert.ok(after <= before, `fds: ${before} before 300 silent handshakes, ${after} after`);
      const response = await fetch(`https://127.0.0.1:${server.port}/hello.txt`, { client });
      assert.equal(await response.text(), "hello, world\n");
    },
  );
});

Deno.test("TLS serves keep-alive, pipelined and large responses", async () => {
  await withTlsServer(["--quiet"], async (server, client, _ca, site) => {
    await writeRandomFile(`${site.root}/big.bin`, 3 * 1024 * 1024);
    const expected = await Deno.readFile(`${site.root}/big.bin`);
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`https://127.0.0.1:${server.port}/big.bin`, { client });
      const body = new Uint8Array(await response.arrayBuffer());
      assert.equal(body.byteLength, expected.byteLength);
      assert.deepEqual(body.subarray(0, 1024), expected.subarray(0, 1024));
      assert.deepEqual(body.subarray(-1024), expected.subarray(-1024));
    }
  });
});

Deno.test({
  name: "a pipelined request held while the client reads late is still answered",
  ignore: NO_PROC,
}, async () => {
  await withSiteServer({ largeBytes: 4 * 1024 * 1024, args: ["--quiet"] }, async (server) => {
    const before = await settledFds(server.pid, { timeoutMs: 3000 });
    await Promise.all(Array.from({ length: 10 }, async () => {
      const conn = await connect(server.port);
      try {
        await writeAll(
          conn,
          encoder.encode(
            "GET /large.bin HTTP/1.1\r\nHost: t\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n",
          ),
        );
        // More than a window waits when the first response ends: the second request is held.
        await new Promise((resolve) => setTimeout(resolve, 500));
        const responses = await readResponses(conn, { responses: 2, timeoutMs: 10_000 });
        assert.deepEqual(responses.map((r) => r.status), [200, 200]);
        assert.equal(new TextDecoder().decode(responses[1].body), "hello, world\n");
      } finally {
        closeQuietly(conn);
      }
    }));
    const after = await settledFds(server.pid, { timeoutMs: 3000, atMost: before });
    assert.ok(after <= before, `fds: ${before} before, ${after} after`);
  });
});

Deno.test("bytes past an unfinished head are never sent to a worker in one record", async () => {
  await withSiteServer({ largeBytes: 1024 * 1024 }, async (server) => {
    for (const junk of [120_000, 70_000]) {
      const conn = await connect(server.port);
      const request = encoder.encode("GET /large.bin HTTP/1.1\r\nHost: t\r\n\r\n");
      const bytes = new Uint8Array(request.byteLength + junk).fill(0x41);
      bytes.set(request);
      await writeAll(conn, bytes).catch(() => {});
      const { text, closed } = await readToClose(conn, 10_000);
      closeQuietly(conn);
      assert.ok(closed);
      assert.match(text, /^HTTP\/1\.1 200 /);
      assert.match(text, /HTTP\/1\.1 (414|431|400) /, "the junk is refused as a request");
    }
    const { response } = await timedGet(server.port, "/hello.txt");
    assert.equal(response.status, 200, "the server survived");
  });
});

Deno.test(
  { name: "a TLS client that sends without pause holds bounded memory", ignore: NO_PROC },
  async () => {
    await withTlsServer(["--quiet", "--send-timeout", "2"], async (server, _client, ca, site) => {
      // The server stops reading while it answers a request the client does not read; over TLS it
      // must stop too.
      await writeRandomFile(`${site.root}/big.bin`, 8 * 1024 * 1024);
      const baseline = await residentMb(server.pid);
      const conn = await Deno.connectTls({
        hostname: "127.0.0.1",
        port: server.port,
        caCerts: [ca],
      });
      const junk = new Uint8Array(64 * 1024).fill(0x58);
      let sent = 0;
      const started = performance.now();
      const flood = (async () => {
        await writeAll(conn, encoder.encode("GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n"));
        while (performance.now() - started < 3000) {
          await writeAll(conn, junk);
          sent += junk.byteLength;
        }
      })().catch(() => {});
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([flood, new Promise((resolve) => (timer = setTimeout(resolve, 4000)))]);
      clearTimeout(timer);
      const peak = await residentMb(server.pid);
      closeQuietly(conn);
      await flood;
      assert.ok(
        peak - baseline < 100,
        `RSS ${baseline.toFixed(0)} → ${peak.toFixed(0)} MB after ${sent >> 20} MB sent`,
      );
    });
  },
);

Deno.test("a TLS client that half-closes after its request gets the response", async () => {
  await withTlsServer(["--quiet"], async (server, _client, ca) => {
    const conn = await Deno.connectTls({
      hostname: "127.0.0.1",
      port: server.port,
      caCerts: [ca],
    });
    try {
      await writeAll(conn, encoder.encode("GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"));
      await conn.closeWrite();
      const { text } = await readToClose(conn, 5000);
      assert.match(text, /^HTTP\/1\.1 200 /);
      assert.ok(text.endsWith("hello, world\n"));
    } finally {
      closeQuietly(conn);
    }
  });
});
