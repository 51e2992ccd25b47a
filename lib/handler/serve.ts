/**
 * What a handler thread runs, whichever kind of thread it is (a Web Worker for files, a node
 * worker thread for an app, see `app/host.ts`): the channel pump and one {@linkcode Exchange} per
 * request, many at a time, over the handler it is given (`compose.ts` builds it; this module
 * imports neither `static/` nor `app/`).
 *
 * It stamps its progress whenever it handles a record and, while it has requests in hand, on a
 * short heartbeat, so the I/O threads and the watchdog can tell a busy worker from a stuck one. An app's thread
 * also stamps it while idle (see `lib/handler/app/thread.ts`): an app can hold its event loop between
 * requests. It never touches
 * `self`, which a node worker thread does not have: it reports through the `post` it is given.
 *
 * @module
 */
import { BufferShelf } from "./shelf.ts";
import { ChannelEnd } from "../wire/channel.ts";
import { unreachable } from "../http/unreachable.ts";
import {
  decodeToWorker,
  encodeToMain,
  type ToWorker,
  type WorkerEvent,
  type WorkerInit,
} from "../wire/protocol.ts";
import { type AccessEntry, Exchange, type ExchangeIo, type Handoff } from "./exchange.ts";
import { Tunnel, type TunnelIo } from "./tunnel.ts";
import { accessLine, failureLine, healthFiltered, noticeLine } from "./access_log.ts";
import { errorText } from "../wire/log_text.ts";
import type { RequestHandler } from "./handler.ts";
import type { ResponseEnd } from "./response_writer.ts";

/** Sends an event to the main thread (or to the app's host, which relays it). */
export type PostEvent = (event: WorkerEvent) => void;

/**
 * Builds the handler a worker serves (see `compose.ts`): files, the app, or both.
 *
 * @param init the worker's configuration
 * @param draining whether the worker's channel says the server is shutting down
 * @returns the handler; a rejection is the worker's "fatal"
 */
export type HandlerBuilder = (
  init: WorkerInit,
  draining: () => boolean,
) => Promise<RequestHandler>;

/**
 * Serves requests: builds the handler (loading the app, if any), then pumps the channel and
 * posts "ready"; posts "fatal" when the handler cannot be built.
 *
 * @param init the worker's configuration, with the channel's shared memory
 * @param parts where "ready" and "fatal" go, and what builds the handler
 * @returns a function that stamps the worker's progress and its thread's system CPU time (µs):
 *   an app's thread calls it on a timer it runs anyway (its heap watch), so that while idle too
 *   its stamp shows its event loop turns, and the memory backstop sees which thread took pages
 * @example
 * ```ts ignore
 * import { serve } from "./serve.ts";
 * import { composeHandler } from "./compose.ts";
 * self.onmessage = (event) =>
 *   serve(event.data, { post: (message) => self.postMessage(message), build: composeHandler });
 * ```
 */
export function serve(
  init: WorkerInit,
  parts: { post: PostEvent; build: HandlerBuilder },
): (systemUs: number) => void {
  const { post, build } = parts;
  const channels = init.channels.map((memory) =>
    new ChannelEnd(memory, { side: "worker", sizes: init.sizes, board: init.board })
  );
  const board = channels[0].board;
  build(init, () => board.draining).then(
    (handler) => startWorker(init, { channels, handler, post }),
    (error) => post({ type: "fatal", id: init.id, message: (error as Error).message }),
  );
  return (systemUs) => {
    board.stampProgress();
    board.stampSystemTime(systemUs);
  };
}

/**
 * What a worker keeps per I/O thread: the channel, the services its exchanges use, and its
 * requests and WebSockets in hand, by stream id (each I/O thread numbers its own streams).
 */
interface Lane {
  channel: ChannelEnd;
  io: ExchangeIo;
  exchanges: Map<number, Exchange>;
  tunnels: Map<number, Tunnel>;
}

