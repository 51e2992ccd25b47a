/**
 * @module
 * The one place status pages are made, for both threads: the small HTML5 page of an error or
 * redirect (and the HTML escaping it needs), the small responses that carry one (a worker's
 * errors, the static pages) or a short text (the health check), and the whole closing response
 * an I/O thread sends on its own (408, 502, 503).
 */

import { STATUS_CODES } from "node:http";
import { httpDate } from "./date.ts";
import { serializeHead } from "./serializer.ts";
import { SITE_STYLE } from "./site_style.ts";

/** Reason phrase used for a status code node:http doesn't know. */
const UNKNOWN_REASON = "Unknown Status";

/** Characters with meaning in HTML text and attribute values, and their entities. */
const HTML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

const encoder = new TextEncoder();

/**
 * Escapes text for safe use in HTML content or a quoted attribute value.
 *
 * @param text Untrusted text, such as a request path.
 * @returns The text with &, <, >, " and ' replaced by entities.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeHtml } from "./pages.ts";
 * assert.equal(escapeHtml(`<a href="x">`), "&lt;a href=&quot;x&quot;&gt;");
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char]);
}

/** The site's favicon inline, so a page the server makes asks for no /favicon.ico. */
const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%0A  %3Crect width='32' height='32' rx='7' fill='%234f46e5' /%3E%0A  %3Cpath d='M13 9h11M7 16h9M16 23h9' stroke='%23fff' stroke-width='4' stroke-linecap='round' /%3E%0A%3C/svg%3E";

/** What the status pages add to the site's stylesheet: the card in red, the link home. */
const PAGE_STYLE = `${SITE_STYLE}
.problem { border-left-color: var(--bad); }
.problem .dot { background: var(--bad); box-shadow: 0 0 0 5px color-mix(in srgb, var(--bad) 20%, transparent); }
.problem h1 { font-size: 1.6rem; margin-bottom: 0.4rem; }
.problem p { overflow-wrap: anywhere; }
nav a { color: var(--accent); font-weight: 600; text-decoration: none; }
nav a:hover { text-decoration: underline; }
:root { --bad: #e11d48; }
@media (prefers-color-scheme: dark) { :root { --bad: #fb7185; } }
`;

/**
 * The start of a page the server makes, up to `<body>`: the default site's stylesheet inline
 * (no request for a stylesheet), light and dark, phone-sized.
 *
 * @param title the title, already HTML-escaped
 * @param extraStyle CSS added after the site's
 * @returns the HTML text
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pageHead } from "./pages.ts";
 * assert.match(pageHead("Index of /"), /<title>Index of \/<\/title>/);
 * ```
 */
