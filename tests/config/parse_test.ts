/**
 * @module
 * Tests for lib/config/: defaults, every flag, environment variables, validation errors and
 * the help and version texts.
 */
import assert from "node:assert/strict";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type ConfigResult, parseConfig } from "../../lib/config/parse.ts";
import { DEFAULTS, type ServerConfig } from "../../lib/config/settings.ts";
import { FLAGS, type FlagSpec } from "../../lib/config/flags.ts";
import { GROUP_TITLES, HELP_WIDTH, helpText } from "../../lib/config/help.ts";
import { VERSION } from "../../lib/config/version.ts";

const STATIC_ROOT = Deno.realPathSync(fileURLToPath(new URL("../../static", import.meta.url)));
const THIS_FILE = fileURLToPath(import.meta.url);
const OTHER_WORKERS = DEFAULTS.workers === 3 ? 4 : 3;
const OTHER_IO_THREADS = DEFAULTS.ioThreads === 2 ? 3 : 2;

function parse(args: string[], env: Record<string, string> = {}): ConfigResult {
  return parseConfig({ args, env: (name) => env[name] });
}

function configOf(args: string[], env: Record<string, string> = {}): ServerConfig {
  const result = parse(args, env);
  assert.equal(result.kind, "run", JSON.stringify(result));
  return (result as Extract<ConfigResult, { kind: "run" }>).config;
}

function errorOf(args: string[], env: Record<string, string> = {}): string {
  const result = parse(args, env);
  assert.equal(result.kind, "error", JSON.stringify(result));
  return (result as Extract<ConfigResult, { kind: "error" }>).message;
}

function printOf(args: string[]): string {
  const result = parse(args);
  assert.equal(result.kind, "print", JSON.stringify(result));
  return (result as Extract<ConfigResult, { kind: "print" }>).text;
}

Deno.test("parseConfig() without flags or environment gives the defaults", () => {
  const config = configOf([]);
  assert.equal(config.port, 8080);
  assert.equal(config.host, "127.0.0.1");
  assert.equal(config.queueLength, 1024);
  assert.equal(config.quiet, false);
  assert.equal(config.headerTimeoutMs, 10_000);
  assert.equal(config.keepaliveTimeoutMs, 5_000);
  assert.equal(config.graceMs, 10_000);
  assert.equal(config.windowBytes, 262_144);
  assert.equal(config.root, STATIC_ROOT);
  assert.ok(config.workers >= 1);
});

Deno.test("parseConfig() caps each app worker's heap at 512 MiB unless --app-heap says otherwise", () => {
  assert.equal(configOf([]).appHeapMib, 512);
  assert.equal(configOf(["--app-heap", "1024"]).appHeapMib, 1024);
  // A heap too small for the worker's own code makes V8 abort the whole process at start.
  assert.match(errorOf(["--app-heap", "8"]), /^--app-heap: "8" is out of range/);
});

Deno.test("parseConfig() skips a leading -- left by deno task", () => {
  assert.equal(configOf(["--", "--port", "9000"]).port, 9000);
});

