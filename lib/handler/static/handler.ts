/**
 * @module
 * Plans the response to a static-file request: it resolves the target, applies the dotfiles
 * policy, finds the file (through the worker's cache), and routes to the file responder, a
 * directory listing, the SPA fallback or the (custom) 404 page; or, when another handler (an
 * app) answers what no file does, it declines with null instead of building a 404. It decides
 * and opens files but writes nothing; the worker streams the body and adds Date, Server and
 * Connection itself.
 *
 * The fast path (a cached file) is: resolve the target, pick the few fields that matter, one
 * cache lookup, and the file responder's prebuilt headers. No system call, no header building.
 * A path found empty moments ago (an app's route, a 404) skips the file system too.
 *
 * A file whose handle turns out not to be the file described (renamed over by a deploy, or
 * reached through a folder swapped for a symlink) is forgotten and looked up again.
 */

import { DEFAULTS, type StaticSettings } from "../../config/settings.ts";
import { HttpError } from "../../http/errors.ts";
import { unreachable } from "../../http/unreachable.ts";
import type { PlannedResponse } from "../handler.ts";
import { describeFile, type FileCache, type StaticFile } from "./cache.ts";
import { dotfileStatus } from "./dotfiles.ts";
import { readFields } from "./fields.ts";
import { type FileRequest, respondWithFile, respondWithPage } from "./file_response.ts";
import { ListingCache } from "./listing_cache.ts";
import { listingResponse } from "./listing_response.ts";
import { locate, type Located, type LocateScope } from "./locate.ts";
import {
  ALLOWED_METHODS,
  allowOrigin,
  type HeaderPolicy,
  headerPolicy,
  optionsResponse,
  pageResponse,
  withVary,
} from "./respond.ts";
import { resolveTarget } from "./path.ts";
import { FilesUnavailable, ListingsBusy, unavailableResponse } from "./unavailable.ts";
import { mediaWeight } from "../../http/qvalues.ts";

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
  /**
   * Document root, an absolute path. It may be a symlink (`current → release-N`): its real path
   * is looked up again at most every `TRUST_MS` through the cache (per request without one).
   */
  root: string;
  /** The worker's cache of hot files; without it every request goes to the file system. */
  cache?: FileCache;
  /** The worker's folder listings (`--list`); without it every listing reads its folder. */
  listings?: ListingCache;
  /** Static-file options from the command line; absent: the defaults. */
  settings?: StaticSettings;
  /**
   * What a GET or HEAD for a path with no file gets: `"page"`, the (custom) 404 page; or
   * `"decline"`, null, so that the next handler (the app) answers it.
   *
   * @default {"page"}
   */
  ifMissing?: "page" | "decline";
  /**
   * Told when a file cannot be opened now (out of descriptors): the request gets a 503. The
   * worker logs the first of a burst (see `BurstLog`).
   */
  onUnavailable?: (error: FilesUnavailable) => void;
}

/** A planned static response (header names lower-case); see `lib/handler/handler.ts`. */
export type StaticResponse = PlannedResponse;

/** The page served with 404s when the root has it. */
const NOT_FOUND_PAGE = "/404.html";
/** What `--spa` serves for client-side routes. */
const SPA_INDEX = "/index.html";
/**
 * Most times a path is looked up for one request when the file opened is not the file located
 * (a new version renamed over it in between); a path that never holds still is answered 404.
 */
const MAX_LOOKUPS = 3;

/** pchar characters (RFC 3986 §3.3) that encodeURIComponent escapes needlessly. */
const NEEDLESSLY_ESCAPED = /%(?:24|26|2B|2C|3A|3B|3D|40)/g;

/** What the routes after a cache miss share. */
interface Miss {
  request: FileRequest;
  options: StaticOptions;
  scope: LocateScope;
}

