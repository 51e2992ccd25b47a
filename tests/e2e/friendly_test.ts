/**
 * @module
 * What a person meets at the command line: TLS errors in words, plain HTTP on the HTTPS port
 * answered, a missing root named as missing, unknown flags with a suggestion, and the start-up
 * lines.
 */
import assert from "node:assert/strict";
import { runCli, TestServer } from "../_helpers/server.ts";
import { exchange } from "../_helpers/http.ts";
import { makeSite } from "../_helpers/site.ts";
import { makeCertificate } from "../_helpers/certificate.ts";

Deno.test("a key that does not match the certificate is named with both files, exit 1", async () => {
  const site = await makeSite();
  try {
    const first = await makeCertificate(site.root);
    await Deno.mkdir(`${site.root}/other`);
    const second = await makeCertificate(`${site.root}/other`);
    const { code, stderr } = await runCli([
      "--cert",
      first.cert,
      "--key",
      second.key,
      "--port",
      "0",
    ]);
    assert.equal(code, 1);
    assert.match(
      stderr,
      new RegExp(`the key in ${second.key} does not match the certificate in ${first.cert}`),
    );
    const swapped = await runCli(["--cert", first.key, "--key", first.key, "--port", "0"]);
    assert.equal(swapped.code, 1);
    assert.match(swapped.stderr, new RegExp(`no certificate found in ${first.key}`));
  } finally {
    await site.remove();
  }
});

Deno.test("plain HTTP sent to the HTTPS port gets a 400 that says the port speaks HTTPS", async () => {
  const site = await makeSite();
  const { cert, key } = await makeCertificate(site.root);
  const server = await TestServer.start(["--root", site.root, "--cert", cert, "--key", key]);
  try {
    const [response] = await exchange(server.port, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert.equal(response.status, 400);
    assert.match(new TextDecoder().decode(response.body), /This port speaks HTTPS/);
  } finally {
    await server.stop();
    await site.remove();
  }
});

Deno.test("a root that does not exist is named as missing; an unknown flag gets a suggestion", async () => {
  const missing = await runCli(["--root", "/no/such/folder/here"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /root "\/no\/such\/folder\/here" does not exist/);
  const typo = await runCli(["--prot", "8080"]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /^heiretsu: unknown flag --prot: did you mean --port\?/);
});

Deno.test("start-up names the features that are on and, on 0.0.0.0, where to open it", async () => {
  const server = await TestServer.start(
    ["--host", "0.0.0.0", "--list", "--spa", "--compress"],
    ["--allow-net=0.0.0.0,127.0.0.1"],
  );
  try {
    const line = await server.waitForLine(/^Server: listening on/);
    assert.match(line, /\(\d+ workers, \d+ I\/O threads?, root .*; --list, --spa, --compress\)$/);
    const open = await server.waitForLine(/^Server: open /);
    assert.match(open, new RegExp(`^Server: open http://127\\.0\\.0\\.1:${server.port}`));
    assert.match(open, /--allow-sys=networkInterfaces/, "the test server may not list them");
  } finally {
    await server.stop();
  }
});

Deno.test("a second Ctrl-C during the grace period stops at once; the first says so", async () => {
  const site = await makeSite({ largeBytes: 16 * 1024 * 1024 });
  const server = await TestServer.start(["--root", site.root, "--grace", "30", "--quiet"]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    const request = "GET /large.bin HTTP/1.1\r\nHost: t\r\n\r\n";
    await conn.write(new TextEncoder().encode(request));
    await conn.read(new Uint8Array(1024)); // in flight, and never read further
    Deno.kill(server.pid, "SIGINT");
    await server.waitForLine(/^Server: shutting down; press Ctrl-C again to stop at once$/);
    // A person's second Ctrl-C comes later than the same signal delivered twice (see below).
    await new Promise((resolve) => setTimeout(resolve, 700));
    const started = Date.now();
    const status = await server.stop(); // SIGTERM: the second signal
    assert.equal(status.code, 130);
    assert.ok(Date.now() - started < 10_000, "well within the 30 s grace");
    assert.ok(server.lines.includes("Server: stopping at once (second signal)"));
  } finally {
    conn.close();
    await site.remove();
  }
});

Deno.test("one Ctrl-C delivered twice (to the process group and forwarded by deno task) still drains", async () => {
  const site = await makeSite({ largeBytes: 4 * 1024 * 1024 });
  const server = await TestServer.start(["--root", site.root, "--grace", "30", "--quiet"]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    await conn.write(new TextEncoder().encode("GET /large.bin HTTP/1.1\r\nHost: t\r\n\r\n"));
    const buffer = new Uint8Array(64 * 1024);
    let received = await conn.read(buffer) ?? 0;
    Deno.kill(server.pid, "SIGINT");
    Deno.kill(server.pid, "SIGINT");
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) received += n;
    assert.ok(received > 4 * 1024 * 1024, `the download was cut after ${received} bytes`);
    const status = await server.stop();
    assert.equal(status.code, 0);
    assert.ok(!server.lines.includes("Server: stopping at once (second signal)"));
  } finally {
    conn.close();
    await site.remove();
  }
});
