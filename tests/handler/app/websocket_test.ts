import assert from "node:assert/strict";
import { PONG_BACKLOG_BYTES, ServerWebSocket } from "../../../lib/handler/app/websocket.ts";
import { acceptKey, upgradeOf, upgradeWebSocket } from "../../../lib/handler/app/upgrade.ts";
import type { TunnelLink } from "../../../lib/handler/handler.ts";

const LIMITS = { maxMessageBytes: 1024, closeTimeoutMs: 1000 };
const MASK = [1, 2, 3, 4];

function masked(first: number, payload: number[]): Uint8Array {
  return Uint8Array.from([
    first,
    0x80 | payload.length,
    ...MASK,
    ...payload.map((b, i) => b ^ MASK[i & 3]),
  ]);
}

function fakeLink() {
  const frames: Uint8Array[] = [];
  let ended = false;
  let delivered = 0;
  const link: TunnelLink & { deliver(bytes: number): void } = {
    write: (bytes) => void frames.push(bytes),
    get bufferedBytes() {
      return frames.reduce((n, f) => n + f.byteLength, 0) - delivered;
    },
    get deliveredBytes() {
      return delivered;
    },
    deliver: (bytes) => void (delivered += bytes),
    end: () => void (ended = true),
  };
  return { link, frames, ended: () => ended };
}

function openSocket(idleTimeoutS = 0) {
  const socket = new ServerWebSocket({ protocol: "", idleTimeoutS, ...LIMITS });
  const link = fakeLink();
  const events: string[] = [];
  for (const type of ["open", "message", "close", "error"]) {
    socket.addEventListener(type, (event) => {
      const detail = event instanceof MessageEvent
        ? ` ${event.data}`
        : event instanceof CloseEvent
        ? ` ${event.code} ${event.wasClean}`
        : "";
      events.push(`${type}${detail}`);
    });
  }
  const peer = socket.attach(link.link);
  return { socket, peer, events, ...link };
}

Deno.test("upgradeWebSocket() refuses requests that are no WebSocket handshake, as Deno does", () => {
  const headers = {
    upgrade: "websocket",
    connection: "keep-alive, Upgrade",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
  };
  const upgrade = (init: RequestInit) =>
    upgradeWebSocket(new Request("http://a/", init), { limits: LIMITS });
  assert.equal(upgrade({ headers }).response.status, 101);
  assert.throws(() => upgrade({ headers, method: "POST" }), /GET/);
  assert.throws(() => upgrade({ headers: { ...headers, upgrade: "h2c" } }), /'upgrade'/);
  assert.throws(() => upgrade({ headers: { ...headers, connection: "close" } }), /'connection'/);
  assert.throws(() => upgrade({ headers: { ...headers, "sec-websocket-version": "8" } }), /13/);
  const offered = { ...headers, "sec-websocket-protocol": "chat, superchat" };
  const chosen = upgradeWebSocket(new Request("http://a/", { headers: offered }), {
    protocol: "superchat",
    limits: LIMITS,
  });
  assert.equal(chosen.socket.protocol, "superchat");
  const planned = upgradeOf(chosen.response)!;
  assert.deepEqual(planned.headers, [
    ["connection", "Upgrade"],
    ["sec-websocket-accept", acceptKey(headers["sec-websocket-key"])],
    ["sec-websocket-protocol", "superchat"],
    ["upgrade", "websocket"],
  ]);
  assert.throws(
    () =>
      upgradeWebSocket(new Request("http://a/", { headers: offered }), {
        protocol: "x",
        limits: LIMITS,
      }),
    /not in the request's protocol list/,
  );
});

