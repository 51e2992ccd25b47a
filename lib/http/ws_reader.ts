/**
 * The receiving side of a WebSocket server, sans I/O: client bytes in, messages and control
 * frames out (RFC 6455 §5–§7). It unmasks, joins fragments, validates UTF-8 of text and close
 * reasons, and turns every protocol violation into one `fail` event with its close code. A frame
 * longer than the message limit fails with 1009 from its header alone, and a payload's memory is
 * taken as its bytes arrive, never at once from its announced length: a client that announces
 * large frames and sends little costs what it sent.
 *
 * @module
 */
import { joinOctets } from "./octets.ts";
import {
  CLOSE_CODE,
  type FrameHeader,
  headerError,
  isValidCloseCode,
  OPCODE,
  readFrameHeader,
} from "./ws_frames.ts";

/** What the reader found. */
export type WsEvent =
  | { kind: "text"; text: string }
  | { kind: "binary"; bytes: Uint8Array }
  | { kind: "ping"; bytes: Uint8Array }
  | { kind: "pong"; bytes: Uint8Array }
  /** The client's close frame: its code (1005 when it sent none) and reason. */
  | { kind: "close"; code: number; reason: string }
  /** The client broke the protocol: close with `code`; the reader reads nothing more. */
  | { kind: "fail"; code: number; reason: string };

/**
 * Where the reader is: `header` (waiting for a frame's header) → `payload` (reading its bytes)
 * → `header`; `done` after a close or a failure, terminal.
 */
export type WsReaderState = "header" | "payload" | "done";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const NO_BYTES = new Uint8Array(0);
/** First size of a payload buffer that must grow; a frame shorter than this gets its own size. */
const MIN_PAYLOAD_BYTES = 4096;

/**
 * Turns a client's bytes into WebSocket events.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WsReader } from "./ws_reader.ts";
 * const reader = new WsReader({ maxMessageBytes: 1024 });
 * // "Hi", masked with 0 0 0 0.
 * reader.push(Uint8Array.of(0x81, 0x82, 0, 0, 0, 0, 0x48, 0x69));
 * assert.deepEqual(reader.next(), { kind: "text", text: "Hi" });
 * assert.equal(reader.next(), null);
 * ```
 */
export class WsReader {
  #maxMessageBytes: number;
  #state: WsReaderState = "header";
  /** Bytes pushed and not yet consumed, from `#at`. */
  #input: Uint8Array = new Uint8Array(0);
  #at = 0;
  /** Whether `#input` is the caller's view (see `push`), not a copy of ours. */
  #borrowed = false;
  #frame: FrameHeader | null = null;
  /** The current frame's payload so far, unmasked; it grows as bytes come (see `#room`). */
  #payload = new Uint8Array(0);
  #filled = 0;
  #mask = new Uint8Array(4);
  /** Fragments of the message in progress, its opcode and size; opcode 0 when none. */
  #fragments: Uint8Array[] = [];
  #messageOpcode = 0;
  #messageBytes = 0;

  /**
   * Prepares a reader.
   *
   * @param limits the largest message, all fragments together, in bytes
   */
  constructor(limits: { maxMessageBytes: number }) {
    this.#maxMessageBytes = limits.maxMessageBytes;
  }

  /** Where the reader is. */
  get state(): WsReaderState {
    return this.#state;
  }

  /**
   * Adds client bytes. They are read in place, not copied: they must stay as they are until
   * {@linkcode WsReader.next} returns null, which copies what it has not consumed (at most a
   * frame header's bytes: payload bytes are consumed as they come).
   *
   * @param bytes the bytes
   */
  push(bytes: Uint8Array): void {
    if (this.#state === "done") return;
    const rest = this.#input.byteLength - this.#at;
    if (rest === 0) {
      this.#input = bytes;
      this.#borrowed = true;
    } else {
      const joined = new Uint8Array(rest + bytes.byteLength);
      joined.set(this.#input.subarray(this.#at));
      joined.set(bytes, rest);
      this.#input = joined;
      this.#borrowed = false;
    }
    this.#at = 0;
  }

  /**
   * The next event, or null when more bytes are needed.
   *
   * @returns the event, or null
   */
  next(): WsEvent | null {
    while (this.#state !== "done") {
      if (this.#state === "header") {
        const failure = this.#readHeader();
        if (failure !== undefined) return failure;
        if (this.#frame === null) return this.#needMore();
      }
      if (!this.#fill()) return this.#needMore();
      this.#state = "header";
      const payload = this.#payload;
      this.#payload = NO_BYTES;
      const event = this.#complete(this.#frame!, payload);
      this.#frame = null;
      if (event !== null) return event;
    }
    return null;
  }

  /** More bytes are needed: what is left of a borrowed input is copied, as it may change. */
  #needMore(): null {
    if (this.#borrowed) {
      this.#input = this.#input.slice(this.#at);
      this.#at = 0;
      this.#borrowed = false;
    }
    return null;
  }

  /** Reads a header and checks it; a failure ends the reader. */
  #readHeader(): WsEvent | undefined {
    const header = readFrameHeader(this.#input.subarray(this.#at));
    if (header === null) return undefined;
    this.#at += header.headerBytes;
    const error = headerError(header) ?? this.#sequenceError(header);
    if (error !== null) return this.#fail(CLOSE_CODE.protocolError, error);
    const data = header.opcode < 8;
    if (data && this.#messageBytes + header.length > this.#maxMessageBytes) {
      return this.#fail(
        CLOSE_CODE.tooBig,
        `a message may carry at most ${this.#maxMessageBytes} bytes`,
      );
    }
    // Masked, as headerError made sure: the key is the header's last four bytes.
    this.#mask.set(this.#input.subarray(this.#at - 4, this.#at));
    this.#frame = header;
    this.#filled = 0;
    this.#state = "payload";
    return undefined;
  }

  /** Fragmentation rules (§5.4): continuations only inside a message, no message inside one. */
  #sequenceError(header: FrameHeader): string | null {
    const { opcode } = header;
    if (opcode === OPCODE.continuation && this.#messageOpcode === 0) {
      return "a continuation frame without a message to continue";
    }
    if ((opcode === OPCODE.text || opcode === OPCODE.binary) && this.#messageOpcode !== 0) {
      return "a new message before the last one's final fragment";
    }
    return null;
  }

  /** Copies and unmasks the payload bytes that are here; true once the payload is whole. */
  #fill(): boolean {
    const length = this.#frame!.length;
    const take = Math.min(length - this.#filled, this.#input.byteLength - this.#at);
    if (take > 0) {
      const payload = this.#room(length, this.#filled + take);
      unmask(this.#input.subarray(this.#at, this.#at + take), {
        into: payload,
        at: this.#filled,
        mask: this.#mask,
      });
      this.#filled += take;
      this.#at += take;
    }
    return this.#filled === length;
  }

