/**
 * WebSocket framing (RFC 6455 §5), sans I/O: frame headers read from bytes, server frames
 * written, and a boundary tracker an I/O thread runs over a tunnel's bytes to know whether a
 * client is in the middle of a frame. No Deno APIs, no timers; lengths are checked against the
 * caller's limit before anything is allocated.
 *
 * @module
 */

/** Frame opcodes (RFC 6455 §5.2). */
export const OPCODE = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** Close codes this server sends or must tell apart (RFC 6455 §7.4.1). */
export const CLOSE_CODE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  noStatus: 1005,
  abnormal: 1006,
  invalidData: 1007,
  tooBig: 1009,
  internalError: 1011,
} as const;

/** Largest payload of a control frame (RFC 6455 §5.5). */
export const MAX_CONTROL_PAYLOAD_BYTES = 125;

/** Longest frame header: 2 bytes, an 8-byte length and a 4-byte mask. */
export const MAX_FRAME_HEADER_BYTES = 14;

/** A parsed frame header. */
export interface FrameHeader {
  fin: boolean;
  /** The three reserved bits, as `0..7` (no extension is negotiated: must be 0). */
  rsv: number;
  opcode: number;
  masked: boolean;
  /**
   * Payload bytes announced; `Infinity` for a 64-bit length above 2^53, which no limit admits
   * (a number, so a hostile length is compared, never allocated).
   */
  length: number;
  /** Bytes of the header itself (2 to 14); a masking key is its last four. */
  headerBytes: number;
}

/**
 * Reads a frame header at the start of `bytes`.
 *
 * @param bytes bytes that start with a frame
 * @returns the header, or null while fewer bytes than the header needs are here
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFrameHeader } from "./ws_frames.ts";
 * const header = readFrameHeader(Uint8Array.of(0x81, 0x85, 1, 2, 3, 4));
 * assert.equal(header?.opcode, 1);
 * assert.equal(header?.length, 5);
 * assert.equal(header?.headerBytes, 6);
 * assert.equal(readFrameHeader(Uint8Array.of(0x81)), null);
 * ```
 */
export function readFrameHeader(bytes: Uint8Array): FrameHeader | null {
  if (bytes.byteLength < 2) return null;
  const first = bytes[0];
  const second = bytes[1];
  const masked = (second & 0x80) !== 0;
  const short = second & 0x7f;
  const lengthBytes = short === 126 ? 2 : short === 127 ? 8 : 0;
  const headerBytes = 2 + lengthBytes + (masked ? 4 : 0);
  if (bytes.byteLength < headerBytes) return null;
  let length = short;
  if (short === 126) length = (bytes[2] << 8) | bytes[3];
  else if (short === 127) {
    const view = new DataView(bytes.buffer, bytes.byteOffset + 2, 8);
    const high = view.getUint32(0);
    // The top bit must be 0 (§5.2); above 2^53 the length is no exact number: Infinity.
    length = high >= 0x20_0000 ? Infinity : high * 2 ** 32 + view.getUint32(4);
  }
  return {
    fin: (first & 0x80) !== 0,
    rsv: (first >> 4) & 0x7,
    opcode: first & 0x0f,
    masked,
    length,
    headerBytes,
  };
}

/**
 * The protocol error of a client frame's header, before its payload is read, or null when it
 * is acceptable: RFC 6455's rules for masking, reserved bits and opcodes, and control frames.
 *
 * @param header the frame's header
 * @returns the reason of a 1002 close, or null
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headerError, readFrameHeader } from "./ws_frames.ts";
 * assert.equal(headerError(readFrameHeader(Uint8Array.of(0x81, 0x80, 0, 0, 0, 0))!), null);
 * assert.equal(headerError(readFrameHeader(Uint8Array.of(0x81, 0x00))!), "client frames must be masked");
 * ```
 */
export function headerError(header: FrameHeader): string | null {
  const { opcode } = header;
  if (!header.masked) return "client frames must be masked";
  if (header.rsv !== 0) return "reserved bits set without a negotiated extension";
  if ((opcode > 2 && opcode < 8) || opcode > 10) return `reserved opcode ${opcode}`;
  if (opcode >= 8) {
    if (!header.fin) return "a control frame must not be fragmented";
    if (header.length > MAX_CONTROL_PAYLOAD_BYTES) {
      return `a control frame carries at most ${MAX_CONTROL_PAYLOAD_BYTES} bytes`;
    }
  }
  return null;
}

/**
 * Whether a close code may travel in a close frame (RFC 6455 §7.4; 1004–1006 and 1015 never).
 *
 * @param code the code
 * @returns true when valid on the wire
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isValidCloseCode } from "./ws_frames.ts";
 * assert.equal(isValidCloseCode(1000), true);
 * assert.equal(isValidCloseCode(1005), false);
 * assert.equal(isValidCloseCode(4000), true);
 * ```
 */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999);
}

