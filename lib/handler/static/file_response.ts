/**
 * @module
 * The response to a GET or HEAD for one file: pick the representation (the file, a
 * precompressed sibling, or on-the-fly compression), evaluate the preconditions against it, then
 * send it whole (200), in ranges (206, 416), or not at all (304, 412).
 *
 * Ranges and compression never mix into a wrong body: ranges apply to a precompressed sibling's
 * own bytes (RFC 9110 §14.1.2: ranges count the encoded representation), with its
 * Content-Encoding and its own strong ETag; a GET with a Range field is never compressed on the
 * fly, since a compressed stream has no known length to take ranges of; and on-the-fly responses
 * do not advertise Accept-Ranges and carry a weak ETag, which If-Range never matches.
 *
 * The common case (a cached file, no conditional or Range field) allocates only the response:
 * its headers are built once per stored form and kept on it.
 *
 * The headers describe a stored form, so a file body is sent only from a handle that is that
 * form (`openKnown()`: same inode, size and times). When the path now leads to other bytes (a
 * new version renamed over it, a swapped symlink), the responders return null and the caller
 * looks the path up again: validators and length always describe the bytes sent.
 */
import type { PlannedResponse } from "../handler.ts";
import type { StaticFile, StoredForm } from "./cache.ts";
import { openKnown } from "./identity.ts";
import {
  evaluatePreconditions,
  ifRangeHolds,
  type Validators,
  type Verdict,
} from "./conditional.ts";
import {
  bytesStream,
  chooseCoding,
  type Coding,
  compressionsRunning,
  compressStream,
  fileStream,
  LIVE_CODINGS,
  type LiveCoding,
  MIN_COMPRESS_BYTES,
} from "./encoding.ts";
import { NO_FIELDS, type RequestFields } from "./fields.ts";
import { cacheControl, EMPTY, finishHeaders, type HeaderPolicy, pageResponse } from "./respond.ts";
import { type ByteRange, contentRange, multipartBody, newBoundary, parseRange } from "./range.ts";

/** A GET or HEAD as the file responder sees it. */
export interface FileRequest {
  /** "GET" or "HEAD". */
  method: string;
  fields: Readonly<RequestFields>;
  policy: HeaderPolicy;
}

const VARY_ENCODING: readonly string[] = ["Accept-Encoding"];
const NO_VARY: readonly string[] = [];

/**
 * Plans the response for a file: 200, 206, 304, 412 or 416.
 *
 * @param request method, fields and header policy
 * @param file the file, from the cache or `describeFile()`
 * @returns the planned response, a file body open (the writer closes it); or null when the file
 *   on disk is no longer the one described (gone, replaced, changed): look it up again
 * @example
 * ```ts
 * import { respondWithFile } from "./file_response.ts";
 * import { describeFile } from "./cache.ts";
 * import { locate } from "./locate.ts";
 * import { NO_FIELDS } from "./fields.ts";
 * import { headerPolicy } from "./respond.ts";
 * import { DEFAULTS } from "../../config/settings.ts";
 * import assert from "node:assert/strict";
 * const root = Deno.realPathSync(Deno.makeTempDirSync());
 * Deno.writeTextFileSync(`${root}/a.txt`, "hello");
 * const found = locate({ root, followSymlinks: false }, "/a.txt");
 * const file = found.kind === "file" ? describeFile(found, 65536) : null;
 * const policy = headerPolicy(DEFAULTS);
 * const response = respondWithFile({ method: "HEAD", fields: NO_FIELDS, policy }, file!);
 * assert.equal(response?.status, 200);
 * assert.deepEqual(response?.headers.find(([name]) => name === "content-length"), ["content-length", "5"]);
 * assert.equal(response?.body.kind, "empty");
 * Deno.removeSync(root, { recursive: true });
 * ```
 */
export function respondWithFile(request: FileRequest, file: StaticFile): PlannedResponse | null {
  const form = select(request, file);
  if (typeof form === "string") return liveResponse(request, { file, coding: form });
  const { fields } = request;
  const verdict = fields === NO_FIELDS ? "proceed" : evaluatePreconditions(fields, form);
  if (verdict !== "proceed") return refusal(request, { file, sent: form, verdict });
  const headers = okHeaders(file, form, request.policy);
  if (request.method === "HEAD") return { status: 200, headers, body: EMPTY };
  const { range, ifRange } = fields;
  if (range !== undefined && (ifRange === undefined || ifRangeHolds(ifRange, form))) {
    const outcome = parseRange(range, form.size);
    if (outcome.kind === "unsatisfiable") {
      const extraHeaders: Array<[string, string]> = [[
        "content-range",
        contentRange(null, form.size),
      ]];
      return pageResponse({ status: 416, method: request.method, extraHeaders }, request.policy);
    }
    if (outcome.kind === "satisfiable") {
      return partial({ file, form, headers }, outcome.ranges);
    }
  }
  if (form.bytes !== null) {
    return { status: 200, headers, body: { kind: "bytes", bytes: form.bytes } };
  }
  const opened = openKnown(form);
  if (opened === null) return null;
  return {
    status: 200,
    headers,
    body: { kind: "file", file: opened, offset: 0, length: form.size },
  };
}

