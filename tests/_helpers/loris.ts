/**
 * Test helper: slowloris clients. Each sends the start of a request head, then one more header
 * byte now and then, and never finishes; a reader notes when the server hangs up and what it
 * said first.
 *
 * @module
 */
import { connect, writeAll } from "./http.ts";

/** One slowloris connection. */
export interface Loris {
  /** The socket; closed by the helper. */
  conn: Deno.TcpConn;
  /** performance.now() when the partial head was written. */
  sentAt: number;
  /** performance.now() when the server closed the connection; undefined while it is open. */
  closedAt?: number;
  /** Bytes the server sent before closing (a 408, or nothing). */
  reply: Uint8Array;
  /** Header bytes trickled after the partial head. */
  trickled: number;
  /** True once the helper gave up waiting and closed the socket itself. */
  abandoned: boolean;
  /** Settles when the reader is done. */
  done: Promise<void>;
}

const encoder = new TextEncoder();
const PARTIAL_HEAD = encoder.encode("GET / HTTP/1.1\r\nHost: t\r\n");
const TRICKLE = encoder.encode(`X-Loris: ${"a".repeat(4096)}`);
/** Connections opened at once, well under the listen backlog so no SYN is dropped. */
const BATCH = 100;

/**
 * Opens `count` slowloris connections, in batches, each with its partial head sent.
 *
 * @param port the server's port
 * @param count how many
 * @returns the connections, their readers running
 * @example
 * ```ts ignore
 * const lorises = await openLorises(server.port, 1000);
 * ```
 */
export async function openLorises(port: number, count: number): Promise<Loris[]> {
  const lorises: Loris[] = [];
  for (let start = 0; start < count; start += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - start) }, () => openLoris(port));
    lorises.push(...await Promise.all(batch));
  }
  return lorises;
}

async function openLoris(port: number): Promise<Loris> {
  const conn = await connect(port);
  await writeAll(conn, PARTIAL_HEAD);
  const loris: Loris = {
    conn,
    sentAt: performance.now(),
    reply: new Uint8Array(0),
    trickled: 0,
    abandoned: false,
    done: Promise.resolve(),
  };
  loris.done = readUntilClosed(loris);
  return loris;
}

async function readUntilClosed(loris: Loris): Promise<void> {
  const chunk = new Uint8Array(1024);
  for (;;) {
    let n: number | null;
    try {
      n = await loris.conn.read(chunk);
    } catch {
      n = null; // reset by the server, or closed by release
    }
    if (loris.abandoned) return;
    if (n === null) break;
    const grown = new Uint8Array(loris.reply.byteLength + n);
    grown.set(loris.reply);
    grown.set(chunk.subarray(0, n), loris.reply.byteLength);
    loris.reply = grown;
  }
  loris.closedAt = performance.now();
  loris.conn.close();
}

function isOpen(loris: Loris): boolean {
  return loris.closedAt === undefined && !loris.abandoned;
}

/**
 * Sends one more header byte on every open connection half `everyMs` after the start, then each
 * `everyMs`, until all are closed or `untilMs` passed.
 *
 * @param lorises the connections
 * @param options the pace and how long to keep going
 * @returns when trickling stops
 * @example
 * ```ts ignore
 * const trickling = trickle(lorises, { everyMs: 2000, untilMs: 10_000 });
 * ```
 */
export async function trickle(
  lorises: Loris[],
  options: { everyMs: number; untilMs: number },
): Promise<void> {
  const started = performance.now();
  // The first byte goes early, so even connections opened first send one before any cut.
  let nextAt = started + options.everyMs / 2;
  while (lorises.some(isOpen) && performance.now() - started < options.untilMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (performance.now() < nextAt) continue;
    nextAt += options.everyMs;
    await Promise.all(
      lorises.filter(isOpen).map(async (loris) => {
        try {
          await loris.conn.write(TRICKLE.subarray(loris.trickled, loris.trickled + 1));
          loris.trickled++;
        } catch {
          // The server closed it meanwhile; the reader records that.
        }
      }),
    );
  }
}

/**
 * Waits until the server closed every connection or `graceMs` after the last one was opened,
 * then closes the rest itself (marking them abandoned).
 *
 * @param lorises the connections
 * @param graceMs how long after its partial head each may stay open
 * @returns when every connection is closed
 * @example
 * ```ts ignore
 * await releaseLorises(lorises, 7000);
 * ```
 */
export async function releaseLorises(lorises: Loris[], graceMs: number): Promise<void> {
  const lastSent = Math.max(...lorises.map((l) => l.sentAt));
  const wait = Math.max(0, lastSent + graceMs - performance.now());
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(lorises.map((l) => l.done)),
    new Promise((resolve) => (timer = setTimeout(resolve, wait))),
  ]);
  clearTimeout(timer);
  for (const loris of lorises.filter(isOpen)) {
    loris.abandoned = true;
    loris.conn.close();
  }
  await Promise.all(lorises.map((l) => l.done));
}
