/**
 * I/O thread entry: the sandboxed Web Worker the supervisor starts `--io-threads` of. It may
 * listen on the server's address and read its own code, nothing else; it runs no user code. It
 * listens on the shared port, then accepts, keeps and times out connections and relays their
 * requests to the handler workers (`loop.ts`), as the supervisor tells it (see
 * `lib/wire/io_messages.ts`).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import type { FromIo, IoInit, ListenMode, ToIo } from "../wire/io_messages.ts";
import { SharedCounts } from "../wire/counts.ts";
import { unreachable } from "../http/unreachable.ts";
import { errorText } from "../wire/log_text.ts";
import { HandlerLinks } from "./handlers.ts";
import { IoLoop } from "./loop.ts";
import { tlsContext } from "./tls.ts";

const post = (message: FromIo) => self.postMessage(message);

self.onmessage = (event: MessageEvent<ToIo>) => {
  if (event.data?.type !== "init") {
    throw new Error(`protocol violation: I/O thread expected init, got ${event.data?.type}`);
  }
  const init = event.data;
  // A socket of its own (--reuse-port) is bound at "accept": the kernel gives a bound socket its
  // share of the connections at once, and none would be accepted before the workers are ready.
  let listener: Deno.Listener | null = null;
  if (init.listen.mode === "shared") {
    try {
      listener = listen(init.listen);
    } catch (error) {
      // The supervisor holds the port: a Deno that does not share its socket reports it taken.
      const unshared = error instanceof Deno.errors.AddrInUse;
      return post({ type: "fatal", message: errorText(error), unshared });
    }
    if (listener.addr.transport !== "tcp" || listener.addr.port !== init.listen.port) {
      listener.close();
      const message = `asked for port ${init.listen.port}, got a socket on another`;
      return post({ type: "fatal", message, unshared: true });
    }
  }
  const run = runLoop(init, listener);
  self.onmessage = (next: MessageEvent<ToIo>) => run(next.data);
  post({ type: "listening" });
};

/**
 * Listens on the shared port: a duplicate of the supervisor's socket (`loadBalanced`, read by
 * Deno's `Deno.listen` though not in its types), or a socket of its own in the port's
 * SO_REUSEPORT group.
 */
function listen(where: { hostname: string; port: number; mode: ListenMode }): Deno.Listener {
  const { hostname, port, mode } = where;
  if (mode === "reuse-port") return Deno.listen({ hostname, port, reusePort: true });
  return Deno.listen({ hostname, port, loadBalanced: true } as Deno.TcpListenOptions);
}

/**
 * The loop over `listener` (null: bound at "accept"), driven by the supervisor's messages.
 */
function runLoop(init: IoInit, listener: Deno.Listener | null): (message: ToIo) => void {
  const { config } = init;
  const links = new HandlerLinks({
    onMessage: (worker, message) => io.onMessage(worker, message),
    onBroken: (worker, reason) => post({ type: "broken", id: worker.id, reason }),
  }, {
    sizes: init.sizes,
    stallMs: config.stallMs,
    idleChecked: config.app !== null,
    firstTurn: init.index - 1,
  });
  const io: IoLoop = new IoLoop(links, {
    config,
    log: (line) => post({ type: "log", line }),
    counts: new SharedCounts(init.counts),
    thread: { index: init.index, count: init.count, mode: init.listen.mode },
  });
  const tls = init.tls === null ? null : tlsContext(init.tls);
  // Whether the listener is no longer this function's to close: the loop took it, or a drain did.
  let handedOver = false;
  return (message) => {
    switch (message.type) {
      case "worker": {
        const { id, channel, board } = message.worker;
        links.add(id, channel, board);
        return io.onWorkerReady();
      }
      case "lost": {
        const link = links.lose(message.id);
        if (link !== null) io.onWorkerLost(link, message.loss);
        return;
      }
      case "accept":
        try {
          listener ??= listen(init.listen);
        } catch (error) {
          return post({ type: "fatal", message: errorText(error), unshared: false });
        }
        handedOver = true;
        io.start(listener, tls);
        return post({ type: "accepting" });
      case "drain":
        if (handedOver) io.drain();
        else listener?.close();
        handedOver = true;
        return post({ type: "drained" });
      case "close":
        if (!handedOver) listener?.close();
        io.close();
        links.closeAll();
        return post({ type: "closed" });
      case "init":
        throw new Error("protocol violation: I/O thread got a second init");
      default:
        return unreachable(message);
    }
  };
}
