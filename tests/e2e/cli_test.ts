/**
 * The command line as a user meets it: exit codes and one-line messages.
 */
import assert from "node:assert/strict";
import { runCli, TestServer } from "../_helpers/server.ts";
import { VERSION } from "../../lib/config/version.ts";
import { FLAGS } from "../../lib/config/flags.ts";

const BAD_INVOCATIONS: [args: string[], message: RegExp][] = [
  [["--no-such-flag"], /--no-such-flag.*--help/],
  [["--port", "70000"], /--port: "70000" is out of range: use a whole number from 0 to 65535/],
  [["--port", "eighty"], /--port: expected a whole number/],
  [["--workers", "0"], /--workers: "0" is out of range/],
  [["--header-timeout", "-1"], /'--header-timeout' argument is ambiguous/],
  [["--header-timeout=-1"], /--header-timeout: expected a number at least 0.001, got "-1"/],
  [["/no/such/folder"], /root "\/no\/such\/folder" does not exist/],
  [["--root", new URL(import.meta.url).pathname], /is a file: give a folder to serve/],
  [["a", "b"], /at most one ROOT/],
];

for (const [args, message] of BAD_INVOCATIONS) {
  Deno.test(`heiretsu ${args.join(" ")} exits 2 with one clear line`, async () => {
    const { code, stdout, stderr } = await runCli(args);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, /^heiretsu: /);
    assert.match(stderr, message);
  });
}

Deno.test("heiretsu reads flags from HEIRETSU_* variables and rejects bad ones with exit 2", async () => {
  const { code, stderr } = await runCli([], { HEIRETSU_PORT: "99999" });
  assert.equal(code, 2);
  assert.match(stderr, /HEIRETSU_PORT: "99999" is out of range/);
});

Deno.test("heiretsu --help lists every flag and exits 0", async () => {
  const { code, stdout } = await runCli(["--help"]);
  assert.equal(code, 0);
  for (const flag of FLAGS) assert.match(stdout, new RegExp(`--${flag.name}\\b`));
  assert.match(stdout, /Usage: heiretsu \[ROOT\]/);
});

Deno.test("heiretsu --version prints its version and Deno's", async () => {
  const { code, stdout } = await runCli(["--version"]);
  assert.equal(code, 0);
  assert.equal(stdout, `heiretsu ${VERSION} (deno ${Deno.version.deno}, v8 ${Deno.version.v8})\n`);
});

Deno.test("heiretsu exits 1 with a clear line when the port is taken", async () => {
  const server = await TestServer.start(["--quiet"]);
  try {
    const { code, stderr } = await runCli(["--port", String(server.port)]);
    assert.equal(code, 1);
    assert.match(
      stderr,
      new RegExp(
        `port ${server.port} on 127.0.0.1 is in use: stop the other server or pick another with --port`,
      ),
    );
  } finally {
    await server.stop();
  }
});

Deno.test("heiretsu prints the ready line with host, port, workers and root", async () => {
  const server = await TestServer.start(["--workers", "3"]);
  try {
    const line = await server.waitForLine(/^Server: listening on/);
    const root = Deno.realPathSync(new URL("../../static", import.meta.url));
    assert.equal(
      line,
      `Server: listening on http://127.0.0.1:${server.port} (3 workers, root ${root})`,
    );
    await server.waitForLine(/^Server: 3 workers started$/);
    assert.ok(server.lines.indexOf("Server: 3 workers started") < server.lines.indexOf(line));
    assert.ok(
      !server.lines.some((l) => /^Worker \d+: started$/.test(l)),
      "one line, not one per worker",
    );
  } finally {
    await server.stop();
  }
});

Deno.test("the default site is served at / with its stylesheet and image", async () => {
  const server = await TestServer.start(["--quiet"]);
  try {
    const page = await (await fetch(`${server.url}/`)).text();
    assert.match(page, /heiretsu/);
    for (const [path, type] of [["/style.css", "text/css"], ["/logo.svg", "image/svg\\+xml"]]) {
      assert.match(page, new RegExp(path.slice(1).replace(".", "\\.")));
      const response = await fetch(`${server.url}${path}`);
      await response.body?.cancel();
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", new RegExp(`^${type}`));
    }
  } finally {
    await server.stop();
  }
});