Deno.test("ServerWebSocket sends only once open, and checks close()'s code and reason", () => {
  const socket = new ServerWebSocket({ protocol: "", idleTimeoutS: 0, ...LIMITS });
  assert.throws(() => socket.send("early"), /readyState/);
  assert.equal(socket.readyState, 0);
  const link = fakeLink();
  socket.attach(link.link);
  assert.equal(socket.readyState, 1);
  socket.send("hi");
  assert.deepEqual(link.frames[0], Uint8Array.of(0x81, 2, 0x68, 0x69));
  assert.throws(() => socket.close(1001), /1000 or in the range of 3000 to 4999/);
  assert.throws(() => socket.close(1000, "x".repeat(124)), /123 bytes/);
  socket.close(4000, "bye");
  assert.equal(socket.readyState, 2);
  assert.deepEqual(link.frames[1], Uint8Array.of(0x88, 5, 0x0f, 0xa0, 0x62, 0x79, 0x65));
});

Deno.test("ServerWebSocket answers pings, echoes the client's close, and reports a clean close", () => {
  const { peer, events, frames, ended, socket } = openSocket();
  peer.receive(masked(0x89, [7]));
  assert.deepEqual(frames.at(-1), Uint8Array.of(0x8a, 1, 7));
  peer.receive(masked(0x81, [0x68, 0x69]));
  peer.receive(masked(0x88, [0x03, 0xe8]));
  assert.deepEqual(frames.at(-1), Uint8Array.of(0x88, 2, 0x03, 0xe8));
  assert.equal(ended(), true);
  assert.equal(socket.readyState, 3);
  assert.deepEqual(events, ["open", "message hi", "close 1000 true"]);
});

Deno.test("ServerWebSocket closes with the reader's code on a protocol error, and 1006 when lost", () => {
  const bad = openSocket();
  bad.peer.receive(Uint8Array.of(0x81, 0x01, 0x68)); // unmasked
  assert.equal((bad.frames.at(-1)![2] << 8) | bad.frames.at(-1)![3], 1002);
  assert.deepEqual(bad.events, ["open", "error", "close 1002 false"]);
  const lost = openSocket();
  lost.peer.lost();
  assert.deepEqual(lost.events, ["open", "error", "close 1006 false"]);
});

Deno.test("ServerWebSocket keeps send order behind a Blob, and hands binary as ArrayBuffer or Blob", async () => {
  const { socket, peer, frames } = openSocket();
  socket.send(new Blob([Uint8Array.of(1)]));
  socket.send("after");
  assert.equal(frames.length, 0);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(frames.map((f) => f[0]), [0x82, 0x81]);
  const seen: unknown[] = [];
  socket.onmessage = (event) => seen.push((event as MessageEvent).data);
  peer.receive(masked(0x82, [5]));
  socket.binaryType = "blob";
  peer.receive(masked(0x82, [6]));
  assert.ok(seen[0] instanceof ArrayBuffer);
  assert.ok(seen[1] instanceof Blob);
  assert.deepEqual(new Uint8Array(await (seen[1] as Blob).arrayBuffer()), Uint8Array.of(6));
});

Deno.test("ServerWebSocket answers one ping at a time while a client that does not read has a backlog", () => {
  const { socket, peer, frames, link } = openSocket();
  socket.send(new Uint8Array(2 * PONG_BACKLOG_BYTES));
  const before = frames.length;
  for (let i = 0; i < 1000; i++) peer.receive(masked(0x89, [1]));
  // One pong, then none until the client reads again.
  assert.equal(frames.length, before + 1);
  link.deliver(100);
  for (let i = 0; i < 10; i++) peer.receive(masked(0x89, [1]));
  assert.equal(frames.length, before + 2);
});

Deno.test("ServerWebSocket.refuse() reports an error and a 1006 close without ever opening", () => {
  const socket = new ServerWebSocket({ protocol: "", idleTimeoutS: 0, ...LIMITS });
  const events: string[] = [];
  for (const type of ["open", "error", "close"]) {
    socket.addEventListener(type, () => events.push(type));
  }
  socket.refuse("the client went away before the upgrade");
  assert.deepEqual(events, ["error", "close"]);
  assert.equal(socket.readyState, 3);
  assert.throws(
    () => socket.attach({ write: () => {}, bufferedBytes: 0, deliveredBytes: 0, end: () => {} }),
    /not CONNECTING/,
  );
});
