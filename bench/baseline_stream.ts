/**
 * @module baseline_stream
 * Baseline server for the benchmark: `Deno.serve` that opens the requested
 * top-level file on every request and streams it (`file.readable`) with a
 * Content-Length from `stat`. It is the reference for large-file throughput.
 *
 * Usage: `deno run --allow-net --allow-read bench/baseline_stream.ts --port 0 --root DIR`
 */
import { join } from "node:path";
import { contentType } from "../lib/handler/static/mime.ts";
import { fileNameFromUrl, parseBaselineArgs, serveBaseline } from "./baseline_common.ts";

const NOT_FOUND = 404;

/**
 * Opens `root/name` and answers with its stream, or 404 when it is not a
 * regular file.
 *
 * @param root The served directory.
 * @param name A top-level file name.
 * @returns The streaming response.
 * @example Stream a file
 * ```ts
 * const response = await streamFile("./static", "index.html");
 * ```
 */
export async function streamFile(root: string, name: string): Promise<Response> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(join(root, name));
  } catch {
    return new Response("Not Found\n", { status: NOT_FOUND });
  }
  const info = await file.stat();
  if (!info.isFile) {
    file.close();
    return new Response("Not Found\n", { status: NOT_FOUND });
  }
  return new Response(file.readable, {
    headers: {
      "content-type": contentType(name),
      "content-length": String(info.size),
    },
  });
}

function main(): void {
  const options = parseBaselineArgs(Deno.args);
  serveBaseline((request) => {
    const name = request.method === "GET" ? fileNameFromUrl(request.url) : undefined;
    if (name === undefined) return new Response("Not Found\n", { status: NOT_FOUND });
    return streamFile(options.root, name);
  }, options);
}

if (import.meta.main) main();