/**
 * Plans the response for a static-file request: a file (200, 206, 304, 412, 416), a listing, a
 * 301 to add a directory's trailing slash, 204 for OPTIONS, or a 400/403/404/405 page; 503
 * (Retry-After, no-store) while files exist but cannot be opened (out of descriptors). Never
 * throws for a client's fault.
 *
 * @param request method, request-target and headers of the request
 * @param options the document root, the worker's cache and the static settings
 * @returns status, lower-case headers (content-length on all but 204, 304 and compressed
 *   streams; for HEAD, what GET would send) and the body; a file body is open and the writer
 *   closes it. Null for a path with no file when `ifMissing` is "decline".
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveStatic } from "./handler.ts";
 * const root = Deno.makeTempDirSync();
 * Deno.writeTextFileSync(`${root}/a.txt`, "hello");
 * const response = serveStatic({ method: "GET", target: "/a.txt", headers: [] }, { root });
 * assert.equal(response.status, 200);
 * if (response.body.kind === "file") response.body.file.close();
 * const missing = { method: "GET", target: "/b.txt", headers: [] };
 * assert.equal(serveStatic(missing, { root }).status, 404);
 * assert.equal(serveStatic(missing, { root, ifMissing: "decline" }), null);
 * Deno.removeSync(root, { recursive: true });
 * ```
 */
export function serveStatic(
  request: StaticRequest,
  options: StaticOptions & { ifMissing: "decline" },
): StaticResponse | null;
export function serveStatic(request: StaticRequest, options: StaticOptions): StaticResponse;
export function serveStatic(request: StaticRequest, options: StaticOptions): StaticResponse | null {
  const policy = headerPolicy(options.settings ?? DEFAULTS);
  let response: StaticResponse | null;
  try {
    response = servePath(request, { options, policy });
  } catch (error) {
    if (!(error instanceof FilesUnavailable)) throw error;
    if (!(error instanceof ListingsBusy)) options.onUnavailable?.(error);
    response = unavailableResponse(request.method, policy);
  }
  if (response === null || policy.origins === null) return response;
  const origin = request.headers.find(([name]) => name === "origin")?.[1];
  return allowOrigin(response, { origin, policy });
}

function servePath(
  request: StaticRequest,
  context: { options: StaticOptions; policy: HeaderPolicy },
): StaticResponse | null {
  const { options, policy } = context;
  const { method } = request;
  if (method === "OPTIONS" && request.target === "*") {
    return optionsResponse(readFields(request.headers), policy);
  }
  let path: string;
  let query: string;
  try {
    ({ path, query } = resolveTarget(request.target));
  } catch (error) {
    if (error instanceof HttpError) return pageResponse({ status: error.status, method }, policy);
    throw error;
  }
  if (method === "OPTIONS") return optionsResponse(readFields(request.headers), policy);
  if (method !== "GET" && method !== "HEAD") {
    const extraHeaders: Array<[string, string]> = [["allow", ALLOWED_METHODS]];
    return pageResponse({ status: 405, method, extraHeaders }, policy);
  }
  const fileRequest: FileRequest = { method, fields: readFields(request.headers), policy };
  const { cache } = options;
  const root = cache?.realRoot(options.root) ?? realRootOf(options.root);
  const cached = cache?.get(path);
  if (cached) {
    const response = respondWithFile(fileRequest, cached);
    if (response !== null) return response;
    cache!.forget(path);
  }
  const scope = { root, followSymlinks: policy.settings.followSymlinks };
  return serveMiss({ request: fileRequest, options, scope }, { path, query });
}

/** The root's real path without a cache to remember it: looked up per request. */
function realRootOf(root: string): string {
  try {
    return Deno.realPathSync(root);
  } catch {
    // Gone or unreadable: every lookup below fails the same way and answers 404.
    return root;
  }
}

/** Everything but a cache hit: dotfiles, locating, listings, redirects and fallbacks. */
function serveMiss(miss: Miss, target: { path: string; query: string }): StaticResponse | null {
  const { request } = miss;
  const { settings } = request.policy;
  const { path, query } = target;
  const hidden = dotfileStatus(path, settings.dotfiles);
  if (hidden === 403) return pageResponse({ status: 403, method: request.method }, request.policy);
  if (hidden === 404) return notFound(miss, path);
  const { cache } = miss.options;
  if (cache?.isMissing(path)) return fallback(miss, path);
  const located = locate(miss.scope, path);
  switch (located.kind) {
    case "file":
      return serveFile(miss, { urlPath: path, found: located });
    case "directory-redirect":
      return redirect(request, encodePath(path) + "/" + (query === "" ? "" : "?" + query));
    case "directory":
      if (settings.listDirectories) return listing(miss, { dir: located.realPath, path, query });
      // A folder without index.html is nothing to serve, like a missing file.
      cache?.rememberMissing(path);
      return fallback(miss, path);
    case "not-found":
      cache?.rememberMissing(path);
      return fallback(miss, path);
    default:
      return unreachable(located);
  }
}

