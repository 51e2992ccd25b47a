/**
 * WebSockets over real sockets: Deno's own client, a raw client sending hostile frames, many
 * sockets at once, isolation between sockets and requests, and the ways a socket is closed by
 * the server (idle timeout, frame timeout, a replaced worker, shutdown).
 */
import assert from "node:assert/strict";
import { Browser, findChromium } from "../_helpers/browser.ts";
import { withTlsServer } from "../_helpers/certificate.ts";
import { TestServer } from "../_helpers/server.ts";
import { residentMb, timedGet, writeAll } from "../_helpers/http.ts";
import { clientFrame, closeCode, openRaw, readUntilClose } from "../_helpers/ws.ts";

const APP = new URL("../fixtures/ws_app.ts", import.meta.url).pathname;

async function withServer(args: string[], fn: (server: TestServer) => Promise<void>) {
  const server = await TestServer.start(["--app", APP, "--workers", "2", ...args]);
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

/** Opens Deno's WebSocket client and waits for it to open (bounded). */
async function openSocket(server: TestServer, path: string): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${server.port}${path}`);
  socket.binaryType = "arraybuffer";
  await within(
    5000,
    new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error(`${path}: the socket did not open`));
    }),
    "open",
  );
  return socket;
}

function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function nextMessage(socket: WebSocket): Promise<unknown> {
  return within(
    10_000,
    new Promise((resolve) => (socket.onmessage = (e) => resolve(e.data))),
    "message",
  );
}

function closed(socket: WebSocket): Promise<CloseEvent> {
  return within(10_000, new Promise((resolve) => (socket.onclose = resolve)), "close");
}

Deno.test("Deno.upgradeWebSocket() echoes text, 100 KiB text and binary to Deno's client, and closes with 1000", async () => {
  await withServer([], async (server) => {
    const socket = await openSocket(server, "/echo");
    socket.send("hello");
    assert.equal(await nextMessage(socket), "hello");
    const text = "é".repeat(50 * 1024);
    socket.send(text);
    assert.equal(await nextMessage(socket), text);
    const binary = new Uint8Array(100 * 1024).map((_, i) => i & 0xff);
    socket.send(binary);
    assert.deepEqual(new Uint8Array(await nextMessage(socket) as ArrayBuffer), binary);
    const closing = closed(socket);
    socket.close(1000, "done");
    const event = await closing;
    assert.equal(event.code, 1000);
    assert.equal(event.reason, "done");
    assert.equal(event.wasClean, true);
    // The server goes on serving requests.
    assert.equal((await timedGet(server.port, "/")).response.status, 200);
    assert.ok(server.lines.some((line) => line.includes('"GET /echo HTTP/1.1" 101')));
  });
});

Deno.test("a fragmented message with a ping between its fragments is echoed whole, after the pong", async () => {
  await withServer([], async (server) => {
    const socket = await openRaw(server.port, "/echo");
    const frames = [
      clientFrame(0x01, "frag"),
      clientFrame(0x89, "are you there"),
      clientFrame(0x00, "men"),
      clientFrame(0x80, "ted"),
      clientFrame(0x88, Uint8Array.of(0x0f, 0xa0, 0x62, 0x79, 0x65)),
    ];
    // Byte by byte: the main thread and the worker see every split.
    for (const byte of Uint8Array.from(frames.flatMap((f) => [...f]))) {
      await writeAll(socket.conn, Uint8Array.of(byte));
    }
    const { frames: got, ended } = await readUntilClose(socket);
    const decoder = new TextDecoder();
    assert.deepEqual(got.slice(0, 2).map((f) => [f.opcode, decoder.decode(f.payload)]), [
      [10, "are you there"],
      [1, "fragmented"],
    ]);
    assert.equal(decoder.decode(got[2].payload.subarray(2)), "bye");
    assert.equal(closeCode(got[2]), 4000);
    assert.ok(ended);
    socket.conn.close();
  });
});

/** Hostile frames and the close code each must get. */
const HOSTILE: [string, Uint8Array, number][] = [
  ["an unmasked frame", clientFrame(0x81, "x", { masked: false }), 1002],
  ["a control frame over 125 bytes", clientFrame(0x89, new Uint8Array(126)), 1002],
  ["a fragmented control frame", clientFrame(0x09, "p"), 1002],
  ["a reserved opcode", clientFrame(0x83, "x"), 1002],
  ["an RSV bit without an extension", clientFrame(0xc1, "x"), 1002],
  ["a close code that may not be sent", clientFrame(0x88, Uint8Array.of(0x03, 0xed)), 1002],
  ["invalid UTF-8 in a text message", clientFrame(0x81, Uint8Array.of(0xc3, 0x28)), 1007],
  [
    "a 2^62-byte length",
    clientFrame(0x82, new Uint8Array(), {
      length: [127, 0x40, 0, 0, 0, 0, 0, 0, 0],
    }),
    1009,
  ],
  ["a message over --max-ws-message", clientFrame(0x82, new Uint8Array(5000)), 1009],
];

Deno.test("hostile frames close the socket with their code and allocate nothing they announce", async () => {
  await withServer(["--max-ws-message", "4096"], async (server) => {
    const before = Deno.build.os === "linux" ? await residentMb(server.pid) : NaN;
    for (const [what, frame, code] of HOSTILE) {
      const socket = await openRaw(server.port, "/echo");
      assert.match(socket.status, /^HTTP\/1.1 101 /, what);
      await writeAll(socket.conn, frame);
      const { frames, ended } = await readUntilClose(socket);
      assert.equal(closeCode(frames.at(-1)), code, what);
      assert.ok(ended, `${what}: the server closes the connection`);
      socket.conn.close();
    }
    if (Number.isNaN(before)) return; // no /proc here: the codes alone were checked
    const after = await residentMb(server.pid);
    assert.ok(after - before < 64, `RSS grew ${after - before} MB`);
  });
});

Deno.test("frames that announce 16 MiB and send 10 bytes cost what arrived, not what they announced", async () => {
  if (Deno.build.os !== "linux") return; // RSS from /proc
  await withServer(["--workers", "1"], async (server) => {
    const before = await residentMb(server.pid);
    const announced = 16 * 1024 * 1024 - 1;
    const header = clientFrame(0x82, new Uint8Array(), {
      length: [
        127,
        0,
        0,
        0,
        0,
        announced >>> 24,
        (announced >> 16) & 0xff,
        (announced >> 8) & 0xff,
        announced & 0xff,
      ],
    });
    const sockets = await Promise.all(
      Array.from({ length: 40 }, () => openRaw(server.port, "/echo")),
    );
    for (const socket of sockets) {
      await writeAll(socket.conn, Uint8Array.from([...header, ...new Uint8Array(10)]));
    }
    // The worker has taken every header (its socket still answers a request), then RSS is read.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await timedGet(server.port, "/")).response.status, 200);
    const after = await residentMb(server.pid);
    assert.ok(after - before < 100, `RSS grew ${after - before} MB for 40 announced 16 MiB frames`);
    assert.ok(!server.lines.some((line) => /crashed|out of/.test(line)), server.lines.join("\n"));
    for (const socket of sockets) socket.conn.close();
  });
});

Deno.test("200 concurrent sockets each echo 20 numbered messages without loss or reordering", async () => {
  await withServer([], async (server) => {
    const sockets = await Promise.all(
      Array.from({ length: 200 }, () => openSocket(server, "/echo")),
    );
    await Promise.all(sockets.map((socket, n) => {
      const got: string[] = [];
      const done = new Promise<void>((resolve) => {
        socket.onmessage = (e) => {
          got.push(e.data);
          if (got.length === 20) resolve();
        };
      });
      for (let i = 0; i < 20; i++) socket.send(`${n}:${i}`);
      return within(20_000, done, `socket ${n}`).then(() => {
        assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => `${n}:${i}`));
      });
    }));
    await Promise.all(sockets.map((socket) => {
      const closing = closed(socket);
      socket.close();
      return closing;
    }));
  });
});

Deno.test("a socket handler that burns 3 s delays neither GETs nor sockets on other workers", async () => {
  await withServer(["--request-timeout", "20"], async (server) => {
    const burning = await openSocket(server, "/burn");
    const burnt = nextMessage(burning);
    burning.send("3000");
    // The burning worker stops stamping progress: it is skipped once stalled.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    for (let i = 0; i < 5; i++) {
      assert.equal((await timedGet(server.port, "/")).response.status, 200);
    }
    const other = await openSocket(server, "/echo");
    other.send("quick");
    assert.equal(await nextMessage(other), "quick");
    const elapsed = performance.now() - started;
    assert.equal(await burnt, "3000");
    const total = performance.now() - started;
    assert.ok(elapsed < total - 1000, `GETs and the other socket took ${elapsed} ms of ${total}`);
    other.close();
    burning.close();
  });
});

Deno.test("a client that never reads holds at most the window: the app sees bufferedAmount grow", async () => {
  await withServer(["--workers", "1", "--window", "65536"], async (server) => {
    const socket = await openRaw(server.port, "/flood");
    const deadline = Date.now() + 15_000;
    let state = { bufferedAmount: 0, sent: 0 };
    while (state.bufferedAmount < 2 * 1024 * 1024 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = await (await fetch(`${server.url}/flood/state`)).json();
    }
    assert.ok(state.bufferedAmount >= 2 * 1024 * 1024, JSON.stringify(state));
    // What left the worker is at most the window plus what the kernel's buffers took.
    const leftBytes = state.sent * 1028 - state.bufferedAmount;
    assert.ok(leftBytes < 65536 + 8 * 1024 * 1024, `${leftBytes} bytes left the worker`);
    socket.conn.close();
  });
});

Deno.test("--max-websockets refuses an upgrade beyond it with 503", async () => {
  await withServer(["--max-websockets", "1"], async (server) => {
    const first = await openRaw(server.port, "/echo");
    assert.match(first.status, / 101 /);
    const second = await openRaw(server.port, "/echo");
    assert.match(second.status, / 503 /);
    second.conn.close();
    first.conn.close();
  });
});

Deno.test("a socket refused with 503 beyond --max-websockets never opens: the app sees error, then close 1006", async () => {
  await withServer(["--workers", "1", "--max-websockets", "1"], async (server) => {
    const first = await openRaw(server.port, "/echo");
    assert.match(first.status, / 101 /);
    const second = await openRaw(server.port, "/events");
    assert.match(second.status, / 503 /);
    second.conn.close();
    const deadline = Date.now() + 5000;
    let log: string[] = [];
    while (Date.now() < deadline) {
      log = await (await fetch(`${server.url}/events/log`)).json();
      if (log.some((event) => event.startsWith("close"))) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(log, ["error", "close 1006 false"]);
    // The worker's access log has the 101 of /echo, and none for the refused /events: its line
    // for the /events/log fetch above comes after any it wrote for /events.
    await server.waitForLine(/"GET \/events\/log HTTP\/1.1" 200/);
    assert.ok(server.lines.some((line) => /"GET \/echo HTTP\/1.1" 101/.test(line)));
    assert.equal(server.lines.some((line) => /"GET \/events HTTP\/1.1" 101/.test(line)), false);
    first.conn.close();
  });
});

Deno.test("a client that stops in the middle of a frame is cut by the body timeout; an idle socket is not", async () => {
  await withServer(["--body-timeout", "1", "--keepalive-timeout", "1"], async (server) => {
    const idle = await openSocket(server, "/echo");
    const stuck = await openRaw(server.port, "/echo");
    await writeAll(stuck.conn, clientFrame(0x81, "hello").subarray(0, 4));
    const { ended } = await readUntilClose(stuck, 5000);
    assert.ok(ended);
    stuck.conn.close();
    await server.waitForLine(/body timeout in a WebSocket frame/);
    // Idle longer than both timeouts, the other socket still works.
    idle.send("still here");
    assert.equal(await nextMessage(idle), "still here");
    idle.close();
  });
});

Deno.test("idleTimeout pings a silent client, then closes with 1001", async () => {
  await withServer(["--workers", "1"], async (server) => {
    const socket = await openRaw(server.port, "/events");
    const { frames } = await readUntilClose(socket, 8000);
    assert.deepEqual(frames.map((f) => f.opcode), [9, 8]);
    assert.equal(closeCode(frames[1]), 1001);
    socket.conn.close();
    const log = await (await fetch(`${server.url}/events/log`)).json();
    assert.deepEqual(log, ["open", "error", "close 1001 false"]);
  });
});

Deno.test("a worker replaced by the watchdog closes its sockets with 1011", async () => {
  await withServer(["--request-timeout", "1"], async (server) => {
    const socket = await openSocket(server, "/burn");
    const closing = closed(socket);
    socket.send("8000");
    const event = await closing;
    assert.equal(event.code, 1011);
    await server.waitForLine(/terminated after/);
  });
});

Deno.test("shutdown closes open sockets with 1001", async () => {
  const server = await TestServer.start(["--app", APP, "--workers", "1"]);
  const socket = await openSocket(server, "/echo");
  const closing = closed(socket);
  const stopping = server.stop();
  const event = await closing;
  assert.equal(event.code, 1001);
  assert.equal((await stopping).code, 0);
});

Deno.test("a Hono app's upgradeWebSocket from hono/deno echoes through the pool", async () => {
  const hono = new URL("../fixtures/hono_ws_app.ts", import.meta.url).pathname;
  const server = await TestServer.start(["--app", hono, "--workers", "2"]);
  try {
    const socket = await openSocket(server, "/ws");
    socket.send("hi");
    assert.equal(await nextMessage(socket), "hono: hi");
    const binary = new Uint8Array(100 * 1024).fill(3);
    socket.send(binary);
    assert.deepEqual(new Uint8Array(await nextMessage(socket) as ArrayBuffer), binary);
    const closing = closed(socket);
    socket.close(1000);
    assert.equal((await closing).code, 1000);
    assert.equal(await (await fetch(`${server.url}/`)).text(), "Hello from Hono\n");
  } finally {
    await server.stop();
  }
});

Deno.test("a socket over TLS (--cert, --key) echoes and closes like one over TCP", async () => {
  await withTlsServer(["--app", APP, "--workers", "1"], async (server, _client, ca) => {
    const open = () => Deno.connectTls({ hostname: "localhost", port: server.port, caCerts: [ca] });
    const socket = await openRaw(server.port, "/echo", open);
    assert.match(socket.status, / 101 /);
    await writeAll(socket.conn, clientFrame(0x81, "over tls"));
    await writeAll(socket.conn, clientFrame(0x88, Uint8Array.of(0x03, 0xe8)));
    const { frames, ended } = await readUntilClose(socket);
    assert.deepEqual(new TextDecoder().decode(frames[0].payload), "over tls");
    assert.equal(closeCode(frames[1]), 1000);
    assert.ok(ended);
    socket.conn.close();
  });
});

const chromium = findChromium();
if (chromium.path === null) console.log(`browser WebSocket test skipped: ${chromium.why}`);

Deno.test({
  name: "a page in headless Chromium opens a socket, gets its echoes and closes with 1000",
  ignore: chromium.path === null,
  fn: async () => {
    await withServer(["--quiet"], async (server) => {
      const browser = await Browser.launch(chromium.path!);
      try {
        await browser.open(`${server.url}/`);
        const seen = await browser.evaluate<{ text: string; bytes: number; code: number }>(`
          new Promise((resolve, reject) => {
            const socket = new WebSocket("ws://" + location.host + "/echo");
            socket.binaryType = "arraybuffer";
            const seen = {};
            const timer = setTimeout(() => reject(new Error("no echo in 10 s")), 10000);
            socket.onopen = () => socket.send("from the browser");
            socket.onmessage = (event) => {
              if (typeof event.data === "string") {
                seen.text = event.data;
                socket.send(new Uint8Array(70000).fill(1));
              } else {
                seen.bytes = event.data.byteLength;
                socket.close(1000);
              }
            };
            socket.onclose = (event) => {
              clearTimeout(timer);
              resolve({ ...seen, code: event.code });
            };
          })
        `);
        assert.deepEqual(seen, { text: "from the browser", bytes: 70000, code: 1000 });
        assert.deepEqual(browser.problems, []);
      } finally {
        await browser.close();
      }
    });
  },
});