/**
 * Plans a non-200 response whose body is a file (the custom 404 page): no validators or ranges.
 *
 * @param request method, fields and header policy
 * @param page the page's file and the status to send it with
 * @returns the planned response, or null when the file is no longer the one described
 * @example
 * ```ts
 * import { respondWithPage } from "./file_response.ts";
 * import { describeFile } from "./cache.ts";
 * import { locate } from "./locate.ts";
 * import { NO_FIELDS } from "./fields.ts";
 * import { headerPolicy } from "./respond.ts";
 * import { DEFAULTS } from "../../config/settings.ts";
 * import assert from "node:assert/strict";
 * const root = Deno.realPathSync(Deno.makeTempDirSync());
 * Deno.writeTextFileSync(`${root}/404.html`, "<h1>Not here</h1>");
 * const found = locate({ root, followSymlinks: false }, "/404.html");
 * const page = found.kind === "file" ? describeFile(found, 0) : null;
 * const request = { method: "HEAD", fields: NO_FIELDS, policy: headerPolicy(DEFAULTS) };
 * assert.equal(respondWithPage(request, { file: page!, status: 404 })?.status, 404);
 * Deno.removeSync(root, { recursive: true });
 * ```
 */
export function respondWithPage(
  request: FileRequest,
  page: { file: StaticFile; status: number },
): PlannedResponse | null {
  const { file, status } = page;
  const form = file.identity;
  const headers = finishHeaders([
    ["content-type", file.contentType],
    ["content-length", String(form.size)],
    ["cache-control", "no-cache"],
  ], { policy: request.policy });
  if (request.method === "HEAD") return { status, headers, body: EMPTY };
  if (form.bytes !== null) return { status, headers, body: { kind: "bytes", bytes: form.bytes } };
  const opened = openKnown(form);
  if (opened === null) return null;
  return { status, headers, body: { kind: "file", file: opened, offset: 0, length: form.size } };
}

/** The stored form to send, or the coding to compress the file with on the fly. */
function select(request: FileRequest, file: StaticFile): StoredForm | LiveCoding {
  // Past the cap on running compressors, files go as stored: a bound on memory, not an error.
  const live = liveAllowed(file, request.policy) &&
    compressionsRunning() < request.policy.settings.maxCompressions;
  const { acceptEncoding, range } = request.fields;
  if ((file.encoded.length === 0 && !live) || acceptEncoding === undefined) return file.identity;
  const offered: Coding[] = file.encoded.map((form) => form.coding!);
  // A compressed stream has no length to take ranges of, so a Range asks for stored bytes.
  if (live && !(request.method === "GET" && range !== undefined)) {
    for (const coding of LIVE_CODINGS) if (!offered.includes(coding)) offered.push(coding);
  }
  const chosen = chooseCoding(acceptEncoding, offered);
  if (chosen === null) return file.identity;
  return file.encoded.find((form) => form.coding === chosen) ?? (chosen as LiveCoding);
}

function liveAllowed(file: StaticFile, policy: HeaderPolicy): boolean {
  return policy.settings.compress && file.compressible && file.identity.size >= MIN_COMPRESS_BYTES;
}

/** Whether the response depends on Accept-Encoding: siblings exist or compression may apply. */
function varyOf(file: StaticFile, policy: HeaderPolicy): readonly string[] {
  return file.encoded.length > 0 || liveAllowed(file, policy) ? VARY_ENCODING : NO_VARY;
}

/** The headers of a 200 for a stored form, built once per header policy and kept on the form. */
function okHeaders(
  file: StaticFile,
  form: StoredForm,
  policy: HeaderPolicy,
): ReadonlyArray<readonly [string, string]> {
  if (form.okHeaders?.policy === policy) return form.okHeaders.headers;
  const own: Array<[string, string]> = [
    ["content-type", file.contentType],
    ["content-length", String(form.size)],
  ];
  if (form.coding !== null) own.push(["content-encoding", form.coding]);
  own.push(...validatorHeaders(form));
  own.push(["accept-ranges", "bytes"], ["cache-control", cacheControl(file.contentType, policy)]);
  // Frozen: the serializer then checks and joins these fields once, not per response.
  const headers = Object.freeze(finishHeaders(own, { policy, vary: varyOf(file, policy) }));
  form.okHeaders = { policy, headers };
  return headers;
}

