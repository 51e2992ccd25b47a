/**
 * @module
 * Maps a file name to its Content-Type using the npm "mime-db" database, built once into an
 * extension → type map, and tells which types are worth compressing. Conflicts are settled the
 * way the `mime-types` package settles them.
 */

import db from "mime-db";

/** The type served when the extension is unknown or absent. */
const FALLBACK_TYPE = "application/octet-stream";

/** The charset parameter added to textual types. */
const UTF8_PARAMETER = "; charset=utf-8";

/** How much a db entry's source is trusted when two types claim one extension; higher wins. */
const SOURCE_RANK: Record<string, number> = { nginx: 1, apache: 2, iana: 4 };

/** Rank of entries with no source (added by the mime-db project itself). */
const UNSOURCED_RANK = 3;

/**
 * Extensions whose equally ranked claimants would otherwise resolve to a type browsers won't play
 * inline (the db lists application/mp4 before video/mp4, both from IANA).
 */
const PREFERRED_TYPES: Record<string, string> = { mp4: "video/mp4", mpg4: "video/mp4" };

interface MimeEntry {
  source?: string;
  charset?: string;
  compressible?: boolean;
  extensions?: string[];
}

/** The database, typed down to the fields read here. */
const DB = db as Record<string, MimeEntry>;

/** Extension (lower-case, no dot) → full Content-Type value, charset included. */
const BY_EXTENSION: Map<string, string> = buildExtensionMap();

/**
 * Returns the Content-Type for a file path from its extension, matched case-insensitively.
 *
 * @param filePath A file name or path; only the part after the last "." of its base name counts,
 *   and a leading dot (".htaccess") does not start an extension.
 * @returns The type, with "; charset=utf-8" for text/* and UTF-8 types; "application/octet-stream"
 *   when the extension is unknown or missing.
 * @example
 * ```ts
 * import { contentType } from "./mime.ts";
 * contentType("/site/INDEX.HTML"); // "text/html; charset=utf-8"
 * contentType("/site/logo.png"); // "image/png"
 * ```
 */
export function contentType(filePath: string): string {
  const base = filePath.slice(filePath.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return FALLBACK_TYPE;
  return BY_EXTENSION.get(base.slice(dot + 1).toLowerCase()) ?? FALLBACK_TYPE;
}

/** Types the db does not rate but whose syntax is text, as the `compressible` package judges. */
const TEXT_SYNTAX = /^text\/|\+(?:json|text|xml)$/;

/**
 * Whether a Content-Type is worth compressing: the db's `compressible` flag, else whether its
 * syntax is text.
 *
 * @param type a Content-Type value; parameters such as charset are ignored
 * @returns true for text, JSON, JavaScript, SVG and the like; false for images, video, archives
 * @example
 * ```ts
 * import { isCompressible } from "./mime.ts";
 * isCompressible("text/css; charset=utf-8"); // true
 * isCompressible("image/png"); // false
 * ```
 */
export function isCompressible(type: string): boolean {
  const semicolon = type.indexOf(";");
  const bare = (semicolon === -1 ? type : type.slice(0, semicolon)).trim().toLowerCase();
  return DB[bare]?.compressible ?? TEXT_SYNTAX.test(bare);
}

function buildExtensionMap(): Map<string, string> {
  const winners = new Map<string, string>();
  for (const [type, entry] of Object.entries(DB)) {
    for (const extension of entry.extensions ?? []) {
      const current = winners.get(extension);
      if (current === undefined || outranks(type, current)) winners.set(extension, type);
    }
  }
  for (const [extension, type] of Object.entries(PREFERRED_TYPES)) winners.set(extension, type);
  const map = new Map<string, string>();
  for (const [extension, type] of winners) {
    map.set(extension, isUtf8Text(type, DB[type]) ? type + UTF8_PARAMETER : type);
  }
  return map;
}

/**
 * True when `challenger` should replace `current`: octet-stream always yields, otherwise the
 * better source wins and ties keep the earlier entry (application/* sorts first, as in mime-types).
 */
function outranks(challenger: string, current: string): boolean {
  if (current === FALLBACK_TYPE) return true;
  if (challenger === FALLBACK_TYPE) return false;
  return sourceRank(DB[challenger]) > sourceRank(DB[current]);
}

function sourceRank(entry: MimeEntry): number {
  return SOURCE_RANK[entry.source ?? ""] ?? UNSOURCED_RANK;
}

function isUtf8Text(type: string, entry: MimeEntry): boolean {
  return type.startsWith("text/") || entry.charset?.toUpperCase() === "UTF-8";
}
