/**
 * @module
 * Builds the small HTML5 pages sent with error and redirect responses, and the HTML escaping
 * they need.
 */

import { STATUS_CODES } from "node:http";

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

/**
 * Renders a minimal, valid HTML5 page for a status code, titled like "404 Not Found".
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
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
      `<title>${title}</title>\n</head>\n<body>\n<h1>${title}</h1>\n${paragraph}</body>\n</html>\n`,
  );
}
