/**
 * @module baseline_memory
 * Baseline server for the benchmark: `Deno.serve` answering `GET /<name>`
 * from the root's top-level files, all read into memory at start (Content-Type
 * from heiretsu's own table so headers match). It is the
 * upper bound for small-file request rates.
 *
 * Usage: `deno run --allow-net --allow-read bench/baseline_memory.ts --port 0 --root DIR`
 */
import { join } from "node:path";
import { contentType } from "../lib/handler/static/mime.ts";
import { fileNameFromUrl, parseBaselineArgs, serveBaseline } from "./baseline_common.ts";

interface CachedFile {
  body: Uint8Array<ArrayBuffer>;
  headers: Record<string, string>;
}

/**
 * Reads every regular top-level file of `root` into memory.
 *
 * @param root The directory to load.
 * @returns File name → body and ready-made headers.
 * @example Load a directory
 * ```ts
 * const files = await loadFiles("./static");
 * ```
 */
export async function loadFiles(root: string): Promise<Map<string, CachedFile>> {
  const files = new Map<string, CachedFile>();
  for await (const entry of Deno.readDir(root)) {
    if (!entry.isFile) continue;
    const body = await Deno.readFile(join(root, entry.name));
    files.set(entry.name, {
      body,
      headers: {
        "content-type": contentType(entry.name),
        "content-length": String(body.byteLength),
      },
    });
  }
  return files;
}

async function main(): Promise<void> {
  const options = parseBaselineArgs(Deno.args);
  const files = await loadFiles(options.root);
  serveBaseline((request) => {
    const name = request.method === "GET" ? fileNameFromUrl(request.url) : undefined;
    const file = name === undefined ? undefined : files.get(name);
    if (file === undefined) return new Response("Not Found\n", { status: 404 });
    return new Response(file.body, { headers: file.headers });
  }, options);
}

if (import.meta.main) await main();
