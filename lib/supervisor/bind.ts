/**
 * Binds the server's port on the supervisor's thread, so that a port in use or a missing
 * permission is reported at once, before any thread starts; the I/O threads then share it.
 *
 * Deno shares a `loadBalanced` socket between every listener of the process that asks for the
 * same address: a second server in the same process on that address would silently share the
 * first's connections instead of failing, and two asking for port 0 would share one port. So
 * port 0 is resolved to a free port first, and an address this process already serves is
 * refused as in use.
 *
 * @module
 */
import type { ListenMode } from "../wire/io_messages.ts";

/** Addresses bound by servers of this process and not yet released, as "host port". */
const held = new Set<string>();

/** A bound port: the supervisor's listener and how the I/O threads join it. */
export interface BoundPort {
  /**
   * The supervisor's listener, which the I/O threads duplicate; null with `--reuse-port`, where
   * the port was only probed: each thread binds a socket of its own once it begins accepting.
   */
  listener: Deno.TcpListener | null;
  /** The address the threads listen on: the port is never 0 here. */
  hostname: string;
  port: number;
  mode: ListenMode;
  /** Lets another server of this process bind the address again (after the threads closed). */
  release(): void;
}

/**
 * Binds `host`:`port` to be shared by I/O threads.
 *
 * @param where the host, the port (0: a free one) and whether the threads join with
 *   SO_REUSEPORT instead of sharing this socket
 * @returns the bound port
 * @throws {Deno.errors.AddrInUse} when the address is taken, by another process or this one
 * @throws {Error} saying what to do when `--reuse-port` cannot work here
 */
export function bindPort(where: { host: string; port: number; reusePort: boolean }): BoundPort {
  const mode: ListenMode = where.reusePort ? "reuse-port" : "shared";
  if (mode === "reuse-port") checkReusePort();
  const hostname = where.host;
  for (let attempt = 1;; attempt++) {
    const port = where.port === 0 ? freePort(hostname) : where.port;
    try {
      return bindOnce({ hostname, port, mode });
    } catch (error) {
      // Another process took the free port between the probe and the bind: probe again.
      const raced = where.port === 0 && error instanceof Deno.errors.AddrInUse;
      if (!raced || attempt === FREE_PORT_ATTEMPTS) throw error;
    }
  }
}

/** Probes for a free port at most this many times. */
const FREE_PORT_ATTEMPTS = 3;

function bindOnce(where: { hostname: string; port: number; mode: ListenMode }): BoundPort {
  const { hostname, port, mode } = where;
  const key = `${hostname} ${port}`;
  if (held.has(key)) {
    throw new Deno.errors.AddrInUse(`${hostname}:${port} is already served by this process`);
  }
  let listener: Deno.TcpListener | null;
  if (mode === "reuse-port") {
    // Probed, then let go at once: a listening socket in the port's group takes its share of
    // the connections, and kept until accepting began it held them for as long as the workers
    // took to start (another server sharing the port, replaced in a rolling restart, lost them).
    Deno.listen({ hostname, port, reusePort: true }).close();
    listener = null;
  } else {
    listener = Deno.listen({ hostname, port, loadBalanced: true } as Deno.TcpListenOptions);
  }
  held.add(key);
  return { listener, hostname, port, mode, release: () => held.delete(key) };
}

/** A port free on `hostname` now (the OS picks it); the bind that follows may still lose it. */
function freePort(hostname: string): number {
  const probe = Deno.listen({ hostname, port: 0 });
  const { port } = probe.addr;
  probe.close();
  return port;
}

/** `--reuse-port` needs Linux (elsewhere SO_REUSEPORT does not balance) and `--unstable-net`. */
function checkReusePort(): void {
  if (Deno.build.os !== "linux") {
    throw new Error("--reuse-port balances connections only on Linux: leave it off here");
  }
  // Deno.listenDatagram exists only with --unstable-net; without it, asking for reusePort ends
  // the whole process (exit 70) instead of throwing.
  if (typeof (Deno as { listenDatagram?: unknown }).listenDatagram !== "function") {
    throw new Error(
      "--reuse-port needs Deno's --unstable-net flag: add it to the deno run command",
    );
  }
}
