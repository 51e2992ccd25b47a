import assert from "node:assert/strict";
import { makeCertificate, rotate } from "../../bench/io_threads.ts";

Deno.test("rotate() shifts the order by one each round, so two servers alternate", () => {
  assert.deepEqual([0, 1, 2, 3].map((round) => rotate(["k1", "k2"], round)), [
    ["k1", "k2"],
    ["k2", "k1"],
    ["k1", "k2"],
    ["k2", "k1"],
  ]);
  assert.deepEqual(rotate(["a", "b", "c"], 1), ["b", "c", "a"]);
  assert.deepEqual(rotate(["a", "b", "c"], 5), ["c", "a", "b"]);
  assert.deepEqual(rotate([], 3), []);
});

Deno.test("makeCertificate() writes a certificate for 127.0.0.1 that a TLS listener serves", async () => {
  const dir = await Deno.makeTempDir({ prefix: "heiretsu-cert-" });
  try {
    const certificate = await makeCertificate(dir);
    assert.ok(certificate, "openssl made no certificate");
    const cert = await Deno.readTextFile(certificate.certFile);
    const key = await Deno.readTextFile(certificate.keyFile);
    assert.match(cert, /^-----BEGIN CERTIFICATE-----/);
    using listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
    const accepted = listener.accept().then(async (conn) => {
      await conn.handshake();
      conn.close();
    });
    const conn = await Deno.connectTls({
      hostname: "127.0.0.1",
      port: listener.addr.port,
      caCerts: [cert],
    });
    await conn.handshake();
    conn.close();
    await accepted;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