/** The validators of what would be sent, and its Last-Modified value. */
interface Sent extends Validators {
  lastModified: string | null;
}

function validatorHeaders(sent: Sent): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  if (sent.lastModified !== null) headers.push(["last-modified", sent.lastModified]);
  if (sent.etag !== null) headers.push(["etag", sent.etag]);
  return headers;
}

/** 304 with the validators, Cache-Control and Vary a 200 would carry (RFC 9110 §15.4.5), or 412. */
function refusal(
  request: FileRequest,
  context: { file: StaticFile; sent: Sent; verdict: Exclude<Verdict, "proceed"> },
): PlannedResponse {
  const { file, sent, verdict } = context;
  const { policy } = request;
  if (verdict === "precondition-failed") {
    return pageResponse({ status: 412, method: request.method }, policy);
  }
  const own = validatorHeaders(sent);
  own.push(["cache-control", cacheControl(file.contentType, policy)]);
  const headers = finishHeaders(own, { policy, vary: varyOf(file, policy) });
  return { status: 304, headers, body: EMPTY };
}

/** 206 with one range, or with several as multipart/byteranges. */
function partial(
  context: {
    file: StaticFile;
    form: StoredForm;
    headers: ReadonlyArray<readonly [string, string]>;
  },
  ranges: ByteRange[],
): PlannedResponse | null {
  const { file, form } = context;
  const opened = form.bytes === null ? openKnown(form) : null;
  if (form.bytes === null && opened === null) return null;
  const slice = (range: ByteRange) =>
    form.bytes !== null
      ? form.bytes.subarray(range.start, range.end + 1)
      : { file: opened!, offset: range.start, length: range.end - range.start + 1 };
  if (ranges.length === 1) {
    const [range] = ranges;
    const headers = replaced(context.headers, {
      "content-length": String(range.end - range.start + 1),
    });
    headers.push(["content-range", contentRange(range, form.size)]);
    const part = slice(range);
    const body = part instanceof Uint8Array
      ? { kind: "bytes" as const, bytes: part }
      : { kind: "file" as const, ...part };
    return { status: 206, headers, body };
  }
  const boundary = newBoundary();
  const multipart = multipartBody(ranges, {
    length: form.size,
    contentType: file.contentType,
    boundary,
    slice,
  });
  const headers = replaced(context.headers, {
    "content-type": `multipart/byteranges; boundary=${boundary}`,
    "content-length": String(multipart.byteLength),
  });
  return { status: 206, headers, body: { kind: "parts", parts: multipart.parts } };
}

function replaced(
  headers: ReadonlyArray<readonly [string, string]>,
  values: Record<string, string>,
): Array<[string, string]> {
  return headers.map(([name, value]) => [name, values[name] ?? value]);
}

/** 200 compressed on the fly: chunked, weak ETag, no Accept-Ranges; or 304/412. */
function liveResponse(
  request: FileRequest,
  context: { file: StaticFile; coding: LiveCoding },
): PlannedResponse | null {
  const { file, coding } = context;
  const form = file.identity;
  const etag = form.etag === null ? null : `W/${form.etag.slice(0, -1)}-${coding}"`;
  const sent: Sent = { etag, modifiedMs: form.modifiedMs, lastModified: form.lastModified };
  const { fields, policy } = request;
  const verdict = evaluatePreconditions(fields, sent);
  if (verdict !== "proceed") return refusal(request, { file, sent, verdict });
  const own: Array<[string, string]> = [
    ["content-type", file.contentType],
    ["content-encoding", coding],
    ...validatorHeaders(sent),
    ["cache-control", cacheControl(file.contentType, policy)],
  ];
  const headers = finishHeaders(own, { policy, vary: VARY_ENCODING });
  if (request.method === "HEAD") return { status: 200, headers, body: EMPTY };
  const opened = form.bytes === null ? openKnown(form) : null;
  if (form.bytes === null && opened === null) return null;
  const source = form.bytes !== null ? bytesStream(form.bytes) : fileStream(opened!, form.size);
  const stream = compressStream(source, { coding, sizeHint: form.size });
  return { status: 200, headers, body: { kind: "stream", stream } };
}
