import assert from "node:assert/strict";
import { Tunnel, type TunnelIo } from "../../lib/handler/tunnel.ts";
import type { TunnelPeer, Upgrade } from "../../lib/handler/handler.ts";

interface Sent {
  bytes: number;
  end: boolean;
}

function fakeIo(windowBytes: number, maxRecordBytes = 1024) {
  const sent: Sent[] = [];
  const pulls: number[] = [];
  const io: TunnelIo = {
    windowBytes,
    maxPull: 4096,
    maxRecordBytes,
    send: (_stream, bytes, end) =>
      void sent.push({ bytes: bytes.byteLength, end: end !== undefined }),
    pull: (_stream, bytes) => void pulls.push(bytes),
  };
  return { io, sent, pulls };
}

function recordingPeer(): TunnelPeer & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    receive: (bytes) => void seen.push(`bytes ${bytes.byteLength}`),
    ended: () => void seen.push("ended"),
    lost: () => void seen.push("lost"),
    goAway: () => void seen.push("goAway"),
  };
}

/** A socket that hands out `peer` when accepted and records whether it was accepted or refused. */
function recordingSocket(peer: TunnelPeer, seen: string[] = []): Upgrade & { seen: string[] } {
  return {
    seen,
    accept: () => {
      seen.push("accepted");
      return peer;
    },
    refuse: (reason) => void seen.push(`refused: ${reason}`),
  };
}

/** A tunnel whose switch is confirmed. */
function openTunnel(io: TunnelIo, closed: () => void = () => {}): Tunnel {
  const socket = recordingSocket(recordingPeer());
  const tunnel = new Tunnel(io, { stream: 1, closed, socket });
  tunnel.switched();
  return tunnel;
}

Deno.test("Tunnel sends no more than the window, in records the ring carries, until credit", () => {
  const { io, sent } = fakeIo(3000, 1024);
  const tunnel = openTunnel(io);
  tunnel.write(new Uint8Array(5000));
  assert.deepEqual(sent.map((s) => s.bytes), [1024, 1024, 952]);
  assert.equal(tunnel.bufferedBytes, 5000);
  tunnel.credit(2048);
  assert.deepEqual(sent.map((s) => s.bytes), [1024, 1024, 952, 1024, 976]);
  assert.equal(tunnel.bufferedBytes, 2952);
});

Deno.test("Tunnel ends only once its queued bytes are out, then reports itself closed", () => {
  const { io, sent } = fakeIo(100);
  let closed = 0;
  const tunnel = openTunnel(io, () => void closed++);
  tunnel.write(new Uint8Array(150));
  tunnel.end();
  assert.equal(tunnel.state, "ending");
  assert.equal(sent.some((s) => s.end), false);
  tunnel.credit(100);
  assert.deepEqual(sent, [{ bytes: 100, end: false }, { bytes: 50, end: false }, {
    bytes: 0,
    end: true,
  }]);
  assert.equal(tunnel.state, "closed");
  assert.equal(closed, 1);
  tunnel.write(new Uint8Array(10));
  assert.equal(sent.length, 3);
});

Deno.test("Tunnel pulls again after each record, tells the end and a loss once", () => {
  const { io, pulls } = fakeIo(100);
  const peer = recordingPeer();
  const socket = recordingSocket(peer);
  const leftover = Uint8Array.of(1, 2);
  const tunnel = new Tunnel(io, { stream: 1, closed: () => {}, socket, leftover });
  tunnel.switched();
  assert.deepEqual(pulls, [4096]);
  tunnel.receive(new Uint8Array(10), false);
  assert.deepEqual(pulls, [4096, 4096]);
  tunnel.receive(new Uint8Array(0), true);
  assert.equal(pulls.length, 2);
  tunnel.abort();
  tunnel.abort();
  assert.deepEqual(peer.seen, ["bytes 2", "bytes 10", "ended", "lost"]);
});

Deno.test("Tunnel opens its socket only once the switch is confirmed: no pull, no bytes before", () => {
  const { io, sent, pulls } = fakeIo(100);
  const peer = recordingPeer();
  const socket = recordingSocket(peer);
  const tunnel = new Tunnel(io, { stream: 1, closed: () => {}, socket });
  assert.equal(tunnel.state, "switching");
  tunnel.write(new Uint8Array(10));
  tunnel.receive(new Uint8Array(3), false);
  assert.deepEqual([socket.seen, pulls, sent.length, peer.seen], [[], [], 0, []]);
  tunnel.switched();
  tunnel.switched();
  assert.equal(tunnel.state, "open");
  assert.deepEqual([socket.seen, pulls], [["accepted"], [4096]]);
});

Deno.test("Tunnel aborted before the switch (a 503, or the client left) refuses its socket, which never opens", () => {
  const { io, sent, pulls } = fakeIo(100);
  let closed = 0;
  const socket = recordingSocket(recordingPeer());
  const tunnel = new Tunnel(io, { stream: 1, closed: () => void closed++, socket });
  tunnel.abort();
  tunnel.switched();
  tunnel.abort();
  assert.equal(tunnel.state, "closed");
  assert.equal(closed, 1);
  assert.deepEqual(socket.seen, ["refused: the server refused the upgrade, or the client left"]);
  assert.deepEqual([pulls, sent], [[], []]);
});
