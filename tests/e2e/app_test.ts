/**
 * The app bridge over real sockets: `--app` modules in the `deno serve` convention.
 */
import assert from "node:assert/strict";
import { runCli, TestServer } from "../_helpers/server.ts";
import { connect, exchange, writeAll } from "../_helpers/http.ts";
import { waitFor } from "../_helpers/wait.ts";
import { type TestSite, withSiteServer } from "../_helpers/site.ts";

const APP = new URL("../fixtures/bridge_app.ts", import.meta.url).pathname;
const encoder = new TextEncoder();

/** A server on a fresh test site with the bridge test app. */
function withApp(
  options: { args?: string[]; root?: boolean; denoFlags?: string[] },
  fn: (server: TestServer, site: TestSite) => Promise<void>,
): Promise<void> {
  return withSiteServer({ ...options, args: ["--app", APP, ...(options.args ?? [])] }, fn);
}

Deno.test("app receives method, absolute URL, query, headers, body and client address", async () => {
  await withApp({}, async (server) => {
    const response = await fetch(`${server.url}/echo?a=1&b=two`, {
      method: "PUT",
      headers: { "x-test": "yes", "content-type": "text/plain" },
      body: "hello body",
    });
    const echo = await response.json();
    assert.equal(echo.method, "PUT");
    assert.equal(echo.url, `${server.url}/echo?a=1&b=two`);
    assert.deepEqual(echo.query, { a: "1", b: "two" });
    assert.equal(echo.headers["x-test"], "yes");
    assert.equal(echo.body, "hello body");
    assert.equal(echo.remote, "127.0.0.1");
    assert.ok(echo.port > 0);
  });
});

Deno.test("app reads urlencoded and JSON POST bodies and a chunked request body", async () => {
  await withApp({}, async (server) => {
    const form = await fetch(`${server.url}/form`, {
      method: "POST",
      body: new URLSearchParams({ x: "1", y: "é" }),
    });
    assert.deepEqual(await form.json(), { x: "1", y: "é" });
    const json = await fetch(`${server.url}/json`, {
      method: "POST",
      body: JSON.stringify({ n: [1, 2] }),
    });
    assert.deepEqual(await json.json(), { received: { n: [1, 2] } });
    const chunked =
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    const [response] = await exchange(server.port, chunked);
    assert.equal(JSON.parse(new TextDecoder().decode(response.body)).body, "hello world");
  });
});

Deno.test("app responses keep status and headers, each Set-Cookie, and lose hop-by-hop headers", async () => {
  await withApp({}, async (server) => {
    const [teapot] = await exchange(
      server.port,
      "GET /status HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert.equal(teapot.status, 418);
    assert.equal(teapot.headers.get("x-custom"), "yes");
    const raw = await rawText(
      server.port,
      "GET /cookies HTTP/1.1\r\nHost: t\r\n\r\nGET /fast HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert.match(raw, /\r\nset-cookie: a=1; Path=\/\r\n/);
    assert.match(raw, /\r\nset-cookie: b=2; HttpOnly\r\n/);
    assert.doesNotMatch(raw, /transfer-encoding: gzip/i);
    // The app's "connection: close" did not close the connection: the second response came.
    assert.match(raw, /fast\n$/);
  });
});

Deno.test("app responses get each --header the app did not set itself", async () => {
  const args = ["--header", "X-Frame-Options: DENY", "--header", "X-Custom: from-flag"];
  await withApp({ args }, async (server) => {
    const [teapot, missing] = await exchange(
      server.port,
      "GET /status HTTP/1.1\r\nHost: t\r\n\r\nGET /nothing.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert.equal(teapot.headers.get("x-frame-options"), "DENY");
    assert.equal(teapot.headers.get("x-custom"), "yes");
    assert.equal(missing.headers.get("x-frame-options"), "DENY");
  });
});

Deno.test("app bodies complete at once get Content-Length, streamed ones go out chunked as written", async () => {
  await withApp({}, async (server) => {
    const large = await fetch(`${server.url}/large?n=300000`);
    assert.equal(large.headers.get("content-length"), "300000");
    assert.equal((await large.text()).length, 300000);
    const started = performance.now();
    const stream = await fetch(`${server.url}/stream`);
    assert.equal(stream.headers.get("transfer-encoding"), "chunked");
    const reader = stream.body!.getReader();
    const first = await reader.read();
    const firstMs = performance.now() - started;
    assert.equal(new TextDecoder().decode(first.value), "data: 0\n\n");
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += new TextDecoder().decode(chunk.value);
    }
    const allMs = performance.now() - started;
    assert.equal(rest, "data: 1\n\ndata: 2\n\n");
    // The first event arrived well before the stream ended (it lasts ~900 ms).
    assert.ok(firstMs < allMs / 2, `first event after ${firstMs} ms, end after ${allMs} ms`);
  });
});

Deno.test("app answers HEAD with GET's headers and no body", async () => {
  await withApp({}, async (server) => {
    const [head, get] = await exchange(
      server.port,
      "HEAD /large?n=1234 HTTP/1.1\r\nHost: t\r\n\r\nGET /large?n=1234 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
      { headRequests: [0] },
    );
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), "1234");
    assert.equal(head.body.byteLength, 0);
    assert.equal(get.body.byteLength, 1234);
  });
});

