/**
 * heiretsu loaded from a URL, as a registry import would load it: this clone is served over
 * HTTP (by heiretsu itself) and a separate Deno process, with no config, imports mod.ts from
 * there. Nothing may assume its code is on disk: there is no built-in site (a root must be
 * given), and the workers get no read grant for code they load over the network.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { serve } from "../../mod.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

Deno.test("mod.ts imported from an http: URL serves a root and asks for one", async () => {
  const origin = await serve({ root: REPO, port: 0, workers: 1, quiet: true });
  const site = await Deno.makeTempDir();
  await Deno.writeTextFile(`${site}/a.txt`, "remote\n");
  const script = `
    const { serve } = await import("${origin.url}/mod.ts");
    try { await serve({ port: 0, workers: 1, quiet: true }); }
    catch (error) { console.log("no root:", error.message); }
    const server = await serve({ root: ${JSON.stringify(site)}, port: 0, workers: 1, quiet: true });
    console.log("body:", await (await fetch(server.url + "/a.txt")).text());
    await server.shutdown();
  `;
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--unstable-worker-options",
        "--allow-read",
        "--allow-net",
        "--allow-env",
        `--allow-import=${origin.addr.hostname}:${origin.addr.port}`,
        "-",
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(script));
    await writer.close();
    const { code, stdout, stderr } = await child.output();
    const out = new TextDecoder().decode(stdout);
    assert.equal(code, 0, `${out}\n${new TextDecoder().decode(stderr)}`);
    assert.match(out, /no root: no built-in site here \(loaded from a URL\)/);
    assert.match(out, /body: remote\n/);
  } finally {
    await origin.shutdown();
    await Deno.remove(site, { recursive: true });
  }
});
