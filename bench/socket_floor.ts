/**
 * @module socket_floor
 * The floor under any Deno server that owns its sockets on one thread: per
 * request one `conn.read` and one `conn.write` of a prepared answer, and
 * nothing else (no HTTP parsing beyond finding the end of the head and the
 * path, no workers). heiretsu's main thread does this much and more per
 * request, so its CPU per request here is the least heiretsu's main thread can
 * cost on the same machine in the same run.
 *
 * Only for the benchmark's 1 KiB run: it answers from files of the root kept
 * in memory, and 404 for anything else.
 */
import { join } from "node:path";
import { parseBaselineArgs } from "./baseline_common.ts";

/** Files larger than this are not kept (the floor is measured on the 1 KiB file). */
const MAX_FILE_BYTES = 64 * 1024;
const READ_BUFFER_BYTES = 4096;
const HEAD_END = new TextEncoder().encode("\r\n\r\n");
const NOT_FOUND = new TextEncoder().encode("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");

/**
 * The whole answer for each small file of `root`: head and body in one buffer.
 *
 * @param root The folder whose top-level files are served.
 * @returns Answers keyed by request-target ("/name").
 * @example
 * ```ts ignore
 * const answers = await loadAnswers("/tmp/fixtures");
 * ```
 */
export async function loadAnswers(root: string): Promise<Map<string, Uint8Array>> {
  const answers = new Map<string, Uint8Array>();
  for await (const entry of Deno.readDir(root)) {
    if (!entry.isFile) continue;
    const body = await Deno.readFile(join(root, entry.name));
    if (body.byteLength > MAX_FILE_BYTES) continue;
    const head = new TextEncoder().encode(
      `HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ${body.byteLength}\r\n\r\n`,
    );
    const answer = new Uint8Array(head.byteLength + body.byteLength);
    answer.set(head);
    answer.set(body, head.byteLength);
    answers.set(`/${entry.name}`, answer);
  }
  return answers;
}

/** The request-target of a head ("GET /a HTTP/1.1" → "/a"), or "" when malformed. */
function targetOf(head: Uint8Array): string {
  const first = head.indexOf(0x20);
  const second = head.indexOf(0x20, first + 1);
  if (first === -1 || second === -1) return "";
  return new TextDecoder().decode(head.subarray(first + 1, second));
}

/** End of the first head in `bytes` (just past its blank line), or -1. */
function headEnd(bytes: Uint8Array): number {
  for (let at = bytes.indexOf(HEAD_END[0]); at !== -1; at = bytes.indexOf(HEAD_END[0], at + 1)) {
    if (bytes[at + 1] === 0x0a && bytes[at + 2] === 0x0d && bytes[at + 3] === 0x0a) return at + 4;
  }
  return -1;
}

async function serveConnection(conn: Deno.Conn, answers: Map<string, Uint8Array>): Promise<void> {
  const buffer = new Uint8Array(READ_BUFFER_BYTES);
  let pending: Uint8Array = new Uint8Array(0);
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) return;
      pending = pending.byteLength === 0 ? buffer.subarray(0, n) : concat(pending, buffer, n);
      for (let end = headEnd(pending); end !== -1; end = headEnd(pending)) {
        await conn.write(answers.get(targetOf(pending.subarray(0, end))) ?? NOT_FOUND);
        pending = pending.subarray(end);
      }
      // What is left must outlive the next read into `buffer`.
      if (pending.byteLength > 0 && pending.buffer === buffer.buffer) pending = pending.slice();
    }
  } catch {
    // The client reset the connection: nothing to do but close it.
  } finally {
    conn.close();
  }
}

function concat(pending: Uint8Array, buffer: Uint8Array, n: number): Uint8Array {
  const joined = new Uint8Array(pending.byteLength + n);
  joined.set(pending);
  joined.set(buffer.subarray(0, n), pending.byteLength);
  return joined;
}

async function main(): Promise<void> {
  const options = parseBaselineArgs(Deno.args);
  const answers = await loadAnswers(options.root);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: options.port });
  const { hostname, port } = listener.addr as Deno.NetAddr;
  console.log(`Server: listening on http://${hostname}:${port} (1 workers, root ${options.root})`);
  Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
  for await (const conn of listener) {
    conn.setNoDelay(true);
    serveConnection(conn, answers);
  }
}

if (import.meta.main) await main();