/** A valid value for each flag and the field value it must produce; `undefined` for a switch. */
function validValues(root: string): Record<string, [raw: string | undefined, expected: unknown]> {
  return {
    "root": [root, Deno.realPathSync(root)],
    "host": ["0.0.0.0", "0.0.0.0"],
    "port": ["0", 0],
    // Differs from the CPU-count default on any machine.
    "workers": [String(OTHER_WORKERS), OTHER_WORKERS],
    "io-threads": [String(OTHER_IO_THREADS), OTHER_IO_THREADS],
    "reuse-port": [undefined, true],
    "queue": ["0", 0],
    "quiet": [undefined, true],
    "header-timeout": ["0.5", 500],
    "keepalive-timeout": ["2.25", 2250],
    "body-timeout": ["1.5", 1500],
    "send-timeout": ["45", 45_000],
    "grace": ["0", 0],
    "stall-timeout": ["75", 75],
    "max-request-line": ["4096", 4096],
    "max-header-bytes": ["65536", 65536],
    "max-headers": ["50", 50],
    "max-body": ["0", 0],
    "window": ["65536", 65536],
    "file-cache": ["0", 0],
    "request-timeout": ["0", 0],
    "start-timeout": ["0.5", 500],
    "app": [THIS_FILE, pathToFileURL(Deno.realPathSync(THIS_FILE)).href],
    "allow-net": [undefined, true],
    "allow-read": ["/srv/a,/srv/b", ["/srv/a", "/srv/b"]],
    "allow-write": ["/tmp", ["/tmp"]],
    "allow-env": [undefined, true],
    "allow-run": ["git", ["git"]],
    "allow-sys": [undefined, true],
    "allow-ffi": [undefined, true],
    "app-heap": ["64", 64],
    "max-memory": ["900", 900],
    "compress": [undefined, true],
    "max-compressions": ["8", 8],
    "list": [undefined, true],
    "list-page": ["50", 50],
    "list-max": ["5000", 5000],
    "dotfiles": ["allow", "allow"],
    "follow-symlinks": [undefined, true],
    "spa": [undefined, true],
    "cors": ["*", "*"],
    "header": ["X-Test: yes", [["x-test", "yes"]]],
    "cache-control": ["public, max-age=60", "public, max-age=60"],
    "max-connections": ["10", 10],
    "max-websockets": ["5", 5],
    "max-ws-message": ["4096", 4096],
    // --cert and --key only make sense together: tests/e2e/operations_test.ts covers them.
    "cert": [SEPARATELY, null],
    "key": [SEPARATELY, null],
    "allow-root-dir": [undefined, true],
    "log-format": ["json", "json"],
    "health": ["/healthz", "/healthz"],
    "log-health": [undefined, true],
    "drain-delay": ["2", 2000],
  };
}

/** Marks a flag the per-flag test leaves to another test. */
const SEPARATELY = "(tested separately)";

/** The value a flag set: its field, or its entry of the permission record. */
function fieldValue(config: ServerConfig, flag: FlagSpec): unknown {
  if (flag.field !== "appPermissions") return config[flag.field];
  return config
    .appPermissions[flag.name.slice("allow-".length) as keyof ServerConfig["appPermissions"]];
}

Deno.test("parseConfig() test table covers every flag in FLAGS", () => {
  assert.deepEqual(
    Object.keys(validValues(".")).sort(),
    FLAGS.map((f) => f.name).sort(),
  );
});

