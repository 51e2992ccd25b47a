/**
 * Test helper: checks that bytes a server sent on one connection are a sequence of complete,
 * well-formed HTTP/1.1 responses (RFC 9112 §4–§7), and says exactly where they are not.
 *
 * @module
 */

const STATUS_LINE = /^HTTP\/1\.1 ([1-5][0-9]{2}) [\t !-~\x80-\xff]*$/;
const FIELD_LINE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t ]*[\t !-~\x80-\xff]*$/;
const CHUNK_LINE = /^[0-9A-Fa-f]{1,16}(;[\t !-~\x80-\xff]*)?$/;

/** One response head as seen on the wire. */
interface Head {
  status: number;
  fields: Map<string, string[]>;
  /** Offset just past the head's empty line. */
  end: number;
}

/**
 * Splits `text` (latin1, one char per byte) into responses and checks each: status line,
 * field lines, framing (Content-Length or chunked; none for 1xx, 204, 304), and nothing after
 * a `Connection: close` response.
 *
 * @param text the bytes the server sent, as latin1
 * @param options mayBeHead: a request may have been HEAD, so a response may lack its body
 * @returns the statuses, in order
 * @throws Error naming the offset and the fault
 * @example
 * ```ts ignore
 * checkResponses("HTTP/1.1 204 No Content\r\n\r\n", { mayBeHead: false }); // [204]
 * ```
 */
export function checkResponses(text: string, options: { mayBeHead: boolean }): number[] {
  const statuses: number[] = [];
  let offset = 0;
  while (offset < text.length) {
    const head = readHead(text, offset);
    statuses.push(head.status);
    offset = head.end + bodyLength(text, head, options);
    const close = (head.fields.get("connection") ?? []).some((v) => /\bclose\b/i.test(v));
    if (close && head.status >= 200 && offset < text.length) {
      fail(text, offset, "bytes after a Connection: close response");
    }
  }
  return statuses;
}

function readHead(text: string, offset: number): Head {
  const end = text.indexOf("\r\n\r\n", offset);
  if (end === -1) fail(text, offset, "a response head without its empty line");
  const [statusLine, ...lines] = text.slice(offset, end).split("\r\n");
  const match = STATUS_LINE.exec(statusLine);
  if (match === null) fail(text, offset, "a malformed status line");
  const fields = new Map<string, string[]>();
  for (const line of lines) {
    if (!FIELD_LINE.test(line)) {
      fail(text, offset, `a malformed field line ${JSON.stringify(line)}`);
    }
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    fields.set(name, [...(fields.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { status: Number(match[1]), fields, end: end + 4 };
}

/** Bytes of the body after the head (RFC 9112 §6.3), which must all be there. */
function bodyLength(text: string, head: Head, options: { mayBeHead: boolean }): number {
  const { status, fields, end } = head;
  const lengths = fields.get("content-length") ?? [];
  const codings = fields.get("transfer-encoding") ?? [];
  if (lengths.length > 0 && codings.length > 0) fail(text, end, "Content-Length with chunked");
  if (lengths.length > 1) fail(text, end, "several Content-Length fields");
  if (status < 200 || status === 204 || status === 304) return 0;
  const rest = text.length - end;
  // A HEAD response announces a length it does not send: next comes a status line, or the end.
  if (options.mayBeHead && (rest === 0 || text.startsWith("HTTP/1.1 ", end))) return 0;
  if (codings.length > 0) return chunkedLength(text, end);
  if (lengths.length === 0) return rest; // delimited by the close
  if (!/^[0-9]+$/.test(lengths[0])) fail(text, end, `Content-Length ${lengths[0]}`);
  const length = Number(lengths[0]);
  if (length > rest) fail(text, end, `a body of ${rest} bytes where ${length} were announced`);
  return length;
}

function chunkedLength(text: string, start: number): number {
  let offset = start;
  for (;;) {
    const lineEnd = text.indexOf("\r\n", offset);
    if (lineEnd === -1) fail(text, offset, "a chunk-size line without CRLF");
    const line = text.slice(offset, lineEnd);
    if (!CHUNK_LINE.test(line)) fail(text, offset, `a malformed chunk-size line`);
    const size = parseInt(line, 16);
    offset = lineEnd + 2;
    if (size === 0) break;
    if (text.slice(offset + size, offset + size + 2) !== "\r\n") {
      fail(text, offset, `a chunk of ${size} bytes not followed by CRLF`);
    }
    offset += size + 2;
  }
  const trailersEnd = text.indexOf("\r\n", offset) === offset
    ? offset
    : text.indexOf("\r\n\r\n", offset) + 2;
  if (trailersEnd < offset) fail(text, offset, "a trailer section without its empty line");
  return trailersEnd + 2 - start;
}

function fail(text: string, offset: number, fault: string): never {
  const excerpt = JSON.stringify(text.slice(Math.max(0, offset - 40), offset + 160));
  throw new Error(`response stream has ${fault} at byte ${offset}: ${excerpt}`);
}