export function pageHead(title: string, extraStyle = ""): string {
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<meta name="color-scheme" content="light dark">\n<title>${title}</title>\n` +
    `<link rel="icon" href="${FAVICON}">\n` +
    `<style>${PAGE_STYLE}${extraStyle}</style>\n</head>\n`;
}

/**
 * Renders a valid HTML5 page for a status code, titled like "404 Not Found", in the default
 * site's look (its stylesheet inline, light and dark), with a link home.
 *
 * @param status The HTTP status code; its reason phrase comes from node:http STATUS_CODES.
 * @param detail Optional explanation shown under the heading; it is HTML-escaped.
 * @returns The UTF-8 encoded page, to be sent as "text/html; charset=utf-8".
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorPage } from "./pages.ts";
 * const page = new TextDecoder().decode(errorPage(404, "No such file: /a<b>"));
 * assert.ok(page.includes("<title>404 Not Found</title>"));
 * assert.ok(page.includes("/a&lt;b&gt;"));
 * ```
 */
export function errorPage(status: number, detail?: string): Uint8Array {
  const title = `${status} ${escapeHtml(STATUS_CODES[status] ?? UNKNOWN_REASON)}`;
  const paragraph = detail === undefined ? "" : `<p>${escapeHtml(detail)}</p>\n`;
  return encoder.encode(
    pageHead(title) +
      `<body>\n<main>\n<section class="status problem">\n<span class="dot" aria-hidden="true"></span>\n` +
      `<div>\n<h1>${title}</h1>\n${paragraph}<nav><a href="/">← Home</a></nav>\n</div>\n</section>\n` +
      `</main>\n<footer>heiretsu</footer>\n</body>\n</html>\n`,
  );
}

/** A small whole response: status, headers (lower-case names) and its bytes, if any. */
export interface StatusResponse {
  status: number;
  headers: Array<[string, string]>;
  body: { kind: "bytes"; bytes: Uint8Array } | { kind: "empty" };
}

const HTML_TYPE = "text/html; charset=utf-8";
const TEXT_TYPE = "text/plain; charset=utf-8";

/**
 * A response carrying the status page: the given headers, then Content-Type and Content-Length.
 *
 * @param status the status, e.g. 404
 * @param options a detail shown under the heading, headers to put first (Location, Allow), and
 *   whether it answers HEAD (then the headers describe the page, which is not sent)
 * @returns the response
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statusResponse } from "./pages.ts";
 * const response = statusResponse(405, { headers: [["allow", "GET"]] });
 * assert.deepEqual(response.headers.map(([name]) => name), ["allow", "content-type", "content-length"]);
 * assert.equal(response.body.kind, "bytes");
 * assert.equal(statusResponse(404, { head: true }).body.kind, "empty");
 * ```
 */
export function statusResponse(
  status: number,
  options: { detail?: string; headers?: Array<[string, string]>; head?: boolean } = {},
): StatusResponse {
  const bytes = errorPage(status, options.detail);
  const headers: Array<[string, string]> = [
    ...(options.headers ?? []),
    ["content-type", HTML_TYPE],
    ["content-length", String(bytes.byteLength)],
  ];
  return { status, headers, body: options.head ? { kind: "empty" } : { kind: "bytes", bytes } };
}

/**
 * A response carrying a short plain text: Content-Type, Content-Length, then the given headers.
 *
 * @param status the status
 * @param options the text, and headers to add (e.g. Cache-Control)
 * @returns the response
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { textResponse } from "./pages.ts";
 * const response = textResponse(200, { text: "ok\n" });
 * assert.deepEqual(response.headers, [
 *   ["content-type", "text/plain; charset=utf-8"],
 *   ["content-length", "3"],
 * ]);
 * ```
 */
export function textResponse(
  status: number,
  options: { text: string; headers?: Array<[string, string]> },
): StatusResponse {
  const bytes = encoder.encode(options.text);
  const headers: Array<[string, string]> = [
    ["content-type", TEXT_TYPE],
    ["content-length", String(bytes.byteLength)],
    ...(options.headers ?? []),
  ];
  return { status, headers, body: { kind: "bytes", bytes } };
}

/**
 * A complete response, head and page, that closes the connection: what an I/O thread writes
 * on its own, without a worker (408 for a slow head, 502 when a worker died, 503 when the queue
 * is full).
 *
 * @param status the status, e.g. 503
 * @param options extra headers such as `retry-after`, and the `Server` header value
 * @returns the bytes to write
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { closingResponse } from "./pages.ts";
 * const bytes = closingResponse(503, { headers: [["retry-after", "1"]], server: "heiretsu/0" });
 * const text = new TextDecoder().decode(bytes);
 * assert.match(text, /^HTTP\/1.1 503 Service Unavailable\r\n/);
 * assert.match(text, /\r\nretry-after: 1\r\n/);
 * assert.match(text, /\r\nconnection: close\r\n\r\n<!DOCTYPE html>/);
 * ```
 */
export function closingResponse(
  status: number,
  options: { headers: Array<[string, string]>; server: string },
): Uint8Array {
  const body = errorPage(status);
  const head = serializeHead({
    status,
    headers: [
      ["content-type", HTML_TYPE],
      ["content-length", String(body.byteLength)],
      ...options.headers,
      ["date", httpDate()],
      ["server", options.server],
      ["connection", "close"],
    ],
  });
  const bytes = new Uint8Array(head.byteLength + body.byteLength);
  bytes.set(head);
  bytes.set(body, head.byteLength);
  return bytes;
}
