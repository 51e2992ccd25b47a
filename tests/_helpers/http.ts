/**
 * Test helper: a raw HTTP/1.1 client over Deno.connect, for what fetch cannot express
 * (pipelining, malformed requests, trickling, slow reading), and a response splitter.
 *
 * @module
 */

/** One parsed response. */
export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: Uint8Array<ArrayBuffer>;
}

const encoder = new TextEncoder();

/**
 * Opens a connection to 127.0.0.1:port.
 *
 * @param port the server's port
 * @returns the connection
 */
export function connect(port: number): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: "127.0.0.1", port });
}

/**
 * Sends `request` and reads until the server closes, or until `responses` complete responses
 * (bodies by Content-Length or chunked, decoded; HEAD responses must be marked in
 * `headRequests`) arrived.
 *
 * @param port the server's port
 * @param request the raw bytes or text to send
 * @param options how many responses to wait for; which of them answer HEAD
 * @returns the parsed responses
 */
export async function exchange(
  port: number,
  request: string | Uint8Array,
  options: { responses?: number; headRequests?: number[]; timeoutMs?: number } = {},
): Promise<RawResponse[]> {
  const conn = await connect(port);
  try {
    await writeAll(conn, typeof request === "string" ? encoder.encode(request) : request);
    return await readResponses(conn, options);
  } finally {
    conn.close();
  }
}

/**
 * Reads responses from an open connection.
 *
 * @param conn the connection
 * @param options as for {@linkcode exchange}
 * @returns the parsed responses
 */
export async function readResponses(
  conn: Deno.Conn,
  options: { responses?: number; headRequests?: number[]; timeoutMs?: number } = {},
): Promise<RawResponse[]> {
  const wanted = options.responses ?? Infinity;
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let buffer = new Uint8Array(0);
  const responses: RawResponse[] = [];
  const chunk = new Uint8Array(64 * 1024);
  for (;;) {
    let parsed;
    while (
      responses.length < wanted &&
      (parsed = parseOne(buffer, options.headRequests?.includes(responses.length) ?? false))
    ) {
      responses.push(parsed.response);
      buffer = buffer.slice(parsed.length);
    }
    if (responses.length >= wanted) return responses;
    if (Date.now() > deadline) throw new Error(`timed out with ${responses.length} responses`);
    const n = await readWithTimeout(conn, chunk, deadline - Date.now());
    if (n === null) {
      if (buffer.byteLength > 0) {
        throw new Error(
          `connection closed mid-response: ${new TextDecoder().decode(buffer.subarray(0, 200))}`,
        );
      }
      return responses;
    }
    const grown = new Uint8Array(buffer.byteLength + n);
    grown.set(buffer);
    grown.set(chunk.subarray(0, n), buffer.byteLength);
    buffer = grown;
  }
}

async function readWithTimeout(
  conn: Deno.Conn,
  chunk: Uint8Array,
  ms: number,
): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("read timed out")), Math.max(1, ms));
  });
  try {
    return await Promise.race([conn.read(chunk).catch(() => null), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function parseOne(
  buffer: Uint8Array,
  isHead: boolean,
): { response: RawResponse; length: number } | null {
  const text = new TextDecoder("latin1").decode(
    buffer.subarray(0, Math.min(buffer.byteLength, 64 * 1024)),
  );
  const end = text.indexOf("\r\n\r\n");
  if (end === -1) return null;
  const [statusLine, ...fields] = text.slice(0, end).split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  const headers = new Map<string, string>();
  for (const field of fields) {
    const colon = field.indexOf(":");
    headers.set(field.slice(0, colon).toLowerCase(), field.slice(colon + 1).trim());
  }
  const start = end + 4;
  const bodiless = isHead || status === 204 || status === 304;
  if (!bodiless && /chunked/i.test(headers.get("transfer-encoding") ?? "")) {
    const chunked = dechunk(buffer, start);
    return chunked && { response: { status, headers, body: chunked.body }, length: chunked.end };
  }
  const bodyLength = bodiless ? 0 : Number(headers.get("content-length") ?? 0);
  if (buffer.byteLength < start + bodyLength) return null;
  return {
    response: { status, headers, body: buffer.slice(start, start + bodyLength) },
    length: start + bodyLength,
  };
}

/** A chunked body from `start`: its data and where it ends, or null while incomplete. */
function dechunk(
  buffer: Uint8Array,
  start: number,
): { body: Uint8Array<ArrayBuffer>; end: number } | null {
  const pieces: Uint8Array[] = [];
  let at = start;
  for (;;) {
    const line = buffer.indexOf(0x0a, at);
    if (line === -1) return null;
    const size = parseInt(new TextDecoder().decode(buffer.subarray(at, line)), 16);
    if (size === 0) {
      // No trailers are sent by the server: the last chunk ends with one more line end.
      const last = buffer.indexOf(0x0a, line + 1);
      return last === -1
        ? null
        : { body: concat(pieces) as Uint8Array<ArrayBuffer>, end: last + 1 };
    }
    if (buffer.byteLength < line + 1 + size + 2) return null;
    pieces.push(buffer.subarray(line + 1, line + 1 + size));
    at = line + 1 + size + 2;
  }
}

/**
 * Writes all bytes.
 *
 * @param conn the connection
 * @param bytes what to write
 */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) offset += await conn.write(bytes.subarray(offset));
}

/**
 * GET over a fresh connection with `Connection: close`; returns the response and its latency.
 *
 * @param port the server's port
 * @param path the path
 * @returns the response and the milliseconds it took
 */
export async function timedGet(
  port: number,
  path: string,
): Promise<{ response: RawResponse; ms: number }> {
  const started = performance.now();
  const [response] = await exchange(
    port,
    `GET ${path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
  );
  return { response, ms: performance.now() - started };
}

/**
 * Resident memory of a process in MB, from /proc (Linux only).
 *
 * @param pid the process id
 * @returns VmRSS in MB
 */
export async function residentMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

/**
 * Joins byte pieces into one array.
 *
 * @param pieces the pieces, in order
 * @returns a new array holding them all
 */
export function concat(pieces: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.byteLength, 0));
  let at = 0;
  for (const piece of pieces) {
    all.set(piece, at);
    at += piece.byteLength;
  }
  return all;
}
