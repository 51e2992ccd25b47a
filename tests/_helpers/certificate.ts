/**
 * Test helper: a throwaway CA and a certificate it signed for 127.0.0.1 and localhost, made
 * with openssl.
 *
 * @module
 */
import { TestServer } from "./server.ts";
import { makeSite, type TestSite } from "./site.ts";

/** Runs openssl with `args`, failing the test with its message. */
async function openssl(args: string[], cwd: string): Promise<void> {
  const { success, stderr } = await new Deno.Command("openssl", {
    args,
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(stderr)}`);
}

/** A test CA and a certificate it signed for 127.0.0.1 and localhost, made with openssl. */
export async function makeCertificate(
  dir: string,
): Promise<{ ca: string; cert: string; key: string }> {
  const days = ["-days", "1"];
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    ...days,
    "-subj",
    "/CN=heiretsu test CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
  ], dir);
  await openssl([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=localhost",
    "-keyout",
    "key.pem",
    "-out",
    "leaf.csr",
  ], dir);
  await Deno.writeTextFile(
    `${dir}/leaf.ext`,
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    ...days,
    "-extfile",
    "leaf.ext",
    "-out",
    "cert.pem",
  ], dir);
  return { ca: `${dir}/ca.pem`, cert: `${dir}/cert.pem`, key: `${dir}/key.pem` };
}

/**
 * Runs `fn` against a server on a fresh site over HTTPS with a fresh certificate, then stops it.
 *
 * @param args server flags after the root and certificate
 * @param fn the test body: the server, a client that trusts the CA, the CA's PEM, the site
 */
export async function withTlsServer(
  args: string[],
  fn: (server: TestServer, client: Deno.HttpClient, ca: string, site: TestSite) => Promise<void>,
): Promise<void> {
  const site = await makeSite();
  const { ca, cert, key } = await makeCertificate(site.root);
  const server = await TestServer.start([
    "--root",
    site.root,
    "--cert",
    cert,
    "--key",
    key,
    ...args,
  ]);
  const caText = await Deno.readTextFile(ca);
  const client = Deno.createHttpClient({ caCerts: [caText] });
  try {
    await fn(server, client, caText, site);
  } finally {
    client.close();
    await server.stop();
    await site.remove();
  }
}
