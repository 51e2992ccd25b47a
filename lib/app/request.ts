/**
 * Wire → `Request`: the parsed head and the on-demand body become the standard object an app's
 * `fetch` expects.
 *
 * @module
 */
import type { IncomingRequest } from "../exchange.ts";

/**
 * The absolute URL of a request: absolute-form as sent, otherwise from Host and the target.
 *
 * @param options the request-target, the Host header and the scheme
 * @returns the URL text
 * @example
 * ```ts
 * import { requestUrl } from "./request.ts";
 * console.log(requestUrl({ target: "/a?b=1", host: "example.com", scheme: "http" })); // http://example.com/a?b=1
 * ```
 */
export function requestUrl(
  options: { target: string; host: string | null; scheme: string },
): string {
  const { target, host, scheme } = options;
  if (/^https?:\/\//i.test(target)) return target;
  // "*" (OPTIONS) and authority-form (CONNECT) have no path: the URL is the server itself.
  const path = target.startsWith("/") ? target : "/";
  return `${scheme}://${host ?? "localhost"}${path}`;
}

/**
 * Builds the `Request` for an app: method, absolute URL, headers, the body as a stream that
 * pulls from the client as the app reads it, and the signal that aborts on disconnect.
 *
 * @param incoming the request as the worker has it
 * @param scheme "https" behind TLS
 * @returns the Request
 * @example
 * ```ts ignore
 * import { toRequest } from "./request.ts";
 * const request = toRequest(incoming);
 * ```
 */
export function toRequest(incoming: IncomingRequest, scheme: "http" | "https" = "http"): Request {
  const { head, body } = incoming;
  const headers = new Headers();
  for (const [name, value] of head.headers) headers.append(name, value);
  const host = headers.get("host");
  const url = requestUrl({ target: head.target, host, scheme });
  const hasBody = body.state !== "done" && head.method !== "GET" && head.method !== "HEAD";
  return new Request(url, {
    method: head.method,
    headers,
    body: hasBody ? body.stream() : undefined,
    signal: incoming.signal,
    // Required for a streamed request body.
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);
}
