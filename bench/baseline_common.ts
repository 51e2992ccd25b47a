/**
 * @module baseline_common
 * What the two baseline servers share: their command line, the mapping from
 * a request URL to a file name, and a `Deno.serve` launcher that prints the
 * same ready line as heiretsu and exits 0 on SIGTERM. With `--cert` and `--key`
 * it serves HTTPS, the baseline of the benchmark's TLS runs (`io_threads.ts`).
 */
import { parseArgs } from "node:util";

/** Command-line options of a baseline server. */
export interface BaselineOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. @default 0 */
  port: number;
  /** Directory whose top-level files are served. @default "." */
  root: string;
  /** PEM certificate and key files: serve HTTPS. Absent: plain HTTP. */
  tls?: { certFile: string; keyFile: string };
}

/** How long SIGTERM waits for in-flight responses before exiting anyway. */
const SHUTDOWN_GRACE_MS = 2_000;

/**
 * Parses `--port N --root DIR [--cert FILE --key FILE]`; `--quiet` and
 * `--workers N` are accepted and ignored so one launcher can start every
 * server with the same flags.
 *
 * @param args Arguments after the script name.
 * @returns The parsed options.
 * @throws {RangeError} On a port outside 0-65535, or `--cert` without `--key` (or the reverse).
 * @example Parse a port and root
 * ```ts
 * parseBaselineArgs(["--port", "0", "--root", "/tmp/x"]); // { port: 0, root: "/tmp/x" }
 * ```
 */
export function parseBaselineArgs(args: string[]): BaselineOptions {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: "string", default: "0" },
      root: { type: "string", default: "." },
      quiet: { type: "boolean", default: false },
      workers: { type: "string" },
      cert: { type: "string" },
      key: { type: "string" },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`Cannot listen on port "${values.port}"`);
  }
  const { cert, key } = values;
  if ((cert === undefined) !== (key === undefined)) {
    throw new RangeError("Cannot serve HTTPS with only one of --cert and --key: give both");
  }
  const tls = cert === undefined ? {} : { tls: { certFile: cert, keyFile: key! } };
  return { port, root: values.root, ...tls };
}

/**
 * Extracts the requested top-level file name from a request URL.
 *
 * @param url The absolute request URL.
 * @returns The decoded name, or `undefined` for paths that are not a plain
 * top-level name (nested, dot segments, bad escapes).
 * @example Accept a plain name
 * ```ts
 * fileNameFromUrl("http://127.0.0.1:8000/1k.bin"); // "1k.bin"
 * ```
 */
export function fileNameFromUrl(url: string): string | undefined {
  const path = new URL(url).pathname;
  let name: string;
  try {
    name = decodeURIComponent(path.slice(1));
  } catch {
    return undefined;
  }
  if (name === "" || name === "." || name === "..") return undefined;
  if (name.includes("/") || name.includes("\\") || name.includes("\0")) return undefined;
  return name;
}

/**
 * Serves `handler` on 127.0.0.1, prints
 * `Server: listening on http://HOST:PORT (1 workers, root DIR)` once bound
 * (`https://` with a certificate), and exits 0 on SIGTERM after a short grace period.
 *
 * @param handler The request handler.
 * @param options Port, root to report, and the certificate to serve HTTPS with.
 * @returns The running server.
 * @example Serve a constant
 * ```ts
 * serveBaseline(() => new Response("ok"), { port: 0, root: "." });
 * ```
 */
export function serveBaseline(
  handler: Deno.ServeHandler,
  options: BaselineOptions,
): Deno.HttpServer {
  const tls = options.tls === undefined ? {} : {
    cert: Deno.readTextFileSync(options.tls.certFile),
    key: Deno.readTextFileSync(options.tls.keyFile),
  };
  const scheme = options.tls === undefined ? "http" : "https";
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port,
    ...tls,
    onListen({ hostname, port }) {
      console.log(
        `Server: listening on ${scheme}://${hostname}:${port} (1 workers, root ${options.root})`,
      );
    },
  }, handler);
  Deno.addSignalListener("SIGTERM", async () => {
    const grace = new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS));
    await Promise.race([server.shutdown(), grace]);
    Deno.exit(0);
  });
  return server;
}
