/**
 * The command line as a user meets it: exit codes and one-line messages.
 */
import assert from "node:assert/strict";
import { runCli, TestServer } from "../_helpers/server.ts";
import { VERSION } from "../../lib/config/version.ts";
import { FLAGS } from "../../lib/config/flags.ts";
import { REPO, runTask, startServeTask } from "../_helpers/task.ts";

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

Deno.test("heiretsu --help-all lists every flag, --help the everyday groups, within 100 columns", async () => {
  const all = await runCli(["--help-all"]);
  assert.equal(all.code, 0);
  for (const flag of FLAGS) assert.match(all.stdout, new RegExp(`--${flag.name}\\b`));
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: heiretsu \[ROOT\]/);
  for (const heading of ["Examples:", "Serving files:", "Apps ", "TLS (HTTPS):", "Logs "]) {
    assert.ok(help.stdout.includes(`\n${heading}`), heading);
  }
  assert.ok(all.stdout.includes("\nLimits and timeouts:\n"));
  for (const line of `${help.stdout}${all.stdout}`.split("\n")) {
    assert.ok(line.length <= 100, `${line.length} columns: ${line}`);
  }
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

Deno.test("heiretsu prints the ready line with host, port, workers, I/O threads and root", async () => {
  const server = await TestServer.start(["--workers", "3", "--io-threads", "2"]);
  try {
    const line = await server.waitForLine(/^Server: listening on/);
    const root = Deno.realPathSync(new URL("../../static", import.meta.url));
    assert.equal(
      line,
      `Server: listening on http://127.0.0.1:${server.port} (3 workers, 2 I/O threads, root ${root})`,
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

/** A folder outside the clone with a page that says which folder it is. */
async function siteFolder(): Promise<{ dir: string; token: string }> {
  const dir = Deno.realPathSync(await Deno.makeTempDir({ prefix: "heiretsu-site-" }));
  const token = `site ${crypto.randomUUID()}`;
  await Deno.mkdir(`${dir}/public`);
  await Deno.writeTextFile(`${dir}/public/index.html`, token);
  return { dir, token };
}

Deno.test("deno task serve -- public, typed in another folder, serves that folder's public/", async () => {
  const { dir, token } = await siteFolder();
  try {
    const server = await startServeTask(["public", "--port", "0", "--workers", "1", "-q"], dir);
    try {
      assert.equal(await (await fetch(server.url)).text(), token);
      assert.ok(
        server.lines.some((line) => line.includes(`root ${dir}/public`)),
        server.lines.join("\n"),
      );
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task serve -- --host localhost listens: the task may listen beyond 127.0.0.1", async () => {
  const { dir, token } = await siteFolder();
  try {
    // localhost is loopback, but not the address the old task's --allow-net=127.0.0.1 named.
    const args = ["public", "--host", "localhost", "--port", "0", "--workers", "1", "-q"];
    const server = await startServeTask(args, dir);
    try {
      const port = new URL(server.url).port;
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), token);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an app with an npm import run by deno task serve leaves heiretsu's deno.lock byte for byte", async () => {
  const { dir } = await siteFolder();
  const lockBefore = await Deno.readFile(`${REPO}deno.lock`);
  try {
    // hono is no package of heiretsu's, so a lock file in use would gain it.
    await Deno.writeTextFile(
      `${dir}/app.ts`,
      'import { Hono } from "npm:hono@4.13.19";\n' +
        'export default new Hono().get("/", (c) => c.text("from hono"));\n',
    );
    const args = ["--app", `${dir}/app.ts`, "--port", "0", "--workers", "1"];
    const server = await startServeTask(args, dir);
    try {
      assert.equal(await (await fetch(server.url)).text(), "from hono");
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.deepEqual(await Deno.readFile(`${REPO}deno.lock`), lockBefore, "deno.lock unchanged");
});

Deno.test("serving under the serve task's flags resolves no test-only package (fast-check)", async () => {
  const task: string = JSON.parse(await Deno.readTextFile(`${REPO}deno.json`)).tasks.serve;
  const lock = task.split(" ").filter((arg) => /^--(no-lock|lock|frozen)\b/.test(arg));
  for (const entry of ["main.ts", "lib/handler/entry.ts", "lib/handler/app_entry.ts"]) {
    const { stdout, success } = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", ...lock, entry],
      cwd: REPO,
      stderr: "null",
    }).output();
    assert.ok(success, entry);
    const packages = Object.keys(JSON.parse(new TextDecoder().decode(stdout)).npmPackages ?? {});
    assert.deepEqual(packages.filter((name) => /^(fast-check|pure-rand)@/.test(name)), [], entry);
  }
});

Deno.test("deno task serve on a fresh machine installs nothing before it starts (no test-only packages)", async () => {
  // An empty Deno cache and an npm registry that refuses every connection: a task runner that
  // first installed the lock file's packages (fast-check, hono: tests only) would fail here.
  const cache = await Deno.makeTempDir({ prefix: "heiretsu-empty-cache-" });
  try {
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["task", "serve", "--", "--version"],
      cwd: REPO,
      env: { DENO_DIR: cache, NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/", NO_COLOR: "1" },
      stderr: "null",
    }).output();
    assert.equal(code, 0);
    assert.match(new TextDecoder().decode(stdout), /^heiretsu /);
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("heiretsu prints its ready line only after each app worker has loaded its module", async () => {
  const dir = Deno.realPathSync(await Deno.makeTempDir());
  try {
    await Deno.writeTextFile(
      `${dir}/app.ts`,
      'console.log("app module loaded");\nexport default { fetch: () => new Response("ok") };\n',
    );
    const server = await TestServer.start(["--app", `${dir}/app.ts`, "--workers", "2", "-q"]);
    try {
      const ready = server.lines.findIndex((line) => line.startsWith("Server: listening on"));
      const loaded = server.lines.slice(0, ready).filter((line) => line === "app module loaded");
      assert.equal(loaded.length, 2, server.lines.join("\n"));
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const UNREAD = /^Server: HEIRETSU_\* variables are not read: .*--allow-env=HEIRETSU_\*/;

Deno.test("heiretsu run without --allow-env=HEIRETSU_* says its variables are not read", async () => {
  const server = await TestServer.start(["-q", "--workers", "1"]);
  try {
    assert.ok(server.lines.some((line) => UNREAD.test(line)), server.lines.join("\n"));
  } finally {
    await server.stop();
  }
  const granted = await TestServer.start(["-q", "--workers", "1"], ["--allow-env=HEIRETSU_*"]);
  try {
    assert.ok(!granted.lines.some((line) => UNREAD.test(line)), granted.lines.join("\n"));
  } finally {
    await granted.stop();
  }
});

Deno.test("health checks stay out of the access log unless --log-health", async () => {
  for (const logHealth of [false, true]) {
    const args = ["--health", "/healthz", "--workers", "1", ...(logHealth ? ["--log-health"] : [])];
    const server = await TestServer.start(args);
    try {
      assert.equal(await (await fetch(`${server.url}/healthz`)).text(), "ok\n");
      await (await fetch(`${server.url}/healthz?probe=2`)).body?.cancel();
      await (await fetch(`${server.url}/`)).body?.cancel();
      await server.waitForLine(/"GET \/ HTTP\/1\.1" 200/);
      const probes = server.lines.filter((line) => line.includes('"GET /healthz'));
      assert.equal(probes.length, logHealth ? 2 : 0, server.lines.join("\n"));
    } finally {
      await server.stop();
    }
  }
});

Deno.test("deno task install makes a heiretsu command that serves the folder it is typed in", async () => {
  const root = Deno.realPathSync(await Deno.makeTempDir({ prefix: "heiretsu-install-" }));
  const { dir, token } = await siteFolder();
  try {
    const install = await runTask("install", { cwd: dir, env: { DENO_INSTALL_ROOT: root } });
    assert.equal(install.code, 0, install.stderr);
    const command = `${root}/bin/heiretsu${Deno.build.os === "windows" ? ".cmd" : ""}`;
    const version = await new Deno.Command(command, { args: ["--version"] }).output();
    assert.match(new TextDecoder().decode(version.stdout), /^heiretsu \d+\.\d+\.\d+ \(deno /);
    // An INIT_CWD left by an npm script is not where this command was typed: not read.
    const child = new Deno.Command(command, {
      args: ["public", "--port", "0", "--workers", "1", "-q"],
      cwd: dir,
      env: { INIT_CWD: "/" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    try {
      let seen = "";
      for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
        seen += text;
        const url = /listening on (http:\/\/\S+) /.exec(seen)?.[1];
        if (url === undefined) continue;
        assert.equal(await (await fetch(url)).text(), token);
        break;
      }
      if (!/listening on/.test(seen)) {
        // Its stderr ends when it does: at the latest when the timer kills it.
        assert.fail(`no ready line: ${seen}${await new Response(child.stderr).text()}`);
      }
    } finally {
      clearTimeout(timer);
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await child.stderr.cancel().catch(() => {});
    }
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});

/** Runs main.ts under exactly these Deno permissions; exit code and standard error. */
async function runWith(permissions: string[], args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-worker-options", ...permissions, `${REPO}main.ts`, ...args],
    stdin: "null",
    stdout: "null",
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

Deno.test("a root Deno may not read is answered with the --allow-read flag to add", async () => {
  const dir = Deno.realPathSync(await Deno.makeTempDir());
  try {
    const { code, stderr } = await runWith([`--allow-read=${REPO}`], [dir]);
    assert.equal(code, 2);
    assert.match(stderr, new RegExp(`root "${dir}" cannot be read: run deno with --allow-read=`));
  } finally {
    await Deno.remove(dir);
  }
});

Deno.test({
  name: "a root the operating system refuses is answered without a Deno flag (as in Docker)",
  // root reads every folder: the operating system refuses it nothing.
  ignore: Deno.build.os === "windows" || Deno.uid() === 0,
  fn: async () => {
    const dir = Deno.realPathSync(await Deno.makeTempDir());
    try {
      await Deno.mkdir(`${dir}/locked/site`, { recursive: true });
      await Deno.chmod(`${dir}/locked`, 0o000);
      const { code, stderr } = await runWith(["--allow-read"], [`${dir}/locked/site`]);
      assert.equal(code, 2);
      assert.match(
        stderr,
        /cannot be read: the operating system refused the user heiretsu runs as/,
      );
      assert.doesNotMatch(stderr, /--allow-read/);
    } finally {
      await Deno.chmod(`${dir}/locked`, 0o755);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("heiretsu names each --allow-* given to the app that deno did not give heiretsu", async () => {
  // runCli gives deno --allow-net=127.0.0.1, --allow-read and --allow-env=HEIRETSU_*.
  const app = ["--app", `${REPO}examples/time.ts`, "--port", "0"];
  const beyond = await runCli([
    ...app,
    "--allow-env=TOKEN,HEIRETSU_PORT",
    "--allow-run",
    "--allow-net",
  ]);
  assert.equal(beyond.code, 2);
  const flags = "--allow-net --allow-env=TOKEN --allow-run";
  assert.equal(
    beyond.stderr,
    `heiretsu: the app is given ${flags}, which heiretsu itself was not given (a worker cannot ` +
      `get more than its process): run deno with ${flags} too\n`,
  );
  // What deno holds may be passed on: TestServer gives deno --allow-net=127.0.0.1.
  const server = await TestServer.start([...app.slice(0, 2), "--allow-net=127.0.0.1", "-q"]);
  await server.stop();
});