  /**
   * The payload buffer with room for `needed` bytes: it doubles (from 4 KiB) up to the frame's
   * length, so memory follows what arrived (at most twice that), never what was announced.
   */
  #room(length: number, needed: number): Uint8Array {
    const payload = this.#payload;
    if (needed <= payload.byteLength) return payload;
    const size = Math.min(length, Math.max(needed, 2 * payload.byteLength, MIN_PAYLOAD_BYTES));
    const grown = new Uint8Array(size);
    grown.set(payload.subarray(0, this.#filled));
    this.#payload = grown;
    return grown;
  }

  /** The event of a whole frame: a control frame, or a message once its last fragment came. */
  #complete(frame: FrameHeader, payload: Uint8Array): WsEvent | null {
    switch (frame.opcode) {
      case OPCODE.ping:
        return { kind: "ping", bytes: payload };
      case OPCODE.pong:
        return { kind: "pong", bytes: payload };
      case OPCODE.close:
        return this.#close(payload);
    }
    if (frame.opcode !== OPCODE.continuation) this.#messageOpcode = frame.opcode;
    this.#fragments.push(payload);
    this.#messageBytes += payload.byteLength;
    if (!frame.fin) return null;
    const bytes = this.#fragments.length === 1 ? payload : joinOctets(this.#fragments);
    const opcode = this.#messageOpcode;
    this.#fragments = [];
    this.#messageOpcode = 0;
    this.#messageBytes = 0;
    if (opcode === OPCODE.binary) return { kind: "binary", bytes };
    try {
      return { kind: "text", text: strictUtf8.decode(bytes) };
    } catch {
      return this.#fail(CLOSE_CODE.invalidData, "a text message that is not valid UTF-8");
    }
  }

  /** The client's close frame (§5.5.1): no payload, or a valid code and a UTF-8 reason. */
  #close(payload: Uint8Array): WsEvent {
    this.#state = "done";
    if (payload.byteLength === 0) return { kind: "close", code: CLOSE_CODE.noStatus, reason: "" };
    if (payload.byteLength === 1) {
      return this.#fail(CLOSE_CODE.protocolError, "a close frame with a one-byte payload");
    }
    const code = (payload[0] << 8) | payload[1];
    if (!isValidCloseCode(code)) {
      return this.#fail(CLOSE_CODE.protocolError, `invalid close code ${code}`);
    }
    try {
      return { kind: "close", code, reason: strictUtf8.decode(payload.subarray(2)) };
    } catch {
      return this.#fail(CLOSE_CODE.invalidData, "a close reason that is not valid UTF-8");
    }
  }

  #fail(code: number, reason: string): WsEvent {
    this.#state = "done";
    this.#input = new Uint8Array(0);
    this.#at = 0;
    this.#fragments = [];
    this.#payload = NO_BYTES;
    return { kind: "fail", code, reason };
  }
}

/**
 * XORs `source` with the mask into `into` from `at`, the mask's phase following `at`: four
 * bytes a turn, which took a 1 KiB message from ~1 µs to a third of that.
 */
function unmask(source: Uint8Array, target: { into: Uint8Array; at: number; mask: Uint8Array }) {
  const { into, at, mask } = target;
  const n = source.byteLength;
  let i = 0;
  for (; i < n && ((at + i) & 3) !== 0; i++) into[at + i] = source[i] ^ mask[(at + i) & 3];
  const m0 = mask[0], m1 = mask[1], m2 = mask[2], m3 = mask[3];
  for (; i + 4 <= n; i += 4) {
    const o = at + i;
    into[o] = source[i] ^ m0;
    into[o + 1] = source[i + 1] ^ m1;
    into[o + 2] = source[i + 2] ^ m2;
    into[o + 3] = source[i + 3] ^ m3;
  }
  for (; i < n; i++) into[at + i] = source[i] ^ mask[(at + i) & 3];
}
