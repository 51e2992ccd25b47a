/**
 * Integration tests: the real server as a subprocess, over real sockets.
 */
import assert from "node:assert/strict";
import { connect, exchange, readResponses, writeAll } from "../_helpers/http.ts";
import { sha256, sha256File, withSiteServer } from "../_helpers/site.ts";

Deno.test("server answers GET with the file, its type and length", async () => {
  await withSiteServer({}, async (server) => {
    const response = await fetch(`${server.url}/hello.txt`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(response.headers.get("content-length"), "13");
    assert.match(response.headers.get("server") ?? "", /^heiretsu\//);
    assert.ok(response.headers.get("date"));
    assert.equal(await response.text(), "hello, world\n");
  });
});

Deno.test("server answers HEAD with GET's headers and no body", async () => {
  await withSiteServer({}, async (server) => {
    const [head, get] = await exchange(
      server.port,
      "HEAD /data.json HTTP/1.1\r\nHost: t\r\n\r\nGET /data.json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
      { headRequests: [0] },
    );
    assert.equal(head.status, 200);
    assert.equal(head.body.byteLength, 0);
    assert.equal(head.headers.get("content-length"), "12");
    assert.equal(head.headers.get("content-type"), get.headers.get("content-type"));
    assert.equal(new TextDecoder().decode(get.body), '{"ok":true}\n');
  });
});

Deno.test("server serves index.html for / and for a folder with a slash", async () => {
  await withSiteServer({}, async (server) => {
    assert.match(await (await fetch(`${server.url}/`)).text(), /home page/);
    assert.match(await (await fetch(`${server.url}/docs/`)).text(), /docs/);
  });
});

Deno.test("server redirects a folder without slash with 301, keeping the query", async () => {
  await withSiteServer({}, async (server) => {
    const response = await fetch(`${server.url}/docs?x=1`, { redirect: "manual" });
    await response.body?.cancel();
    assert.equal(response.status, 301);
    assert.equal(response.headers.get("location"), "/docs/?x=1");
  });
});

Deno.test("server answers 404 with an HTML page for a missing file and a folder without index", async () => {
  await withSiteServer({}, async (server) => {
    for (const path of ["/missing.txt", "/empty/"]) {
      const response = await fetch(`${server.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
      assert.match(await response.text(), /404 Not Found/);
    }
  });
});

Deno.test("server answers 405 with Allow for POST and 204 with Allow for OPTIONS", async () => {
  await withSiteServer({}, async (server) => {
    const post = await fetch(`${server.url}/hello.txt`, { method: "POST", body: "x=1" });
    await post.body?.cancel();
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD, OPTIONS");
    const options = await fetch(`${server.url}/hello.txt`, { method: "OPTIONS" });
    await options.body?.cancel();
    assert.equal(options.status, 204);
    assert.equal(options.headers.get("allow"), "GET, HEAD, OPTIONS");
  });
});

Deno.test("server serves a file with a unicode name", async () => {
  await withSiteServer({}, async (server) => {
    const response = await fetch(`${server.url}/${encodeURIComponent("café ☕.txt")}`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "unicode name\n");
  });
});

Deno.test("server never serves outside the root, however the path is encoded", async () => {
  await withSiteServer({}, async (server) => {
    for (
      const path of [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%252e%252e/etc/passwd",
        "/docs/..%2f..%2fetc/passwd",
      ]
    ) {
      const [response] = await exchange(
        server.port,
        `GET ${path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
      );
      assert.ok([400, 404].includes(response.status), `${path}: ${response.status}`);
      assert.doesNotMatch(new TextDecoder().decode(response.body), /root:/);
    }
  });
});

Deno.test("server streams a 50 MiB file byte-exact", async () => {
  await withSiteServer({ largeBytes: 50 * 1024 * 1024 }, async (server, site) => {
    const response = await fetch(`${server.url}/large.bin`);
    assert.equal(response.headers.get("content-length"), String(50 * 1024 * 1024));
    const body = new Uint8Array(await response.arrayBuffer());
    assert.equal(await sha256(body), await sha256File(`${site.root}/large.bin`));
  });
});

Deno.test("server answers 200 concurrent clients", async () => {
  await withSiteServer({}, async (server) => {
    const results = await Promise.all(
      Array.from(
        { length: 200 },
        () =>
          exchange(server.port, "GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
      ),
    );
    for (const [response] of results) {
      assert.equal(response.status, 200);
      assert.equal(new TextDecoder().decode(response.body), "hello, world\n");
    }
  });
});

Deno.test("server keeps a connection alive across several requests", async () => {
  await withSiteServer({}, async (server) => {
    const conn = await connect(server.port);
    try {
      for (const path of ["/hello.txt", "/data.json", "/missing", "/hello.txt"]) {
        await writeAll(conn, new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`));
        const [response] = await readResponses(conn, { responses: 1 });
        assert.equal(response.status, path === "/missing" ? 404 : 200);
        assert.equal(response.headers.get("connection"), undefined);
      }
    } finally {
      conn.close();
    }
  });
});

Deno.test("server answers 5 pipelined requests in order", async () => {
  await withSiteServer({}, async (server) => {
    const paths = ["/hello.txt", "/data.json", "/missing", "/docs/", "/hello.txt"];
    const request = paths.map((p) => `GET ${p} HTTP/1.1\r\nHost: t\r\n\r\n`).join("");
    const responses = await exchange(server.port, request, { responses: 5 });
    assert.deepEqual(responses.map((r) => r.status), [200, 200, 404, 200, 200]);
    assert.equal(new TextDecoder().decode(responses[0].body), "hello, world\n");
    assert.equal(new TextDecoder().decode(responses[1].body), '{"ok":true}\n');
    assert.match(new TextDecoder().decode(responses[3].body), /docs/);
  });
});

Deno.test("server keeps HTTP/1.0 alive only when asked, and echoes keep-alive", async () => {
  await withSiteServer({}, async (server) => {
    const [closed] = await exchange(server.port, "GET /hello.txt HTTP/1.0\r\n\r\n");
    assert.equal(closed.headers.get("connection"), "close");
    const responses = await exchange(
      server.port,
      "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /data.json HTTP/1.0\r\n\r\n",
    );
    assert.equal(responses.length, 2);
    assert.equal(responses[0].headers.get("connection"), "keep-alive");
    assert.equal(responses[1].headers.get("connection"), "close");
  });
});

Deno.test("server drains an unread request body so the next pipelined request stays aligned", async () => {
  await withSiteServer({}, async (server) => {
    const body = "a".repeat(100_000);
    const request =
      `POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
      "GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n" +
      "POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" +
      "GET /data.json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    const responses = await exchange(server.port, request);
    assert.deepEqual(responses.map((r) => r.status), [405, 200, 405, 200]);
    assert.equal(new TextDecoder().decode(responses[3].body), '{"ok":true}\n');
  });
});

Deno.test("server refuses a body over --max-body with 413 and closes", async () => {
  await withSiteServer({ args: ["--max-body", "1000"] }, async (server) => {
    const responses = await exchange(
      server.port,
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + "x".repeat(5000),
    );
    assert.deepEqual(responses.map((r) => r.status), [413]);
    assert.equal(responses[0].headers.get("connection"), "close");
  });
});

Deno.test("server writes an access-log line per request unless --quiet", async () => {
  await withSiteServer({}, async (server) => {
    await (await fetch(`${server.url}/hello.txt`)).text();
    const line = await server.waitForLine(/"GET \/hello.txt HTTP\/1.1" 200/);
    assert.match(
      line,
      /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/hello.txt HTTP\/1.1" 200 \d+ [\d.]+ms worker=\d+$/,
    );
  });
  await withSiteServer({ args: ["--quiet"] }, async (server) => {
    await (await fetch(`${server.url}/hello.txt`)).text();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(server.lines.filter((l) => l.includes("GET /hello.txt")).length, 0);
  });
});
