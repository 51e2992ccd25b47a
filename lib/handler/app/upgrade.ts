/**
 * `Deno.upgradeWebSocket` in an app's thread: checks the request as Deno does, and returns a
 * socket with the 101 response that the server turns into the connection's switch to
 * WebSocket. The response is remembered here; the app handler asks {@linkcode upgradeOf} for it.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { PlannedResponse } from "../handler.ts";
import { ServerWebSocket, type SocketOptions } from "./websocket.ts";

/** `Deno.upgradeWebSocket`'s options. */
export interface UpgradeOptions {
  /** The subprotocol to accept; it must be one the client offered. */
  protocol?: string;
  /** Seconds of silence before a ping, then as long again before closing; 0: off. @default 30 */
  idleTimeout?: number;
}

/** The server's limits a socket gets. */
export type SocketLimits = Pick<SocketOptions, "maxMessageBytes" | "closeTimeoutMs">;

/** Deno's default idle timeout, in seconds. */
const DEFAULT_IDLE_TIMEOUT_S = 30;
/** RFC 6455 §1.3: appended to the client's key before hashing. */
const ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

const pending = new WeakMap<Response, ServerWebSocket>();

/**
 * The `Sec-WebSocket-Accept` value for a client's key (RFC 6455 §4.2.2).
 *
 * @param key the `Sec-WebSocket-Key` header
 * @returns the accept value
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { acceptKey } from "./upgrade.ts";
 * assert.equal(acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
 * ```
 */
export function acceptKey(key: string): string {
  return createHash("sha1").update(key + ACCEPT_GUID).digest("base64");
}

/**
 * Upgrades a request to a WebSocket, as `Deno.upgradeWebSocket` does.
 *
 * @param request the app's request
 * @param options the subprotocol and idle timeout, with the server's limits
 * @returns the socket, and the response the app must return
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { upgradeWebSocket } from "./upgrade.ts";
 * const request = new Request("http://a/", {
 *   headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" },
 * });
 * const { socket, response } = upgradeWebSocket(request, { limits: { maxMessageBytes: 1024, closeTimeoutMs: 1000 } });
 * assert.equal(response.status, 101);
 * assert.equal(socket.readyState, 0);
 * ```
 */
export function upgradeWebSocket(
  request: Request,
  options: UpgradeOptions & { limits: SocketLimits },
): { socket: ServerWebSocket; response: Response } {
  const key = checkRequest(request);
  const headers: [string, string][] = [
    ["upgrade", "websocket"],
    ["connection", "Upgrade"],
    ["sec-websocket-accept", acceptKey(key)],
  ];
  const offered = (request.headers.get("sec-websocket-protocol") ?? "").split(",")
    .map((name) => name.trim());
  const protocol = options.protocol ?? "";
  if (protocol !== "") {
    if (!offered.includes(protocol)) {
      throw new TypeError(
        `Protocol '${protocol}' not in the request's protocol list (non negotiable)`,
      );
    }
    headers.push(["sec-websocket-protocol", protocol]);
  }
  const socket = new ServerWebSocket({
    protocol,
    idleTimeoutS: options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_S,
    ...options.limits,
  });
  const response = new Response(null, { status: 101, headers });
  pending.set(response, socket);
  return { socket, response };
}

/** The request's key, once it is a valid WebSocket handshake (Deno's messages where it has them). */
function checkRequest(request: Request): string {
  const { headers } = request;
  if (request.method !== "GET") {
    throw new TypeError(`Invalid method: a WebSocket upgrade must be a GET, not ${request.method}`);
  }
  if (!hasToken(headers.get("upgrade"), "websocket")) {
    throw new TypeError("Invalid Header: 'upgrade' header must contain 'websocket'");
  }
  if (!hasToken(headers.get("connection"), "upgrade")) {
    throw new TypeError("Invalid Header: 'connection' header must contain 'Upgrade'");
  }
  const key = headers.get("sec-websocket-key");
  if (key === null) throw new TypeError("Invalid Header: 'sec-websocket-key' header must be set");
  const version = headers.get("sec-websocket-version");
  if (version !== "13") {
    throw new TypeError("Invalid Header: 'sec-websocket-version' header must be 13");
  }
  return key;
}

function hasToken(value: string | null, token: string): boolean {
  return value !== null && value.split(",").some((part) => part.trim().toLowerCase() === token);
}

/**
 * The planned 101 of a response made by {@linkcode upgradeWebSocket}, or null for any other.
 *
 * @param response what the app returned
 * @returns the plan whose `upgrade` attaches the socket, or null
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { upgradeOf } from "./upgrade.ts";
 * assert.equal(upgradeOf(new Response("hi")), null);
 * ```
 */
export function upgradeOf(response: Response): PlannedResponse | null {
  const socket = pending.get(response);
  if (socket === undefined) return null;
  pending.delete(response);
  const headers: [string, string][] = [];
  response.headers.forEach((value, name) => void headers.push([name, value]));
  return {
    status: 101,
    headers,
    body: { kind: "empty" },
    upgrade: { accept: (link) => socket.attach(link), refuse: (reason) => socket.refuse(reason) },
  };
}

/**
 * Installs `Deno.upgradeWebSocket` in this thread, before the app loads (apps and frameworks
 * such as `hono/deno` look it up on `Deno`).
 *
 * @param limits the server's WebSocket limits
 * @example
 * ```ts ignore
 * import { installUpgrade } from "./upgrade.ts";
 * installUpgrade({ maxMessageBytes: 16 << 20, closeTimeoutMs: 10_000 });
 * ```
 */
export function installUpgrade(limits: SocketLimits): void {
  const deno = Deno as unknown as Record<string, unknown>;
  deno.upgradeWebSocket = (request: Request, options: UpgradeOptions = {}) =>
    upgradeWebSocket(request, { ...options, limits });
}