function startWorker(
  init: WorkerInit,
  parts: { channels: ChannelEnd[]; handler: RequestHandler; post: PostEvent },
): void {
  const { channels, handler, post } = parts;
  const board = channels[0].board;
  const scratch = new Uint8Array(channels[0].maxPayload);
  let inHand = 0;
  let heartbeat: ReturnType<typeof setInterval> | undefined;

  // The heartbeat runs while requests are in hand and stops at its first idle tick, so a busy
  // worker does not start and stop a timer per request.
  const beat = () => {
    board.stampProgress();
    if (inHand > 0) return;
    clearInterval(heartbeat);
    heartbeat = undefined;
  };
  const track = (lane: Lane, stream: number, exchange: Exchange | null) => {
    const had = lane.exchanges.has(stream);
    if (exchange) lane.exchanges.set(stream, exchange);
    else lane.exchanges.delete(stream);
    inHand += (exchange ? 1 : 0) - (had ? 1 : 0);
    if (inHand > 0 && heartbeat === undefined) {
      heartbeat = setInterval(beat, init.heartbeatMs);
    }
  };
  const lanes = channels.map((channel): Lane => {
    const base = exchangeIo(init, { channel, scratch, handler });
    const tunnelIo: TunnelIo = { ...base, maxRecordBytes: channel.maxPayload };
    const lane: Lane = { channel, io: base, exchanges: new Map(), tunnels: new Map() };
    lane.io = {
      ...base,
      upgrade: (handoff) => openTunnel(handoff, { io: tunnelIo, tunnels: lane.tunnels, channel }),
      // A hook, not a `.finally()` on run(): that was one more promise and turn per request.
      finished: (stream, exchange) => {
        if (lane.exchanges.get(stream) === exchange) track(lane, stream, null);
      },
    };
    return lane;
  });
  const byChannel = new Map(lanes.map((lane) => [lane.channel, lane]));

  const handle = (lane: Lane, message: ToWorker) => {
    const { exchanges, tunnels } = lane;
    switch (message.kind) {
      case "request": {
        // The parser copies what it is fed, so views of the ring are enough here.
        const exchange = new Exchange(lane.io, message);
        track(lane, message.stream, exchange);
        return exchange.run();
      }
      case "body":
        return (exchanges.get(message.stream) ?? tunnels.get(message.stream))
          ?.receive(message.bytes, message.eof);
      case "credit":
        return (exchanges.get(message.stream) ?? tunnels.get(message.stream))
          ?.credit(message.bytes);
      case "abort":
        exchanges.get(message.stream)?.abort();
        tunnels.get(message.stream)?.abort();
        return track(lane, message.stream, null);
      case "goaway":
        return tunnels.get(message.stream)?.goAway();
      case "switched":
        return tunnels.get(message.stream)?.switched();
      default:
        return unreachable(message);
    }
  };

  board.stampProgress();
  ChannelEnd.pumpAll(channels, (channel, record) => {
    board.stampProgress();
    handle(byChannel.get(channel)!, decodeToWorker(record));
  }, () => inHand === 0);
  post({ type: "ready", id: init.id });
}

/**
 * Switches a connection to WebSocket: the 101 head goes to the I/O thread, and the tunnel waits
 * for its answer: `switched` opens the app's socket, `abort` (503 beyond --max-websockets, or
 * the client left) refuses it, so a refused socket never fires `open`.
 */
function openTunnel(
  handoff: Handoff,
  parts: { io: TunnelIo; tunnels: Map<number, Tunnel>; channel: ChannelEnd },
): void {
  const { stream } = handoff;
  const { tunnels } = parts;
  parts.channel.send(...encodeToMain({ kind: "upgrade", stream, bytes: handoff.head }));
  const tunnel = new Tunnel(parts.io, {
    stream,
    socket: handoff.socket,
    leftover: handoff.leftover,
    switched: handoff.switched,
    closed: () => {
      if (tunnels.get(stream) === tunnel) tunnels.delete(stream);
    },
  });
  tunnels.set(stream, tunnel);
}

/** The services every exchange of this worker shares. */
function exchangeIo(
  init: WorkerInit,
  parts: { channel: ChannelEnd; scratch: Uint8Array; handler: RequestHandler },
): ExchangeIo {
  const { channel } = parts;
  const send = (
    stream: number,
    bytes: Uint8Array,
    end?: ResponseEnd,
  ) => {
    const close = end?.close ?? false;
    const reset = end?.reset ?? false;
    const leftover = end?.leftover ?? NOTHING;
    const last = end !== undefined;
    channel.send(
      ...encodeToMain({ kind: "data", stream, bytes, end: last, close, reset, leftover }),
    );
  };
  return {
    handle: parts.handler,
    serverHeader: init.serverHeader,
    windowBytes: init.windowBytes,
    maxBodyBytes: init.limits.maxBodyBytes,
    maxPull: init.maxPull,
    limits: init.limits,
    parserStorage: new BufferShelf(PARSER_STORAGE_BYTES, PARSER_STORAGE_FREE),
    scratch: parts.scratch,
    backlogged: () => channel.backlog > 0,
    whenFlushed: () => channel.whenFlushed(),
    pull: (stream, bytes) => channel.send(...encodeToMain({ kind: "pull", stream, bytes })),
    // Progress is stamped per record received and by the heartbeat, not per send.
    send: (stream, bytes, end) => {
      if (end === undefined || bytes.byteLength + end.leftover.byteLength <= channel.maxPayload) {
        return send(stream, bytes, end);
      }
      // Too big for one record: the bytes first, then the end with the leftover.
      send(stream, bytes);
      send(stream, NOTHING, end);
    },
    log: init.quiet ? undefined : healthFiltered((entry: AccessEntry) => {
      console.log(accessLine({ ...entry, worker: init.id }, { format: init.logFormat }));
    }, init),
    logError: ({ head, error, afterHead }) => {
      const request = { method: head?.method ?? null, target: head?.target ?? null };
      const failure = { worker: init.id, ...request, afterHead, error: errorText(error) };
      console.error(failureLine(failure, init.logFormat));
    },
    logNotice: ({ head, reason }) => {
      const request = { method: head?.method ?? null, target: head?.target ?? null };
      console.log(noticeLine({ worker: init.id, ...request, reason }, init.logFormat));
    },
  };
}

const NOTHING = new Uint8Array();
/** Room for a typical request head in a parser's lent buffer; longer heads get their own. */
const PARSER_STORAGE_BYTES = 4096;
/** Free parser buffers a worker keeps: about as many as requests it has in hand at once. */
const PARSER_STORAGE_FREE = 64;