Deno.test("parseConfig() sets each flag's field from its value", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    const values = validValues(dir);
    for (const flag of FLAGS) {
      const [raw, expected] = values[flag.name];
      if (raw === SEPARATELY) continue;
      await t.step(`--${flag.name} sets ${flag.field}`, () => {
        // Permission lists go after "=", so a bare permission flag never swallows the next word.
        const args = raw === undefined
          ? [`--${flag.name}`]
          : flag.kind === "permission"
          ? [`--${flag.name}=${raw}`]
          : [`--${flag.name}`, raw];
        const config = configOf(args);
        assert.deepEqual(fieldValue(config, flag), expected);
        assert.notDeepEqual(
          expected,
          fieldValue(configOf([]), flag),
          "test value must differ from default",
        );
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseConfig() keeps a root that is a symlink as its absolute path, for workers to follow", async () => {
  const dir = Deno.realPathSync(await Deno.makeTempDir());
  try {
    await Deno.mkdir(`${dir}/release-1`);
    await Deno.symlink("release-1", `${dir}/current`);
    assert.equal(configOf([`${dir}/current`]).root, `${dir}/current`);
    assert.equal(configOf([`${dir}/current/`]).root, `${dir}/current`);
    assert.equal(configOf([`${dir}/release-1/../current/.`]).root, `${dir}/current`);
    await Deno.symlink("/", `${dir}/disk`);
    assert.match(errorOf([`${dir}/disk`]), /would publish the whole disk/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseConfig() reads seconds flags with decimals as rounded milliseconds", () => {
  assert.equal(configOf(["--header-timeout", "0.5"]).headerTimeoutMs, 500);
  assert.equal(configOf(["--grace=1.0015"]).graceMs, 1002);
  assert.equal(configOf(["--keepalive-timeout", "0.001"]).keepaliveTimeoutMs, 1);
  assert.match(errorOf(["--header-timeout", "0.0001"]), /--header-timeout: .*out of range/);
});

Deno.test("parseConfig() takes a positional ROOT", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(configOf([dir]).root, Deno.realPathSync(dir));
    assert.equal(configOf(["--port", "1", dir]).root, Deno.realPathSync(dir));
  } finally {
    await Deno.remove(dir);
  }
});

Deno.test("parseConfig() rejects ROOT and --root together", () => {
  assert.match(errorOf([STATIC_ROOT, "--root", STATIC_ROOT]), /either as ROOT or as --root/);
});

Deno.test("parseConfig() rejects two positional arguments", () => {
  assert.match(errorOf([STATIC_ROOT, STATIC_ROOT]), /at most one ROOT, got 2/);
});

Deno.test("parseConfig() rejects an unknown flag and points to --help", () => {
  const message = errorOf(["--no-such-flag"]);
  assert.match(message, /--no-such-flag/);
  assert.match(message, /--help/);
  assert.doesNotMatch(message, /\n/);
});

Deno.test("parseConfig() rejects a port outside 0-65535, naming the flag and the range", () => {
  for (const bad of ["70000", "-1", "abc", "65536", "8.5", ""]) {
    const message = errorOf([`--port=${bad}`]);
    assert.match(message, /^--port: /, bad);
    assert.match(message, /from 0 to 65535/, bad);
  }
});

Deno.test("parseConfig() rejects --port -1 written as two arguments, naming the flag", () => {
  // parseArgs refuses a value starting with "-" unless it is joined with "=".
  const message = errorOf(["--port", "-1"]);
  assert.match(message, /--port/);
  assert.match(message, /--help/);
});

Deno.test("parseConfig() rejects --workers 0 and above 256", () => {
  assert.match(errorOf(["--workers", "0"]), /^--workers: "0" is out of range: .*from 1 to 256/);
  assert.match(errorOf(["--workers", "257"]), /^--workers: "257" is out of range/);
});

Deno.test("parseConfig() rejects a bytes flag below its minimum", () => {
  assert.match(errorOf(["--window", "1024"]), /^--window: "1024" is out of range/);
  assert.match(errorOf(["--max-body", "1.5"]), /^--max-body: expected a whole number/);
});

Deno.test("parseConfig() rejects an empty --host", () => {
  assert.match(errorOf(["--host", " "]), /^--host: must not be empty/);
});

Deno.test("parseConfig() rejects a root that does not exist", () => {
  const message = errorOf(["--root", "/no/such/folder/for/heiretsu"]);
  assert.match(message, /does not exist/);
  assert.match(message, /\/no\/such\/folder\/for\/heiretsu/);
});

Deno.test("parseConfig() rejects a root that is a file", () => {
  assert.match(errorOf([THIS_FILE]), /is a file/);
});

Deno.test("parseConfig() reads HEIRETSU_* environment variables", () => {
  const config = configOf([], {
    HEIRETSU_PORT: "9000",
    HEIRETSU_QUIET: "true",
    HEIRETSU_HEADER_TIMEOUT: "2",
  });
  assert.equal(config.port, 9000);
  assert.equal(config.quiet, true);
  assert.equal(config.headerTimeoutMs, 2000);
});

Deno.test("parseConfig() reads switch variables as yes/no words", () => {
  for (const yes of ["1", "true", "YES", "on"]) {
    assert.equal(configOf([], { HEIRETSU_QUIET: yes }).quiet, true, yes);
  }
  for (const no of ["0", "false", "No", "off", ""]) {
    assert.equal(configOf([], { HEIRETSU_QUIET: no }).quiet, false, no);
  }
});

Deno.test("parseConfig() lets flags win over environment variables", () => {
  const env = { HEIRETSU_PORT: "9000", HEIRETSU_HEADER_TIMEOUT: "2", HEIRETSU_QUIET: "false" };
  const config = configOf(["--port", "9001", "--header-timeout", "3", "--quiet"], env);
  assert.equal(config.port, 9001);
  assert.equal(config.headerTimeoutMs, 3000);
  assert.equal(config.quiet, true);
});

Deno.test("parseConfig() ignores a bad variable when its flag is given", () => {
  assert.equal(configOf(["--port", "1"], { HEIRETSU_PORT: "nope" }).port, 1);
});

Deno.test("parseConfig() rejects a bad environment value, naming the variable", () => {
  assert.match(errorOf([], { HEIRETSU_PORT: "99999" }), /^HEIRETSU_PORT: "99999" is out of range/);
  assert.match(errorOf([], { HEIRETSU_QUIET: "maybe" }), /^HEIRETSU_QUIET: expected true or false/);
  assert.match(errorOf([], { HEIRETSU_MAX_BODY: "lots" }), /^HEIRETSU_MAX_BODY: expected/);
});

Deno.test("parseConfig() --help-all prints text naming every flag; --help the everyday ones", () => {
  const all = printOf(["--help-all"]);
  for (const flag of FLAGS) assert.match(all, new RegExp(`--${flag.name}\\b`), flag.name);
  assert.equal(all, helpText({ all: true }));
  const everyday = printOf(["--help"]);
  assert.equal(everyday, helpText());
  for (const flag of FLAGS) {
    const shown = new RegExp(`--${flag.name}\\b`).test(everyday);
    assert.equal(shown, flag.group !== "limits", `--${flag.name} in --help`);
  }
});

Deno.test("parseConfig() --version prints our version and Deno's", () => {
  const text = printOf(["--version"]);
  assert.ok(text.includes(VERSION), text);
  assert.ok(text.includes(Deno.version.deno), text);
});

/** The `--help-all` row of a flag: its first line, and its wrapped text joined again. */
function helpRow(name: string): { first: string; text: string } {
  const lines = helpText({ all: true }).split("\n");
  const start = new RegExp(`^  (-\\w, |    )--${name}(\\s|\\[|$)`);
  const at = lines.findIndex((l: string) => start.test(l));
  assert.ok(at !== -1, name);
  const more = [];
  for (let i = at + 1; /^ {32}\S/.test(lines[i]); i++) more.push(lines[i].trim());
  const first = lines[at];
  // A left part that reaches column 32 has its text on the next lines.
  const head = first[31] === " " ? first.slice(32) : "";
  return { first, text: [head, ...more].filter(Boolean).join(" ") };
}

/** How `--help` must name each default; a flag not listed shows none (off, empty or null). */
const HELP_DEFAULTS: Record<string, string> = {
  "root": "(default: the built-in site)",
  "host": "(default 127.0.0.1)",
  "port": "(default 8080)",
  "workers": "(default: number of CPUs)",
  "io-threads": "(default: CPUs × 0.5, from 1 to 64)",
  "queue": "(default 1024)",
  "header-timeout": "(default 10)",
  "keepalive-timeout": "(default 5)",
  "body-timeout": "(default 10)",
  "send-timeout": "(default 30)",
  "grace": "(default 10)",
  "stall-timeout": "(default 20)",
  "max-request-line": "(default 8192)",
  "max-header-bytes": "(default 32768)",
  "max-headers": "(default 100)",
  "max-body": "(default 10485760)",
  "window": "(default 262144)",
  "file-cache": "(default 8388608)",
  "max-connections": "(default 10000)",
  "max-websockets": "(default 1000)",
  "max-ws-message": "(default 16777216)",
  "log-format": "(default heiretsu)",
  "drain-delay": "(default 0)",
  "request-timeout": "(default 30)",
  "start-timeout": "(default 60)",
  "dotfiles": "(default ignore)",
  "cache-control": "(default no-cache)",
  "app-heap": "(default 512)",
  "max-memory": "(default: workers × (2 × app-heap + 64) + 1024)",
  "max-compressions": "(default 32)",
  "list-page": "(default 1000)",
  "list-max": "(default 200000)",
};

Deno.test("helpText() lists every flag with its help line, plus --help and --version", () => {
  const text = helpText({ all: true });
  for (const flag of FLAGS) {
    const { text: row } = helpRow(flag.name);
    const note = HELP_DEFAULTS[flag.name];
    assert.equal(row, note === undefined ? flag.help : `${flag.help} ${note}`);
  }
  assert.match(text, /--help\b/);
  assert.match(text, /--help-all\b/);
  assert.match(text, /--version\b/);
  assert.ok(text.endsWith("\n"));
});

Deno.test("helpText() fits 100 columns, in --help and --help-all", () => {
  for (const text of [helpText(), helpText({ all: true })]) {
    for (const line of text.split("\n")) {
      assert.ok(line.length <= HELP_WIDTH, `${line.length} columns: ${line}`);
    }
  }
});

Deno.test("helpText() groups the flags, everyday groups first, with examples; limits in --help-all", () => {
  const headings = (text: string) => text.split("\n").filter((line) => /^[A-Z].*:$/.test(line));
  const titles = Object.values(GROUP_TITLES).map((title) => `${title}:`);
  assert.deepEqual(headings(helpText({ all: true })), ["Examples:", ...titles, "Other:"]);
  assert.deepEqual(headings(helpText()), ["Examples:", ...titles.slice(0, -1), "Other:"]);
  const limits = FLAGS.filter((flag) => flag.group === "limits").length;
  assert.match(helpText(), new RegExp(`Limits and timeouts: ${limits} more flags .*--help-all`));
  assert.match(helpText(), /^ {2}heiretsu \. +serve this folder/m);
  // Each flag sits under its own group's heading.
  const lines = helpText({ all: true }).split("\n");
  for (const flag of FLAGS) {
    const at = lines.indexOf(helpRow(flag.name).first);
    const heading = lines.slice(0, at).findLast((line) => /^[A-Z].*:$/.test(line));
    assert.equal(heading, `${GROUP_TITLES[flag.group]}:`, flag.name);
  }
});

Deno.test("helpText() names each default in the flag's unit, as DEFAULTS holds it", () => {
  assert.equal(HELP_DEFAULTS["header-timeout"], `(default ${DEFAULTS.headerTimeoutMs / 1000})`);
  assert.equal(HELP_DEFAULTS["max-body"], `(default ${DEFAULTS.maxBodyBytes})`);
  assert.equal(HELP_DEFAULTS["host"], `(default ${DEFAULTS.host})`);
  for (const name of Object.keys(HELP_DEFAULTS)) {
    assert.ok(FLAGS.some((flag) => flag.name === name), name);
  }
  for (const flag of FLAGS) {
    assert.doesNotMatch(flag.help, /\(default/, `--${flag.name} repeats its default by hand`);
  }
  assert.equal(helpRow("quiet").first, `${"  -q, --quiet".padEnd(32)}no access log`);
});

Deno.test("parseConfig() refuses --header for fields the server writes itself", () => {
  for (const field of ["Content-Length: 1", "transfer-encoding: gzip", "Date: x", "Server: y"]) {
    assert.match(errorOf(["--header", field]), /is set by the server; choose another header/);
  }
  assert.deepEqual(configOf(["--header", "X-Frame-Options: DENY"]).extraHeaders, [
    ["x-frame-options", "DENY"],
  ]);
});

const noEnv = () => undefined;
const run = (args: string[]) => parseConfig({ args, env: noEnv });

Deno.test("parseConfig() takes -p, -r, -q, and -h, -v and -V print", () => {
  const result = run(["-p", "9000", "-r", ".", "-q"]);
  assert.equal(result.kind, "run");
  if (result.kind !== "run") return;
  assert.equal(result.config.port, 9000);
  assert.equal(result.config.quiet, true);
  assert.equal(result.config.root, Deno.realPathSync("."));
  for (const flag of ["-h", "-v", "-V"]) assert.equal(run([flag]).kind, "print", flag);
  const help = run(["-h"]);
  assert.ok(help.kind === "print" && help.text.includes("  -p, --port PORT"), "help names -p");
  assert.ok(help.kind === "print" && help.text.includes("      --host HOST"), "no short --host");
  assert.ok(help.kind === "print" && help.text.includes("  -h, --help"));
});

Deno.test("parseConfig() names the flag an unknown one was probably meant to be", () => {
  const cases: Array<[string[], string]> = [
    [["--prot", "80"], "unknown flag --prot: did you mean --port? (see --help for the flags)"],
    [["--workrs=2"], "unknown flag --workrs: did you mean --workers?"],
    [["-port", "80"], "unknown flag -port: did you mean --port?"],
    [["--zzzzzz"], "unknown flag --zzzzzz (see --help for the flags)"],
    [["-x"], "unknown flag -x: the short flags are"],
  ];
  for (const [args, start] of cases) {
    const result = run(args);
    assert.equal(result.kind, "error", args.join(" "));
    if (result.kind === "error") assert.ok(result.message.startsWith(start), result.message);
  }
});

Deno.test("parseConfig() reads --cors: bare is *, origins repeat, anything else is refused", () => {
  const cors = (args: string[]) => {
    const result = run(args);
    if (result.kind === "run") return result.config.cors ?? "";
    return result.kind === "error" ? result.message : "";
  };
  assert.equal(cors(["--cors"]), "*");
  assert.equal(cors(["--cors", "--quiet"]), "*");
  assert.equal(cors(["--cors", "*"]), "*");
  assert.equal(cors(["--cors", "HTTPS://App.Example:443"]), "https://app.example");
  assert.equal(
    cors(["--cors", "https://a.example", "--cors", "http://localhost:3000"]),
    "https://a.example http://localhost:3000",
  );
  assert.match(
    cors(["--cors", "example.com"]),
    /"example.com" is not \* or an origin: say the scheme: https:\/\/example.com/,
  );
  assert.match(
    cors(["--cors", "https://a.example,https://b.example"]),
    /repeat the flag for each origin/,
  );
  assert.match(cors(["--cors", "https://a.example/path"]), /no path/);
  assert.match(
    cors(["--cors", "*", "--cors", "https://a.example"]),
    /give \* or origins, not both/,
  );
  const env = parseConfig({
    args: [],
    env: (name) => (name === "HEIRETSU_CORS" ? "https://a.example, https://b.example" : undefined),
  });
  assert.equal(env.kind === "run" && env.config.cors, "https://a.example https://b.example");
});

Deno.test("parseConfig() refuses a --cache-control value with control characters, with exit 2's line", () => {
  const root = Deno.makeTempDirSync();
  const result = parseConfig({
    args: ["--root", root, "--cache-control", "max-age=1\r\nSet-Cookie: a=1"],
    env: () => undefined,
  });
  assert.equal(result.kind, "error");
  assert.match(
    result.kind === "error" ? result.message : "",
    /^--cache-control: .* not a valid header value/,
  );
});

Deno.test("parseConfig() resolves a relative ROOT, --cert, --key and --app from cwd, not the process's folder", async () => {
  const dir = Deno.realPathSync(await Deno.makeTempDir());
  try {
    await Deno.mkdir(`${dir}/site`);
    await Deno.writeTextFile(`${dir}/app.ts`, "export default { fetch: () => new Response() };");
    const pem = "-----BEGIN CERTIFICATE-----\n";
    await Deno.writeTextFile(`${dir}/cert.pem`, pem);
    await Deno.writeTextFile(`${dir}/key.pem`, pem);
    const args = ["site", "--cert", "cert.pem", "--key", "key.pem", "--app", "./app.ts"];
    const result = parseConfig({ args, env: noEnv, cwd: dir });
    assert.equal(result.kind, "run", JSON.stringify(result));
    if (result.kind !== "run") return;
    assert.equal(result.config.root, `${dir}/site`);
    assert.equal(result.config.cert, `${dir}/cert.pem`);
    assert.equal(result.config.key, `${dir}/key.pem`);
    assert.equal(result.config.app, pathToFileURL(`${dir}/app.ts`).href);
    // HEIRETSU_ROOT is a relative path too.
    const fromEnv = parseConfig({
      args: [],
      env: (n) => n === "HEIRETSU_ROOT" ? "site" : undefined,
      cwd: dir,
    });
    assert.equal(fromEnv.kind === "run" && fromEnv.config.root, `${dir}/site`);
    // From the process's own folder, "site" is not there.
    assert.match(errorOf(["site"]), /root "site" does not exist/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseConfig() leaves absolute paths as they are, whatever cwd says", () => {
  const result = parseConfig({ args: [STATIC_ROOT], env: noEnv, cwd: "/nonexistent" });
  assert.equal(result.kind === "run" && result.config.root, STATIC_ROOT);
});

Deno.test("parseConfig() keeps health checks out of the access log unless --log-health", () => {
  assert.equal(configOf(["--health", "/healthz"]).logHealth, false);
  assert.equal(configOf(["--health", "/healthz", "--log-health"]).logHealth, true);
  assert.equal(configOf([], { HEIRETSU_LOG_HEALTH: "true" }).logHealth, true);
});
