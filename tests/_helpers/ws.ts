/**
 * Test helper: a raw WebSocket client over Deno.connect, for frames Deno's WebSocket will not
 * send (unmasked, reserved bits, hostile lengths), and a reader of the server's frames.
 *
 * @module
 */
import { connect, writeAll } from "./http.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MASK = [0x11, 0x22, 0x33, 0x44];

/** A frame the server sent. */
export interface ServerFrame {
  opcode: number;
  fin: boolean;
  payload: Uint8Array;
}

/**
 * A client frame: masked unless told otherwise.
 *
 * @param first the first byte (FIN, RSV bits, opcode)
 * @param payload the payload
 * @param options `masked: false` for an unmasked frame; `length` for raw length bytes
 * @returns the frame's bytes
 */
export function clientFrame(
  first: number,
  payload: Uint8Array | string,
  options: { masked?: boolean; length?: number[] } = {},
): Uint8Array {
  const bytes = typeof payload === "string" ? encoder.encode(payload) : payload;
  const masked = options.masked ?? true;
  const n = bytes.byteLength;
  const length = options.length ??
    (n < 126 ? [n] : n < 65536 ? [126, n >> 8, n & 0xff] : [
      127,
      0,
      0,
      0,
      0,
      n >>> 24,
      (n >> 16) & 0xff,
      (n >> 8) & 0xff,
      n & 0xff,
    ]);
  const head = [first, (masked ? 0x80 : 0) | length[0], ...length.slice(1)];
  const body = masked ? bytes.map((b, i) => b ^ MASK[i & 3]) : bytes;
  return Uint8Array.from([...head, ...(masked ? MASK : []), ...body]);
}

/** An upgraded raw connection and what it read past the 101 head. */
export interface RawSocket {
  conn: Deno.Conn;
  /** The response head's status line. */
  status: string;
  /** Bytes after the head, not yet read as frames. */
  buffered: Uint8Array;
}

/**
 * Connects and sends an upgrade request for `path`, then reads the response head.
 *
 * @param port the server's port
 * @param path the path
 * @param open how to connect (TLS, say); plain TCP to the port by default
 * @returns the connection, its status line, and any bytes after the head
 */
export async function openRaw(
  port: number,
  path: string,
  open: () => Promise<Deno.Conn> = () => connect(port),
): Promise<RawSocket> {
  const conn = await open();
  await writeAll(
    conn,
    encoder.encode(
      `GET ${path} HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    ),
  );
  let bytes = new Uint8Array();
  const buffer = new Uint8Array(4096);
  for (;;) {
    const end = findBlankLine(bytes);
    if (end !== -1) {
      const head = decoder.decode(bytes.subarray(0, end));
      return { conn, status: head.split("\r\n")[0], buffered: bytes.slice(end + 4) };
    }
    const n = await conn.read(buffer);
    if (n === null) throw new Error(`closed before a response head: ${decoder.decode(bytes)}`);
    bytes = Uint8Array.from([...bytes, ...buffer.subarray(0, n)]);
  }
}

function findBlankLine(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.byteLength; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

/**
 * Reads server frames until a close frame or the end of the connection (or the timeout).
 *
 * @param socket the raw socket
 * @param timeoutMs how long to read at most
 * @returns the frames, and whether the server closed the connection
 */
export async function readUntilClose(
  socket: RawSocket,
  timeoutMs = 10_000,
): Promise<{ frames: ServerFrame[]; ended: boolean }> {
  const frames: ServerFrame[] = [];
  let bytes = socket.buffered;
  const buffer = new Uint8Array(64 * 1024);
  const timer = setTimeout(() => socket.conn.close(), timeoutMs);
  try {
    for (;;) {
      const parsed = takeFrame(bytes);
      if (parsed !== null) {
        frames.push(parsed.frame);
        bytes = bytes.subarray(parsed.used);
        if (parsed.frame.opcode === 8) return { frames, ended: await readsEnd(socket.conn) };
        continue;
      }
      const n = await socket.conn.read(buffer).catch(() => null);
      if (n === null) return { frames, ended: true };
      const joined = new Uint8Array(bytes.byteLength + n);
      joined.set(bytes);
      joined.set(buffer.subarray(0, n), bytes.byteLength);
      bytes = joined;
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the server closes the connection (reads to its end, within the caller's timer). */
async function readsEnd(conn: Deno.Conn): Promise<boolean> {
  const buffer = new Uint8Array(1024);
  for (;;) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) return true;
  }
}

function takeFrame(bytes: Uint8Array): { frame: ServerFrame; used: number } | null {
  if (bytes.byteLength < 2) return null;
  let length = bytes[1] & 0x7f;
  let at = 2;
  if (length === 126) {
    if (bytes.byteLength < 4) return null;
    length = (bytes[2] << 8) | bytes[3];
    at = 4;
  } else if (length === 127) {
    if (bytes.byteLength < 10) return null;
    length = new DataView(bytes.buffer, bytes.byteOffset + 2, 8).getUint32(4);
    at = 10;
  }
  if (bytes.byteLength < at + length) return null;
  const frame = {
    opcode: bytes[0] & 0x0f,
    fin: (bytes[0] & 0x80) !== 0,
    payload: bytes.slice(at, at + length),
  };
  return { frame, used: at + length };
}

/**
 * The code of a close frame's payload (1005 when it has none).
 *
 * @param frame a close frame
 * @returns the code
 */
export function closeCode(frame: ServerFrame | undefined): number {
  if (frame === undefined || frame.opcode !== 8) return -1;
  if (frame.payload.byteLength < 2) return 1005;
  return (frame.payload[0] << 8) | frame.payload[1];
}
