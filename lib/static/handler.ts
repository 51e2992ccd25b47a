/**
 * @module
 * Plans the response to a static-file request: status, headers and a body to stream. It decides
 * and opens files but writes nothing; the worker streams the body and adds Date, Server and
 * Connection itself.
 */

import { HttpError } from "../http/errors.ts";
import { locate } from "./locate.ts";
import { type CachedFile, type FileCache, fileHeaders } from "./cache.ts";
import { errorPage } from "./pages.ts";
import { resolveTarget } from "./path.ts";
import type { PlannedResponse, ResponseBody } from "../response.ts";
import type { StaticSettings } from "../config.ts";

/** The parts of a parsed request the static handler reads. */
export interface StaticRequest {
  /** Request method, case-sensitive as sent ("GET", "HEAD", ...). */
  method: string;
  /** The request-target from the request line. */
  target: string;
  /** Header fields in order, names lower-case. */
  headers: Array<[string, string]>;
}

/** Where static files come from. */
export interface StaticOptions {
  /** Document root: an absolute path already passed through realPath. */
  root: string;
  /** The worker's cache of hot files; without it every request goes to the file system. */
  cache?: FileCache;
  /** Static-file options from the command line; absent: the defaults. */
  settings?: StaticSettings;
}

/** A planned static response (header names lower-case); see `lib/response.ts`. */
export type StaticResponse = PlannedResponse;

/** The methods this handler supports, as sent in Allow. */
const ALLOWED_METHODS = "GET, HEAD, OPTIONS";

const HTML_TYPE = "text/html; charset=utf-8";

/** pchar characters (RFC 3986 §3.3) that encodeURIComponent escapes needlessly. */
const NEEDLESSLY_ESCAPED = /%(?:24|26|2B|2C|3A|3B|3D|40)/g;

/**
 * Plans the response for a static-file request: 200 with an open file, 301 to add a directory's
 * trailing slash, 204 for OPTIONS, or a 400/404/405 error page. Never throws for a client's fault.
 *
 * @param request Method, request-target and headers of the request.
 * @param options The document root.
 * @returns Status, lower-case headers (content-length on all but 204; for HEAD, the length GET
 *   would send) and the body. A "file" body is open and must be closed by the caller.
 * @example
 * ```ts
 * import { serveStatic } from "./handler.ts";
 * const response = serveStatic({ method: "GET", target: "/", headers: [] }, { root: "/srv/site" });
 * if (response.body.kind === "file") response.body.file.close();
 * ```
 */
export function serveStatic(request: StaticRequest, options: StaticOptions): StaticResponse {
  const { method } = request;
  if (method === "OPTIONS" && request.target === "*") return optionsResponse();
  let path: string;
  let query: string;
  try {
    ({ path, query } = resolveTarget(request.target));
  } catch (error) {
    if (error instanceof HttpError) return pageResponse(method, { status: error.status });
    throw error;
  }
  if (method === "OPTIONS") return optionsResponse();
  if (method !== "GET" && method !== "HEAD") {
    return pageResponse(method, { status: 405, extraHeaders: [["allow", ALLOWED_METHODS]] });
  }
  const cached = options.cache?.get(path);
  if (cached) return fileResponse(method, cached);
  const located = locate(options.root, path);
  switch (located.kind) {
    case "file": {
      const file = options.cache?.put(path, located) ??
        { ...located, headers: fileHeaders(located.realPath, located), bytes: null };
      return fileResponse(method, file);
    }
    case "directory-redirect":
      return redirectResponse(method, encodePath(path) + "/" + (query === "" ? "" : "?" + query));
    case "not-found":
      return pageResponse(method, { status: 404 });
    default:
      return unreachable(located);
  }
}

/** RFC 9110 §8.6 forbids Content-Length on a 204, so this is the one response without it. */
function optionsResponse(): StaticResponse {
  return { status: 204, headers: [["allow", ALLOWED_METHODS]], body: { kind: "empty" } };
}

/** 200 for a file: from the cache's bytes when it has them, else opened for streaming. HEAD
 * never opens it, and a file gone before open() becomes 404. */
function fileResponse(method: string, file: CachedFile): StaticResponse {
  const { headers } = file;
  if (method === "HEAD") return { status: 200, headers, body: { kind: "empty" } };
  if (file.bytes !== null) {
    return { status: 200, headers, body: { kind: "bytes", bytes: file.bytes } };
  }
  try {
    const opened = Deno.openSync(file.realPath, { read: true });
    return {
      status: 200,
      headers,
      body: { kind: "file", file: opened, offset: 0, length: file.size },
    };
  } catch {
    // Deleted or made unreadable since locate(); the client sees what a later request would.
    return pageResponse(method, { status: 404 });
  }
}

function redirectResponse(method: string, location: string): StaticResponse {
  return pageResponse(method, {
    status: 301,
    detail: `The document has moved to ${location}`,
    extraHeaders: [["location", location]],
  });
}

interface PageSpec {
  status: number;
  detail?: string;
  extraHeaders?: Array<[string, string]>;
}

/** A response carrying an HTML status page; HEAD gets the same headers and no body. */
function pageResponse(method: string, spec: PageSpec): StaticResponse {
  const bytes = errorPage(spec.status, spec.detail);
  const headers: Array<[string, string]> = [
    ...(spec.extraHeaders ?? []),
    ["content-type", HTML_TYPE],
    ["content-length", String(bytes.length)],
  ];
  const body: ResponseBody = method === "HEAD" ? { kind: "empty" } : { kind: "bytes", bytes };
  return { status: spec.status, headers, body };
}

/** Re-encodes a decoded path for a Location header, segment by segment so "?", "#" and "%" stay data. */
function encodePath(path: string): string {
  return path
    .split("/")
    .map((segment) =>
      encodeURIComponent(segment).replace(
        NEEDLESSLY_ESCAPED,
        (escape) => decodeURIComponent(escape),
      )
    )
    .join("/");
}

function unreachable(value: never): never {
  throw new Error(`Cannot plan a response for located value "${JSON.stringify(value)}"`);
}
