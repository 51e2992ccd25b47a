/**
 * What an app's thread may not do with the process's sockets, installed before the app loads
 * (with the guards of `guards.ts`, and as they are: non-writable, non-configurable properties,
 * the originals kept only in this module's closures).
 *
 * Every thread shares the process's sockets and ports, and Deno asks no permission for some ways
 * of reaching the server's (deno 2.9.6):
 * - `Deno.listen({ loadBalanced: true })` (an option missing from Deno's types) on an address a
 *   `loadBalanced` listen already took gets that same socket, and its share of the connections;
 * - node's `TCP`, `Pipe`, `UDP` and `TTY` handles adopt any descriptor number of the process,
 *   with no permission at all: `net.createServer().listen({ fd })` took in the server's
 *   connections, and closing such a handle closed the server's socket (or its standard output);
 * - node's `reusePort` joins a socket that has SO_REUSEPORT, with no `--unstable-net` needed;
 * - and some options of Deno's calls need an `--unstable-*` flag, without which Deno ends the
 *   whole process rather than throw.
 *
 * {@linkcode guardListen} refuses `loadBalanced`, the unstable options, and any listen on the
 * server's own address; {@linkcode refuseDescriptors} makes node's handles refuse descriptors.
 *
 * @module
 */
import process from "node:process";
import { constants } from "node:os";
import { lock } from "./guards.ts";

/**
 * What an app that asks for an unstable network feature gets thrown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UNSTABLE_REFUSED } from "./net_guards.ts";
 * assert.match(UNSTABLE_REFUSED, /reusePort/);
 * ```
 */
export const UNSTABLE_REFUSED = "an app may not ask for an unstable network feature " +
  "(reusePort, or a transport other than tcp or unix): without its --unstable-* flag Deno ends " +
  "the whole process (exit 70), not just the call; listen without it";

/**
 * What an app that passes `loadBalanced` to a network call gets thrown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SHARING_REFUSED } from "./net_guards.ts";
 * assert.match(SHARING_REFUSED, /loadBalanced/);
 * ```
 */
export const SHARING_REFUSED = "an app may not pass loadBalanced: it is no public Deno option, " +
  "and with it a listen joins a socket another thread of the process listens on, the server's " +
  "own among them; listen without it";

/**
 * What an app that listens on the server's own address gets thrown.
 *
 * @param server the address the server listens on
 * @returns the message
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ownAddressRefused } from "./net_guards.ts";
 * const message = ownAddressRefused({ transport: "tcp", hostname: "::", port: 8080 });
 * assert.match(message, /\(\[::\]:8080\)/);
 * ```
 */
export function ownAddressRefused(server: Deno.NetAddr): string {
  const host = server.hostname.includes(":") ? `[${server.hostname}]` : server.hostname;
  return `an app may not listen on the server's own address (${host}:${server.port}): ` +
    "heiretsu serves it; listen on another port, or give --allow-net a list without it";
}

/**
 * What an app that opens a node handle on a file descriptor number gets thrown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DESCRIPTORS_REFUSED } from "./net_guards.ts";
 * assert.match(DESCRIPTORS_REFUSED, /descriptor/);
 * ```
 */
export const DESCRIPTORS_REFUSED = "an app may not open a socket, pipe or terminal on a file " +
  "descriptor number: the process's descriptors are the server's (its listening socket, its " +
  "clients' connections, its output); open sockets by address, with Deno.listen or node:net";

/** The transports the network calls take without an `--unstable-*` flag. */
const STABLE_TRANSPORTS: readonly unknown[] = [undefined, "tcp", "unix"];
/** Options the guard reads, own or through the prototype; the copy Deno gets holds each. */
const CHECKED_KEYS = ["hostname", "port", "transport", "reusePort", "loadBalanced"] as const;
/** The port `Deno.serve` listens on when given none (deno 2.9.6). */
const SERVE_DEFAULT_PORT = 8000;
/** The addresses that take in connections to every address of their family, or of both. */
const WILDCARDS = ["0.0.0.0", "::"];
/** What node's handles answer a bind that fails because the address is in use (libuv's code). */
const ADDRESS_IN_USE = -constants.errno.EADDRINUSE;

