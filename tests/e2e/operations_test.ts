/**
 * Running heiretsu in production: HTTPS, the connection limit, the health check during a
 * rolling restart, access-log formats, and refusing to publish the whole disk.
 */
import assert from "node:assert/strict";
import { runCli, TestServer } from "../_helpers/server.ts";
import { connect, exchange, readResponses, writeAll } from "../_helpers/http.ts";
import { makeSite, withSiteServer } from "../_helpers/site.ts";
import { makeCertificate, withTlsServer } from "../_helpers/certificate.ts";

const encoder = new TextEncoder();

Deno.test("server speaks HTTPS with --cert and --key", async () => {
  await withTlsServer(["--quiet"], async (server, client) => {
    const line = await server.waitForLine(/^Server: listening on/);
    assert.match(line, /^Server: listening on https:\/\/127\.0\.0\.1:\d+ /);
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`https://127.0.0.1:${server.port}/hello.txt`, { client });
      assert.equal(await response.text(), "hello, world\n");
    }
  });
});
Deno.test("heiretsu refuses half a TLS setup or unreadable PEM files with exit 2", async () => {
  const site = await makeSite();
  try {
    const { cert } = await makeCertificate(site.root);
    const half = await runCli(["--root", site.root, "--cert", cert]);
    assert.equal(half.code, 2);
    assert.match(half.stderr, /HTTPS needs both --cert and --key/);
    const missing = await runCli([
      "--root",
      site.root,
      "--cert",
      cert,
      "--key",
      `${site.root}/nope.pem`,
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--key ".*nope.pem" cannot be read/);
    const notPem = await runCli([
      "--root",
      site.root,
      "--cert",
      cert,
      "--key",
      `${site.root}/hello.txt`,
    ]);
    assert.equal(notPem.code, 2);
    assert.match(notPem.stderr, /is not a PEM file/);
  } finally {
    await site.remove();
  }
});

Deno.test("server closes connections beyond --max-connections at once and keeps serving the others", async () => {
  const site = await makeSite();
  const server = await TestServer.start(["--root", site.root, "--max-connections", "5"]);
  const held: Deno.TcpConn[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const conn = await connect(server.port);
      await writeAll(conn, encoder.encode("GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"));
      assert.equal((await readResponses(conn, { responses: 1 }))[0].status, 200);
      held.push(conn);
    }
    const extra = await connect(server.port);
    const refused = await readResponses(extra).catch(() => []);
    extra.close();
    assert.deepEqual(refused, []);
    await server.waitForLine(
      /^Server: 5 connections open \(--max-connections\); refusing new ones$/,
    );
    // The accepted connections still work.
    await writeAll(held[0], encoder.encode("GET /data.json HTTP/1.1\r\nHost: t\r\n\r\n"));
    assert.equal((await readResponses(held[0], { responses: 1 }))[0].status, 200);
  } finally {
    for (const conn of held) conn.close();
    await server.stop();
    await site.remove();
  }
});

Deno.test("health check answers 200, then 503 for --drain-delay while still serving", async () => {
  const site = await makeSite();
  const health =
    "GET /.well-known/heiretsu/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  const server = await TestServer.start([
    "--root",
    site.root,
    "--quiet",
    "--health",
    "/.well-known/heiretsu/health",
    "--drain-delay",
    "1",
  ]);
  try {
    const [ok] = await exchange(server.port, health);
    assert.equal(ok.status, 200);
    assert.equal(new TextDecoder().decode(ok.body), "ok\n");
    const ask = (target: string) =>
      `GET ${target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`;
    const [query] = await exchange(server.port, ask("/.well-known/heiretsu/health?probe=1"));
    assert.equal(query.status, 200, "a query does not change the path");
    const [longer] = await exchange(server.port, ask("/.well-known/heiretsu/healthz"));
    assert.equal(longer.status, 404, "a longer path is not the health check");
    const stopping = server.stop();
    await server.waitForLine(/^Server: shutting down; health check says 503 for 1 s$/);
    // New connections are still accepted and served; only the health check changed.
    const [draining] = await exchange(server.port, health);
    assert.equal(draining.status, 503);
    const [file] = await exchange(
      server.port,
      "GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert.equal(file.status, 200);
    assert.equal((await stopping).code, 0);
  } finally {
    await site.remove();
  }
});

