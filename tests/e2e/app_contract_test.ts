/**
 * The app contract as `deno serve` keeps it: `onListen`, the signal after the response, an app's
 * Content-Length on a stream, and the 500 an app's error earns.
 */
import assert from "node:assert/strict";
import { TestServer } from "../_helpers/server.ts";

/** Starts the server with an app written from `source` to a temporary file. */
async function withAppSource(
  source: string,
  args: string[],
  fn: (server: TestServer) => Promise<void>,
): Promise<void> {
  const app = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(app, source);
  try {
    const server = await TestServer.start(["--app", app, ...args]);
    try {
      await fn(server);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(app);
  }
}

Deno.test("onListen(addr) of the app's default export is called once, with the address, by worker 1", async () => {
  const source = `export default {
    fetch: () => new Response("ok"),
    onListen(addr) { console.log("onListen " + JSON.stringify(addr)); },
  };`;
  await withAppSource(source, ["--workers", "3"], async (server) => {
    await server.waitForLine(/^onListen /);
    // Every worker has loaded the app by now: the server said it listens once all were ready.
    await server.waitForLine(/^Server: listening on /);
    assert.equal(await (await fetch(server.url)).text(), "ok");
    const calls = server.lines.filter((line) => line.startsWith("onListen "));
    assert.equal(calls.length, 1, calls.join("\n"));
    const addr = JSON.parse(calls[0].slice("onListen ".length));
    assert.deepEqual(addr, { transport: "tcp", hostname: "127.0.0.1", port: server.port });
  });
});

/** An app that streams `body` in two pieces, 20 ms apart, announcing `declared` as its length. */
const SIZED_APP = `export default {
  fetch(request) {
    const url = new URL(request.url);
    const body = url.searchParams.get("body") ?? "";
    const half = Math.floor(body.length / 2);
    const bytes = new TextEncoder().encode(body);
    const stream = new ReadableStream({
      async start(controller) {
        controller.enqueue(bytes.subarray(0, half));
        await new Promise((resolve) => setTimeout(resolve, 20));
        controller.enqueue(bytes.subarray(half));
        controller.close();
      },
    });
    return new Response(stream, { headers: { "content-length": url.searchParams.get("declared") } });
  },
};`;

/**
 * Sends one keep-alive request (a GET of `target`, or the bytes given) and reads to the server's
 * close, or 2 s (an open connection).
 */
async function readToClose(
  port: number,
  target: string,
  request = `GET ${target} HTTP/1.1\r\nHost: t\r\n\r\n`,
): Promise<{ text: string; closed: boolean }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(request));
    const buffer = new Uint8Array(4096);
    let text = "";
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline) {
      const timer = new Promise<"wait">((resolve) =>
        setTimeout(() => resolve("wait"), Math.max(1, deadline - Date.now()))
      );
      const n = await Promise.race([conn.read(buffer), timer]);
      if (n === "wait") break;
      if (n === null) return { text, closed: true };
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
    return { text, closed: false };
  } finally {
    conn.close();
  }
}

Deno.test("an app's Content-Length on a streamed body is sent as given, and held to", async () => {
  await withAppSource(SIZED_APP, ["--workers", "1"], async (server) => {
    const exact = await readToClose(server.port, "/?body=abcdef&declared=6");
    assert.match(exact.text, /^HTTP\/1.1 200 OK\r\n/);
    assert.match(exact.text, /\r\ncontent-length: 6\r\n/);
    assert.doesNotMatch(exact.text, /transfer-encoding/i);
    assert.match(exact.text, /\r\n\r\nabcdef$/);
    assert.equal(exact.closed, false, "a body of its length keeps the connection");
    // Short: 6 of 10 bytes, then the close; the client knows the body is cut.
    const short = await readToClose(server.port, "/?body=abcdef&declared=10");
    assert.match(short.text, /\r\ncontent-length: 10\r\n[^]*\r\n\r\nabcdef$/);
    assert.equal(short.closed, true);
    // Long: less than the 4 bytes announced, then the close: never a body that looks whole.
    const long = await readToClose(server.port, "/?body=abcdef&declared=4");
    assert.match(long.text, /\r\ncontent-length: 4\r\n/);
    assert.ok(long.text.split("\r\n\r\n")[1].length < 4, long.text);
    assert.equal(long.closed, true);
    await server.waitForLine(/ended after 6 of the 10 bytes its Content-Length announced/);
    await server.waitForLine(/longer than its Content-Length of 4 bytes/);
  });
});