type Options = { readonly [K in (typeof CHECKED_KEYS)[number] | "path"]?: unknown };
type Call = (...args: unknown[]) => unknown;

/**
 * Makes `Deno.listen`, `Deno.listenTls`, `Deno.serve` and `Deno.connect` refuse, by throwing:
 * `loadBalanced` ({@linkcode SHARING_REFUSED}); options that need an `--unstable-*` flag the
 * process lacks ({@linkcode UNSTABLE_REFUSED}: Deno would end the whole process); and, but for
 * `connect`, the server's port on an address that overlaps the server's (the same, a wildcard,
 * a name, or any when the server listens on a wildcard), with `Deno.errors.AddrInUse`
 * ({@linkcode ownAddressRefused}). Node's binds (`node:net`, `node:http`) on that address fail as
 * in use (EADDRINUSE, on the server's `error` event), `reusePort` or not. Options are copied once
 * (their own properties, and the checked ones read through the prototype) into an object without
 * a prototype, checked, and the copy is what Deno gets, so a getter cannot answer one thing to
 * the check and another to Deno.
 *
 * @param server the address the server listens on; null: none to keep (only the options checks)
 * @example
 * ```ts ignore
 * import { guardListen } from "./net_guards.ts";
 * guardListen({ transport: "tcp", hostname: "127.0.0.1", port: 8080 });
 * Deno.listen({ port: 8080 }); // throws
 * ```
 */
export function guardListen(server: Deno.NetAddr | null): void {
  for (const name of ["listen", "listenTls", "serve", "connect"] as const) {
    const call = Deno[name] as Call;
    lock(Deno, name, (...args: unknown[]) => {
      const checked = args.map(checkedOptions);
      if (name !== "connect" && server !== null) refuseOwnAddress(name, checked[0], server);
      return call(...checked);
    });
  }
  if (server !== null) guardNodeBinds(server);
}

/** `arg` as is when not an options object; else its checked copy (see `guardListen`). */
function checkedOptions(arg: unknown): unknown {
  if (typeof arg !== "object" || arg === null) return arg;
  const copy: Record<string, unknown> = {
    __proto__: null,
    ...Object.fromEntries(Object.entries(arg)),
  };
  for (const key of CHECKED_KEYS) if (!Object.hasOwn(copy, key)) copy[key] = Reflect.get(arg, key);
  const { reusePort, transport, loadBalanced } = copy;
  if (reusePort || !STABLE_TRANSPORTS.includes(transport)) throw new TypeError(UNSTABLE_REFUSED);
  if (loadBalanced !== undefined) throw new TypeError(SHARING_REFUSED);
  return copy;
}

/**
 * Throws when the checked `options` of a listen ask for the server's port on an overlapping
 * address; a unix socket (`transport: "unix"`, or `Deno.serve`'s `path`) is left alone. Without
 * options (`Deno.serve(handler)`), the defaults are checked.
 */
function refuseOwnAddress(call: string, options: unknown, server: Deno.NetAddr): void {
  const asked: Options = typeof options === "object" && options !== null ? options : {};
  if (asked.transport === "unix" || (call === "serve" && Object.hasOwn(asked, "path"))) return;
  const port = call === "serve" ? asked.port ?? SERVE_DEFAULT_PORT : asked.port;
  if (askedPort(port) !== server.port) return;
  if (overlaps(asked.hostname ?? WILDCARDS[0], server.hostname)) {
    throw new Deno.errors.AddrInUse(ownAddressRefused(server));
  }
}

/**
 * Makes the binds of node's TCP handle (which `node:net`'s servers use, with the address already
 * looked up) answer EADDRINUSE for the server's port on an overlapping address: what the system
 * answers unless the server's socket lets others join it (SO_REUSEPORT) and the bind asks to.
 */
