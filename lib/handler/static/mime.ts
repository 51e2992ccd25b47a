/**
 * @module
 * Maps a file name to its Content-Type and tells which types are worth compressing, through the
 * npm packages `mime-types` and `compressible` (both read `mime-db`). What is left here is ours:
 * which part of a path is its extension, and the fallback type.
 */

import mimeTypes from "npm:mime-types@3.0.2";
import compressible from "npm:compressible@2.0.18";

/** The parts of `mime-types` used here (the package ships no types). */
interface MimeTypes {
  /** Extension (lower-case, no dot) → type, conflicts already settled by the package. */
  types: Record<string, string>;
  /** A type with its default charset added, e.g. "text/html; charset=utf-8". */
  contentType(type: string): string | false;
}

/** The type served when the extension is unknown or absent. */
const FALLBACK_TYPE = "application/octet-stream";

const MIME = mimeTypes as MimeTypes;
const isCompressibleType = compressible as (type: string) => boolean | undefined;

/** Extension (lower-case, no dot) → full Content-Type value, charset included; built once. */
const BY_EXTENSION: Map<string, string> = new Map(
  Object.entries(MIME.types).map(([extension, type]) => [
    extension,
    MIME.contentType(type) || FALLBACK_TYPE,
  ]),
);

/**
 * Returns the Content-Type for a file path from its extension, matched case-insensitively.
 *
 * @param filePath A file name or path; only the part after the last "." of its base name counts,
 *   and a leading dot (".htaccess") does not start an extension.
 * @returns The type, with "; charset=utf-8" for text/* and UTF-8 types; "application/octet-stream"
 *   when the extension is unknown or missing.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { contentType } from "./mime.ts";
 * assert.equal(contentType("/site/INDEX.HTML"), "text/html; charset=utf-8");
 * assert.equal(contentType("/site/logo.png"), "image/png");
 * assert.equal(contentType("/site/.htaccess"), "application/octet-stream");
 * ```
 */
export function contentType(filePath: string): string {
  const base = filePath.slice(filePath.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return FALLBACK_TYPE;
  return BY_EXTENSION.get(base.slice(dot + 1).toLowerCase()) ?? FALLBACK_TYPE;
}

/**
 * Whether a Content-Type is worth compressing: mime-db's `compressible` flag, else whether its
 * syntax is text (`text/*`, `+json`, `+text`, `+xml`).
 *
 * @param type a Content-Type value; parameters such as charset are ignored
 * @returns true for text, JSON, JavaScript, SVG and the like; false for images, video, archives
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isCompressible } from "./mime.ts";
 * assert.equal(isCompressible("text/css; charset=utf-8"), true);
 * assert.equal(isCompressible("image/png"), false);
 * ```
 */
export function isCompressible(type: string): boolean {
  return isCompressibleType(type) === true;
}