/** A located file's response; located again while the file opened is not the one located. */
function serveFile(
  miss: Miss,
  at: { urlPath: string; found: Extract<Located, { kind: "file" }> },
): StaticResponse | null {
  let { found } = at;
  for (let lookups = 1;; lookups++) {
    const file = remember(miss, { urlPath: at.urlPath, found });
    const response = file === null ? null : respondWithFile(miss.request, file);
    if (response !== null) return response;
    miss.options.cache?.forget(at.urlPath);
    const again = lookups < MAX_LOOKUPS ? locate(miss.scope, at.urlPath) : null;
    if (again?.kind !== "file") return notFound(miss, at.urlPath);
    found = again;
  }
}

/** Caches a located file, or describes it without bytes when there is no cache. */
function remember(
  miss: Miss,
  at: { urlPath: string; found: Extract<Located, { kind: "file" }> },
): StaticFile | null {
  return miss.options.cache?.put(at.urlPath, at.found) ?? describeFile(at.found, 0);
}

/** The file at a URL path, through the cache, or null when there is none. */
function lookup(miss: Miss, urlPath: string): StaticFile | null {
  const { cache } = miss.options;
  const cached = cache?.get(urlPath);
  if (cached) return cached;
  if (cache?.isMissing(urlPath)) return null;
  const found = locate(miss.scope, urlPath);
  if (found.kind === "file") return remember(miss, { urlPath, found });
  if (found.kind === "not-found") cache?.rememberMissing(urlPath);
  return null;
}

/**
 * `--spa`: a path without an extension whose Accept does not rule out HTML (no Accept, `*\/*` as
 * curl and fetch() send, `text/*`, `text/html`) is a client-side route and gets /index.html; an
 * asset (`/app.js`) or a request that accepts only other types (`application/json`) gets the 404.
 */
function fallback(miss: Miss, path: string): StaticResponse | null {
  const { request } = miss;
  if (!request.policy.settings.spa || !mayBeRoute(path)) return notFound(miss, path);
  // Whichever answer this is, Accept chose it: a shared cache must not give it to another Accept.
  const vary = { member: "Accept", policy: request.policy };
  if (mediaWeight(request.fields.accept, "text/html").q > 0) {
    const index = lookup(miss, SPA_INDEX);
    const response = index === null ? null : respondWithFile(request, index);
    if (response !== null) return withVary(response, vary);
    if (index !== null) miss.options.cache?.forget(SPA_INDEX);
  }
  const missing = notFound(miss, path);
  return missing === null ? null : withVary(missing, vary);
}

/** Whether `--spa` may answer a path with index.html: its last name has no extension. */
function mayBeRoute(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/", path.length - 2) + 1);
  return !name.includes(".");
}

/**
 * 404 with the root's 404.html as the body when it has one, else the built-in page; null when
 * declining, so the next handler answers (and no 404 is built for it).
 */
function notFound(miss: Miss, path: string): StaticResponse | null {
  if (miss.options.ifMissing === "decline") return null;
  const { request } = miss;
  const page = lookup(miss, NOT_FOUND_PAGE);
  const response = page === null ? null : respondWithPage(request, { file: page, status: 404 });
  if (response !== null) return response;
  if (page !== null) miss.options.cache?.forget(NOT_FOUND_PAGE);
  // The path asked for (escaped by the page), so the page is made per request.
  const detail = `Nothing is served at ${path}`;
  return pageResponse({ status: 404, method: request.method, detail }, request.policy);
}

function listing(
  miss: Miss,
  at: { dir: string; path: string; query: string },
): StaticResponse | null {
  const { request, options } = miss;
  const { settings } = request.policy;
  const response = listingResponse(at.dir, {
    request: {
      method: request.method,
      urlPath: at.path,
      query: at.query,
      accept: request.fields.accept,
      dotfiles: settings.dotfiles,
      scope: miss.scope,
    },
    context: {
      // Without a worker's cache (a test, the library), each listing reads its folder.
      cache: options.listings ?? new ListingCache(settings.listMaxEntries),
      policy: request.policy,
      pageEntries: settings.listPageEntries,
      maxEntries: settings.listMaxEntries,
    },
  });
  return response ?? notFound(miss, at.path);
}

function redirect(request: FileRequest, location: string): StaticResponse {
  return pageResponse({
    status: 301,
    method: request.method,
    detail: `The document has moved to ${location}`,
    extraHeaders: [["location", location]],
  }, request.policy);
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
