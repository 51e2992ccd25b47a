/**
 * Micro-benchmarks of a worker's hot paths, through `Exchange` from head bytes to the response
 * record, without threads or sockets: a cached 1 KiB file, and a small app route, alone and
 * behind the files (as a worker with a root and an app runs it). Run it with
 * `deno bench --allow-read --allow-write bench/exchange_bench.ts`; compare before and after
 * a change to the worker path (it caught a 40% regression that load tests only hinted at).
 *
 * @module
 */
import { BufferShelf } from "../lib/handler/shelf.ts";
import { Exchange, type ExchangeIo } from "../lib/handler/exchange.ts";
import { FileCache } from "../lib/handler/static/cache.ts";
import { serveStatic } from "../lib/handler/static/handler.ts";
import { appHandler } from "../lib/handler/app/handler.ts";
import { loadApp } from "../lib/handler/app/load.ts";
import { filesThenApp } from "../lib/handler/compose.ts";

const root = Deno.makeTempDirSync({ prefix: "heiretsu-bench-" });
Deno.writeFileSync(`${root}/1k.bin`, new Uint8Array(1024).fill(120));
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

const cache = new FileCache({ maxEntries: 16, maxFileBytes: 65536, maxTotalBytes: 1 << 20 });
let sentBytes = 0;
const io: ExchangeIo = {
  handle: ({ head }) =>
    serveStatic({ method: head.method, target: head.target, headers: head.headers }, {
      root,
      cache,
    }),
  serverHeader: "heiretsu/bench",
  windowBytes: 256 * 1024,
  maxBodyBytes: 1 << 20,
  maxPull: 64 * 1024,
  limits: { maxRequestLineBytes: 8192, maxHeaderBytes: 32768, maxHeaderCount: 100 },
  parserStorage: new BufferShelf(4096, 64),
  scratch: new Uint8Array(512 * 1024),
  backlogged: () => false,
  whenFlushed: () => Promise.resolve(),
  pull: () => {},
  send: (_stream, bytes) => {
    sentBytes += bytes.byteLength;
  },
  log: () => {},
  logError: () => {},
  logNotice: () => {},
};
const head = new TextEncoder().encode(
  "GET /1k.bin HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n",
);
let stream = 0;

Deno.bench("Exchange.run() answers a cached 1 KiB GET", async () => {
  await new Exchange(io, { stream: stream++, remote: "127.0.0.1", port: 50000, head }).run();
  if (sentBytes === 0) throw new Error("nothing was sent");
});

const appIo: ExchangeIo = {
  ...io,
  handle: appHandler(
    await loadApp(new URL("../examples/slow.ts", import.meta.url).href),
    { scheme: "http", extraHeaders: [] },
  ),
};
const appHead = new TextEncoder().encode(
  "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n",
);

Deno.bench("Exchange.run() answers an app route with a small body", async () => {
  await new Exchange(appIo, { stream: stream++, remote: "127.0.0.1", port: 50000, head: appHead })
    .run();
});

// As a worker with a root and an app runs it: the files are asked first, and decline.
const filesAppIo: ExchangeIo = { ...io, handle: filesThenApp(appIo.handle, { root, cache }) };
const routeHead = new TextEncoder().encode(
  "GET /hello HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n",
);

Deno.bench("Exchange.run() answers an app route after the files decline it", async () => {
  await new Exchange(filesAppIo, {
    stream: stream++,
    remote: "127.0.0.1",
    port: 50000,
    head: routeHead,
  }).run();
});