/**
 * A server frame (unmasked, FIN set): header and payload in one buffer.
 *
 * @param opcode the frame's opcode
 * @param payload its payload
 * @returns the frame's bytes
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFrame, OPCODE } from "./ws_frames.ts";
 * assert.deepEqual(encodeFrame(OPCODE.text, Uint8Array.of(0x68, 0x69)), Uint8Array.of(0x81, 2, 0x68, 0x69));
 * assert.equal(encodeFrame(OPCODE.binary, new Uint8Array(70000)).byteLength, 70010);
 * ```
 */
export function encodeFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const length = payload.byteLength;
  const headerBytes = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = new Uint8Array(headerBytes + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = length;
  else if (length < 65536) {
    frame[1] = 126;
    frame[2] = length >> 8;
    frame[3] = length & 0xff;
  } else {
    frame[1] = 127;
    const view = new DataView(frame.buffer, 2, 8);
    view.setUint32(0, Math.floor(length / 2 ** 32));
    view.setUint32(4, length >>> 0);
  }
  frame.set(payload, headerBytes);
  return frame;
}

const encoder = new TextEncoder();

/**
 * The payload of a close frame: the code, then the reason in UTF-8 (at most 123 bytes).
 *
 * @param code a valid close code, or null for an empty payload (1005 on the other side)
 * @param reason the reason text
 * @returns the payload
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { closePayload } from "./ws_frames.ts";
 * assert.deepEqual(closePayload(1000, "ok"), Uint8Array.of(0x03, 0xe8, 0x6f, 0x6b));
 * assert.equal(closePayload(null, "").byteLength, 0);
 * ```
 */
export function closePayload(code: number | null, reason: string): Uint8Array {
  if (code === null) return new Uint8Array();
  const text = encoder.encode(reason);
  const payload = new Uint8Array(2 + text.byteLength);
  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  payload.set(text, 2);
  return payload;
}

/**
 * Where a stream of frames is, for a tracker that sees its bytes in pieces: the start of a
 * header (up to 14 bytes, kept), then how many payload bytes remain.
 */
export interface FrameBoundary {
  /** Header bytes seen of the frame that starts next (0 at a boundary). */
  headerSeen: number;
  /** Payload bytes of the current frame still to come. */
  remaining: number;
  /** The partial header. */
  header: Uint8Array;
}

/**
 * A tracker at a frame boundary.
 *
 * @returns a fresh tracker
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { frameBoundary, midFrame } from "./ws_frames.ts";
 * assert.equal(midFrame(frameBoundary()), false);
 * ```
 */
export function frameBoundary(): FrameBoundary {
  return { headerSeen: 0, remaining: 0, header: new Uint8Array(MAX_FRAME_HEADER_BYTES) };
}

/**
 * Whether the tracker stands inside a frame (its header or payload incomplete).
 *
 * @param boundary the tracker
 * @returns true in the middle of a frame
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { frameBoundary, midFrame, trackFrames } from "./ws_frames.ts";
 * const boundary = frameBoundary();
 * trackFrames(boundary, Uint8Array.of(0x82, 0x03, 1));
 * assert.equal(midFrame(boundary), true);
 * trackFrames(boundary, Uint8Array.of(2, 3));
 * assert.equal(midFrame(boundary), false);
 * ```
 */
export function midFrame(boundary: FrameBoundary): boolean {
  return boundary.headerSeen > 0 || boundary.remaining > 0;
}

/**
 * Moves the tracker over the next bytes of the stream; it reads headers only, never payloads.
 *
 * @param boundary the tracker, updated
 * @param bytes the next bytes
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { frameBoundary, midFrame, trackFrames } from "./ws_frames.ts";
 * const boundary = frameBoundary();
 * trackFrames(boundary, Uint8Array.of(0x81, 0x7e, 0x01)); // a 16-bit length, half of it
 * assert.equal(midFrame(boundary), true);
 * ```
 */
export function trackFrames(boundary: FrameBoundary, bytes: Uint8Array): void {
  let at = 0;
  const end = bytes.byteLength;
  while (at < end) {
    if (boundary.remaining > 0) {
      const skip = Math.min(boundary.remaining, end - at);
      boundary.remaining -= skip;
      at += skip;
      continue;
    }
    // Header bytes are copied in, at most 14 per frame; parsed once all of them are here.
    const { header } = boundary;
    header[boundary.headerSeen++] = bytes[at++];
    const seen = boundary.headerSeen;
    if (seen < 2 || seen < headerLength(header[1])) continue;
    boundary.headerSeen = 0;
    boundary.remaining = readFrameHeader(header.subarray(0, seen))!.length;
  }
}

/** A header's length from its second byte: the length's form and the mask bit. */
function headerLength(second: number): number {
  const short = second & 0x7f;
  return 2 + (short === 126 ? 2 : short === 127 ? 8 : 0) + ((second & 0x80) !== 0 ? 4 : 0);
}
