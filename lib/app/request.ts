/**
 * Wire → `Request`: the parsed head and the on-demand body become the standard object an app's
 * `fetch` expects.
 *
 * @module
 */
import type { IncomingRequest } from "../exchange.ts";
import { HttpError } from "../http/errors.ts";

/** Methods the Fetch standard refuses to put in a `Request`; an app can never see them. */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

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
 * @throws {HttpError} 501 for a method no `Request` can carry, 400 for a Host that is no URL
 * @example
 * ```ts ignore
 * import { toRequest } from "./request.ts";
 * const request = toRequest(incoming);
 * ```
 */
export function toRequest(incoming: IncomingRequest, scheme: "http" | "https" = "http"): Request {
  const { head, body } = incoming;
  // Request upper-cases the standard methods ("get" becomes GET), so compare as it will.
  const method = head.method.toUpperCase();
  if (FORBIDDEN_METHODS.has(method)) {
    throw new HttpError(501, "method-not-supported", `${head.method} cannot be passed to an app`);
  }
  const host = head.headers.find(([name]) => name === "host")?.[1] ?? null;
  const url = requestUrl({ target: head.target, host, scheme });
  const hasBody = body.state !== "done" && method !== "GET" && method !== "HEAD";
  try {
    return new Request(url, {
      method: head.method,
      // The pairs as parsed: a Headers object here would be iterated and checked a second time.
      headers: head.headers,
      body: hasBody ? body.stream() : undefined,
      signal: incoming.signal,
      // Required for a streamed request body.
      ...(hasBody ? { duplex: "half" } : {}),
    } as RequestInit);
  } catch (error) {
    // The parser has checked method and fields, so what Request refuses is the URL.
    if (!(error instanceof TypeError)) throw error;
    throw new HttpError(400, "bad-host", "The Host header or request-target is not a valid URL");
  }
}
