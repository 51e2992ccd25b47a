/**
 * Test helper: builds a throwaway site folder with the files the integration tests need.
 *
 * @module
 */
import assert from "node:assert/strict";
import { TestServer } from "./server.ts";

/** Paths of a test site. */
export interface TestSite {
  root: string;
  /** Removes the folder. */
  remove(): Promise<void>;
}

/**
 * Creates a temp folder with small files, nested folders, a unicode name, and optionally a
 * large random file of `largeBytes` at /large.bin.
 *
 * @param options size of /large.bin (0: none)
 * @returns the site
 */
export async function makeSite(options: { largeBytes?: number } = {}): Promise<TestSite> {
  const root = await Deno.makeTempDir({ prefix: "heiretsu-site-" });
  await Deno.writeTextFile(
    `${root}/index.html`,
    "<!doctype html><title>home</title><p>home page</p>\n",
  );
  await Deno.writeTextFile(`${root}/hello.txt`, "hello, world\n");
  await Deno.writeTextFile(`${root}/data.json`, '{"ok":true}\n');
  await Deno.mkdir(`${root}/docs`);
  await Deno.writeTextFile(`${root}/docs/index.html`, "<!doctype html><title>docs</title>\n");
  await Deno.mkdir(`${root}/empty`);
  await Deno.writeTextFile(`${root}/café ☕.txt`, "unicode name\n");
  if (options.largeBytes) await writeRandomFile(`${root}/large.bin`, options.largeBytes);
  return { root, remove: () => Deno.remove(root, { recursive: true }) };
}

/**
 * Writes `bytes` random bytes to `path` in 1 MiB pieces.
 *
 * @param path where
 * @param bytes how many
 */
export async function writeRandomFile(path: string, bytes: number): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const piece = new Uint8Array(1024 * 1024);
  for (let written = 0; written < bytes; written += piece.byteLength) {
    for (let i = 0; i < piece.byteLength; i += 65536) {
      crypto.getRandomValues(piece.subarray(i, i + 65536));
    }
    const n = Math.min(piece.byteLength, bytes - written);
    let offset = 0;
    while (offset < n) offset += await file.write(piece.subarray(offset, n));
  }
}

/**
 * SHA-256 of a file, as hex.
 *
 * @param path the file
 * @returns the digest
 */
export async function sha256File(path: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", await Deno.readFile(path)));
}

/**
 * SHA-256 of bytes, as hex.
 *
 * @param bytes the bytes
 * @returns the digest
 */
export async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** How {@linkcode withSiteServer} starts the server. */
export interface SiteServerOptions {
  /** Server flags after `--root SITE` (or without it, see `root`). */
  args?: string[];
  /** Size of /large.bin in the site (0: none). */
  largeBytes?: number;
  /** Pass the site as `--root` (default true). */
  root?: boolean;
  /** Extra `deno run` flags. */
  denoFlags?: string[];
}

/**
 * Runs `fn` against a server on a fresh test site, then stops it and checks it exited 0.
 *
 * @param options flags and site contents
 * @param fn the test body
 */
export async function withSiteServer(
  options: SiteServerOptions,
  fn: (server: TestServer, site: TestSite) => Promise<void>,
): Promise<void> {
  const site = await makeSite({ largeBytes: options.largeBytes });
  const rootArgs = options.root === false ? [] : ["--root", site.root];
  const server = await TestServer.start([...rootArgs, ...(options.args ?? [])], options.denoFlags);
  try {
    await fn(server, site);
  } finally {
    const status = await server.stop();
    await site.remove();
    assert.equal(status.code, 0, `server exit code\n${server.lines.join("\n")}`);
  }
}