Deno.test("app errors become 500 with the stack in the log only, and the server goes on", async () => {
  await withApp({}, async (server) => {
    for (const path of ["/throw", "/reject"]) {
      const response = await fetch(`${server.url}${path}`);
      const text = await response.text();
      assert.equal(response.status, 500);
      assert.doesNotMatch(text, /on purpose|at /);
    }
    await server.waitForLine(/handler failed on purpose/);
    await server.waitForLine(/handler rejected on purpose/);
    assert.equal(await (await fetch(`${server.url}/fast`)).text(), "fast\n");
  });
});

Deno.test("app bodies over --max-body get 413, declared or streamed", async () => {
  await withApp({ args: ["--max-body", "1000"] }, async (server) => {
    const declared = await exchange(
      server.port,
      `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n${"x".repeat(5000)}`,
    );
    assert.deepEqual(declared.map((r) => r.status), [413]);
    const chunk = "x".repeat(800);
    const streamed = await exchange(
      server.port,
      `POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n320\r\n${chunk}\r\n320\r\n${chunk}\r\n0\r\n\r\n`,
    );
    assert.deepEqual(streamed.map((r) => r.status), [413]);
  });
});

Deno.test("app request.signal aborts when the client disconnects", async () => {
  await withApp({ args: ["--workers", "1"] }, async (server) => {
    const conn = await connect(server.port);
    await writeAll(conn, encoder.encode("GET /hang HTTP/1.1\r\nHost: t\r\n\r\n"));
    await new Promise((resolve) => setTimeout(resolve, 200));
    conn.close();
    const count = await waitFor(async () => {
      const text = await (await fetch(`${server.url}/aborted`)).text();
      return text !== "0" && text;
    }, { timeoutMs: 5000, what: "the app to count the aborted request", pollMs: 50 });
    assert.equal(count, "1");
  });
});

Deno.test("app shares the server with static files: GET and HEAD of a file are static, the rest the app's", async () => {
  await withApp({}, async (server) => {
    assert.equal(await (await fetch(`${server.url}/hello.txt`)).text(), "hello, world\n");
    assert.equal(await (await fetch(`${server.url}/fast`)).text(), "fast\n");
    const post = await fetch(`${server.url}/hello.txt`, { method: "POST", body: "x" });
    assert.equal(post.status, 404);
    assert.equal(await post.text(), "app 404\n");
  });
  await withApp({ root: false }, async (server) => {
    // Without a ROOT, the built-in site does not shadow the app.
    assert.equal(await (await fetch(`${server.url}/`)).text(), "app 404\n");
    await server.waitForLine(/^Server: listening on .*\(\d+ workers, \d+ I\/O threads?, app file:/);
  });
});

Deno.test("app workers get only the permissions given on the command line", async () => {
  const app = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(
    app,
    `export default { fetch() { return new Response(Deno.env.get("HOME") ?? "unset"); } };`,
  );
  try {
    const denied = await TestServer.start(["--app", app, "--quiet"], ["--allow-env"]);
    try {
      assert.equal((await fetch(`${denied.url}/`)).status, 500);
    } finally {
      await denied.stop();
    }
    const allowed = await TestServer.start(["--app", app, "--quiet", "--allow-env=HOME"], [
      "--allow-env",
    ]);
    try {
      assert.equal(await (await fetch(`${allowed.url}/`)).text(), Deno.env.get("HOME"));
    } finally {
      await allowed.stop();
    }
  } finally {
    await Deno.remove(app);
  }
});

Deno.test("heiretsu --app exits 1 with a clear line when the module has no fetch", async () => {
  const app = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(app, "export default { handler() {} };");
  try {
    const { code, stderr } = await runCli(["--app", app, "--port", "0"]);
    assert.equal(code, 1);
    assert.match(stderr, /default export must have a fetch\(request, info\) method/);
    const missing = await runCli(["--app", "/no/such/app.ts"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /app "\/no\/such\/app.ts" does not exist/);
  } finally {
    await Deno.remove(app);
  }
});

async function rawText(port: number, request: string): Promise<string> {
  const conn = await connect(port);
  try {
    await writeAll(conn, encoder.encode(request));
    let text = "";
    const buffer = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) return text;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
  } finally {
    conn.close();
  }
}