Deno.test("an app stream that gives its whole Content-Length and never ends is sent within a second or so, cancelled, and logged at info", async () => {
  // Bound: the body complete within 5 s (it used to wait forever; the bound is 1 s), then the
  // stream's cancel(), the request's signal and info.completed within 5 s more.
  const source = `export default {
    fetch(request, info) {
      request.signal.addEventListener("abort", () => console.log("app: signal aborted"));
      info.completed.then(() => console.log("app: completed"));
      const stream = new ReadableStream({
        start(controller) { controller.enqueue(new TextEncoder().encode("abc")); },
        cancel() { console.log("app: cancelled"); },
      });
      return new Response(stream, { headers: { "content-length": "3" } });
    },
  };`;
  await withAppSource(source, ["--workers", "1"], async (server) => {
    const started = Date.now();
    const response = await fetch(server.url, { signal: AbortSignal.timeout(5_000) });
    assert.equal(await response.text(), "abc");
    assert.ok(Date.now() - started < 5_000);
    await server.waitForLine(/^app: cancelled$/, 5_000);
    await server.waitForLine(/^app: completed$/, 5_000);
    await server.waitForLine(/^app: signal aborted$/, 5_000);
    await server.waitForLine(
      /^Worker 1: note \("GET \/"\): the response stream did not end within 1 s of its Content-Length of 3 bytes/,
    );
    // The connection was kept: a second request on it is answered the same way.
    assert.equal(
      await (await fetch(server.url, { signal: AbortSignal.timeout(5_000) })).text(),
      "abc",
    );
  });
});

Deno.test("no 100 Continue for a body the app never reads: its answer comes first, and alone", async () => {
  const source = `export default {
    async fetch(request) {
      if (new URL(request.url).pathname === "/upload") return new Response(await request.text());
      return new Response("sign in first\\n", { status: 401 });
    },
  };`;
  await withAppSource(source, ["--workers", "1"], async (server) => {
    const ask = (path: string) =>
      `POST ${path} HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n`;
    const refused = await readToClose(server.port, "", ask("/private"));
    assert.match(refused.text, /^HTTP\/1.1 401 Unauthorized\r\n/);
    assert.doesNotMatch(refused.text, /100 Continue/);
    // An app that reads gets the body: the 100 is sent when it reads.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    try {
      await conn.write(new TextEncoder().encode(ask("/upload")));
      const buffer = new Uint8Array(4096);
      const n = await conn.read(buffer);
      assert.match(new TextDecoder().decode(buffer.subarray(0, n!)), /^HTTP\/1.1 100 Continue\r\n/);
      await conn.write(new TextEncoder().encode("hello"));
      let text = "";
      while (!text.endsWith("hello")) {
        const got = await conn.read(buffer);
        assert.ok(got !== null, text);
        text += new TextDecoder().decode(buffer.subarray(0, got));
      }
      assert.match(text, /^HTTP\/1.1 200 OK\r\n/);
    } finally {
      conn.close();
    }
  });
});

Deno.test("an app gets the path the client sent, no host from an empty Host, and one Cookie line", async () => {
  const source = `export default {
    fetch(request) {
      const url = new URL(request.url);
      return Response.json({ host: url.host, path: url.pathname, cookie: request.headers.get("cookie") });
    },
  };`;
  await withAppSource(source, ["--workers", "1"], async (server) => {
    const ask = async (request: string) => {
      const { text } = await readToClose(server.port, "", request);
      const [head, body] = text.split("\r\n\r\n");
      return { status: Number(head.split(" ")[1]), body };
    };
    const empty = await ask("GET /admin/panel HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n");
    assert.equal(empty.status, 400);
    const backslash = await ask(
      "GET /public\\..\\admin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert.equal(backslash.status, 200);
    assert.equal(JSON.parse(backslash.body).path, "/public%5C..%5Cadmin");
    const cookies = await ask(
      "GET / HTTP/1.1\r\nHost: t\r\nCookie: a=1\r\nCookie: b=2\r\nConnection: close\r\n\r\n",
    );
    assert.equal(JSON.parse(cookies.body).cookie, "a=1; b=2");
  });
});