function guardNodeBinds(server: Deno.NetAddr): void {
  const tcp = nodeHandle("tcp_wrap", "TCP").prototype as Record<string, Call>;
  for (const name of ["bind", "bindWithFlags", "bind6"]) {
    const bind = tcp[name];
    lock(tcp, name, function (this: unknown, address: unknown, port: unknown, ...rest: unknown[]) {
      // The handle takes the port as a 32-bit integer: `| 0` is how it reads a number.
      const asked = typeof port === "number" ? port | 0 : -1;
      if (asked === server.port && overlaps(address, server.hostname)) return ADDRESS_IN_USE;
      return bind.call(this, address, port, ...rest);
    });
  }
}

/**
 * Makes node's handles refuse to adopt a file descriptor, throwing {@linkcode DESCRIPTORS_REFUSED}:
 * `open(fd)` of `TCP`, `Pipe` and `UDP` (which `net.createServer().listen({ fd })` and
 * `new net.Socket({ fd })` call), and `TTY`'s constructor as the app can reach it (its binding,
 * and the `constructor` of any TTY handle). `node:tty`'s streams keep the constructor they
 * imported: on stdin, stdout and stderr they need no permission (and closing them leaves the
 * descriptor open), on any other descriptor Deno asks for `--allow-read`.
 *
 * @example
 * ```ts ignore
 * import net from "node:net";
 * import { refuseDescriptors } from "./net_guards.ts";
 * refuseDescriptors();
 * net.createServer().listen({ fd: 3 }); // throws
 * ```
 */
export function refuseDescriptors(): void {
  const refuse = () => {
    throw new Error(DESCRIPTORS_REFUSED);
  };
  for (const [binding, name] of [["tcp_wrap", "TCP"], ["pipe_wrap", "Pipe"], ["udp_wrap", "UDP"]]) {
    lock(nodeHandle(binding, name).prototype, "open", refuse);
  }
  const tty = nodeBinding("tty_wrap");
  const original = nodeHandle("tty_wrap", "TTY");
  const refused = function TTY() {
    refuse();
  };
  lock(tty, "TTY", refused);
  lock(original.prototype, "constructor", refused);
}

/** A module of node's native bindings, as `process.binding` gives it to any code in the thread. */
function nodeBinding(name: string): Record<string, unknown> {
  return (process as unknown as { binding(name: string): Record<string, unknown> }).binding(name);
}

/** A handle class of node's native bindings. */
function nodeHandle(binding: string, name: string): { prototype: object } {
  return nodeBinding(binding)[name] as { prototype: object };
}

/**
 * The port a call asks for, as Deno and node read one: a number, or a string read as `Number`
 * reads it, cut to 32 bits (node's handles wrap a larger number); -1 for anything else, which
 * both refuse.
 */
function askedPort(value: unknown): number {
  return typeof value === "number" || typeof value === "string" ? Number(value) | 0 : -1;
}

/**
 * Whether a listen on `hostname` (at the server's port) could take in the server's connections:
 * unless both addresses are IP addresses written as the system writes them, distinct and neither
 * a wildcard. A name, or an address written otherwise (`127.1`, `0`, `::ffff:127.0.0.1`), is
 * resolved by the system, maybe to the server's address, so it counts as overlapping.
 */
function overlaps(hostname: unknown, server: string): boolean {
  const ours = exactIp(server);
  const theirs = typeof hostname === "string" ? exactIp(hostname) : null;
  if (ours === null || theirs === null) return true;
  return WILDCARDS.includes(ours) || WILDCARDS.includes(theirs) || ours === theirs;
}

/**
 * `text` when it is an IP address in its canonical form (as the URL parser writes it), an
 * IPv4-mapped IPv6 address as its IPv4 address; else null.
 */
function exactIp(text: string): string | null {
  const v6 = text.includes(":");
  let host: string;
  try {
    host = new URL(`http://${v6 ? `[${text}]` : text}/`).hostname;
  } catch {
    return null;
  }
  const ip = v6 ? host.slice(1, -1) : host;
  if (ip !== text.toLowerCase() || (!v6 && !/^[\d.]+$/.test(ip))) return null;
  const mapped = /^::ffff:([\da-f]{1,4}):([\da-f]{1,4})$/.exec(ip);
  if (mapped === null) return ip;
  const [high, low] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}