Deno.test("access log comes in the heiretsu, common, combined and json formats", async () => {
  const site = await makeSite();
  try {
    const request =
      "GET /hello.txt HTTP/1.1\r\nHost: t\r\nReferer: http://r.example/\r\nUser-Agent: tester\r\nConnection: close\r\n\r\n";
    const expected: Record<string, RegExp> = {
      heiretsu: /^127\.0\.0\.1 - - \[.+\] "GET \/hello.txt HTTP\/1.1" 200 \d+ [\d.]+ms worker=\d+$/,
      common: /^127\.0\.0\.1 - - \[.+\] "GET \/hello.txt HTTP\/1.1" 200 \d+$/,
      combined:
        /^127\.0\.0\.1 - - \[.+\] "GET \/hello.txt HTTP\/1.1" 200 \d+ "http:\/\/r.example\/" "tester"$/,
      json:
        /^\{"time":"[^"]+","remote":"127\.0\.0\.1","requestLine":"GET \/hello.txt HTTP\/1.1","status":200,/,
    };
    for (const [format, pattern] of Object.entries(expected)) {
      const server = await TestServer.start(["--root", site.root, "--log-format", format]);
      try {
        await exchange(server.port, request);
        assert.match(await server.waitForLine(/GET \/hello.txt/), pattern, format);
      } finally {
        await server.stop();
      }
    }
  } finally {
    await site.remove();
  }
});

Deno.test("heiretsu refuses to serve / unless --allow-root-dir is given", async () => {
  const refused = await runCli(["/"]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /root "\/" would publish the whole disk/);
  const server = await TestServer.start(["/", "--allow-root-dir", "--quiet"]);
  try {
    assert.match(await server.waitForLine(/^Server: listening/), /root \/\)$/);
  } finally {
    await server.stop();
  }
});

Deno.test("heiretsu --health-check exits 0 for a healthy server and 1 for a missing path or no server, baked app or not", async () => {
  await withSiteServer({ args: ["--health", "/healthz", "--quiet"] }, async (server) => {
    const url = `http://127.0.0.1:${server.port}/healthz`;
    assert.equal((await runCli(["--health-check", url])).code, 0);
    // A binary with its app inside puts --baked-app first: the person's first argument still counts.
    const baked = await runCli(["--baked-app", "examples/time.ts", "--health-check", url]);
    assert.equal(baked.code, 0, baked.stderr);
    const env = { HEIRETSU_PORT: String(server.port), HEIRETSU_HEALTH: "/healthz" };
    assert.equal((await runCli(["--health-check"], env)).code, 0);
    assert.equal(
      (await runCli(["--health-check", `http://127.0.0.1:${server.port}/missing`])).code,
      1,
    );
  });
  const closed = await runCli(["--health-check", "http://127.0.0.1:9/healthz"]);
  assert.equal(closed.code, 1);
  assert.match(closed.stderr, /did not answer/);
});

Deno.test("server takes a certificate and key kept in one PEM file", async () => {
  const site = await makeSite();
  const { ca, cert, key } = await makeCertificate(site.root);
  const combined = `${site.root}/combined.pem`;
  await Deno.writeTextFile(
    combined,
    (await Deno.readTextFile(cert)) + await Deno.readTextFile(key),
  );
  const server = await TestServer.start([site.root, "--cert", combined, "--key", combined, "-q"]);
  const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(ca)] });
  try {
    const response = await fetch(`https://127.0.0.1:${server.port}/hello.txt`, { client });
    assert.equal(await response.text(), "hello, world\n");
  } finally {
    client.close();
    await server.stop();
    await site.remove();
  }
});
