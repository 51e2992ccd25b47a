/**
 * Offline evidence for the binary: `deno compile` is run with `DENORT_BIN` set to the deno
 * binary itself (which needs no download; the output then cannot run, but it carries the real
 * payload), the payload is decoded, and what a release depends on is checked: the worker
 * modules, the built-in site, the app for app compiles, the unstable `worker-options` feature,
 * and the net/read/env permissions. Running the binary is tests/compile_test.ts's job.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { compileArgs } from "../../tools/compile.ts";
import { type Payload, readPayload } from "../_helpers/payload.ts";
import { unbake } from "../../lib/supervisor/baked.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const DENORT = { DENORT_BIN: Deno.execPath(), NO_COLOR: "1" };

/** Runs deno with the runtime replaced by deno itself; fails the test with its output. */
async function denoOffline(args: string[], cwd = REPO): Promise<{ ok: boolean; text: string }> {
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    // tools/compile.ts takes relative paths from INIT_CWD, which `deno task test` sets.
    env: { ...DENORT, INIT_CWD: cwd },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  return { ok: success, text };
}

/** The entry whose VFS path ends with `suffix` (the VFS root is the files' common folder). */
function entry(payload: Payload, suffix: string) {
  return payload.entries.find((e) => e.path === suffix || e.path.endsWith(`/${suffix}`));
}

Deno.test("deno task compile embeds the workers, the site, worker-options and net/read/HEIRETSU_* env", async () => {
  const dir = await Deno.makeTempDir({ prefix: "heiretsu-payload-" });
  try {
    const output = `${dir}/heiretsu`;
    const compiled = await denoOffline(compileArgs({ output }));
    assert.ok(compiled.ok, compiled.text);
    const payload = readPayload(await Deno.readFile(output));
    const { metadata } = payload;
    assert.ok(metadata.unstable_config.features.includes("worker-options"));
    assert.deepEqual(metadata.permissions.allow_net, []); // [] is "all"
    assert.deepEqual(metadata.permissions.allow_read, []);
    assert.deepEqual(metadata.permissions.allow_env, ["HEIRETSU_*"]);
    assert.equal(metadata.permissions.allow_write, null);
    assert.equal(metadata.permissions.allow_run, null);
    assert.deepEqual(metadata.argv, []);
    assert.equal(metadata.entrypoint_key, "main.ts");
    for (
      const path of ["main.ts", "lib/handler/entry.ts", "lib/handler/app_entry.ts", "deno.json"]
    ) {
      assert.equal(entry(payload, path)?.kind, "file", `${path} is embedded`);
    }
    const index = entry(payload, "static/index.html");
    assert.match(new TextDecoder().decode(index!.bytes), /heiretsu/);
    const paths = payload.entries.map((e) => e.path);
    assert.ok(paths.some((p) => p.includes("mime-db")), "mime-db is embedded");
    assert.ok(!paths.some((p) => p.includes("fast-check")), "fast-check (tests only) is left out");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task compile --app embeds the app with its imports and bakes it in as the default", async () => {
  const dir = await Deno.makeTempDir({ prefix: "heiretsu-app-payload-" });
  try {
    await Deno.writeTextFile(`${dir}/greet.ts`, `export const greeting: string = "hi";\n`);
    await Deno.writeTextFile(
      `${dir}/app.ts`,
      `import { greeting } from "./greet.ts";
import db from "npm:mime-db@1.54.0";
export default {
  fetch: (): Response => new Response(greeting + Object.keys(db).length),
};
`,
    );
    const before = await Deno.readTextFile(`${REPO}/deno.lock`);
    const compiled = await denoOffline(
      [
        "run",
        "-A",
        `${REPO}/tools/compile.ts`,
        "--app",
        "app.ts",
        "--output",
        "my-server",
        "--",
        "--allow-env=GREETING",
      ],
      dir,
    );
    assert.ok(compiled.ok, compiled.text);
    assert.equal(await Deno.readTextFile(`${REPO}/deno.lock`), before, "deno.lock unchanged");
    const payload = readPayload(await Deno.readFile(`${dir}/my-server`));
    const { metadata } = payload;
    assert.equal(metadata.argv[0], "--baked-app");
    assert.equal(metadata.argv[2], "--allow-env=GREETING");
    // The binary's own env grant covers what its app's workers get.
    assert.deepEqual(metadata.permissions.allow_env, ["GREETING", "HEIRETSU_*"]);
    // Resolved as main.ts resolves it at start, the baked path is the embedded app.
    const main = `file:///vfs/${metadata.entrypoint_key}`;
    const app = unbake(metadata.argv, main)[1].replaceAll("\\", "/").replace(/^.*?\/vfs\//, "");
    assert.equal(entry(payload, app)?.kind, "file", `${app} is embedded`);
    assert.ok(app.endsWith("app.ts"));
    assert.equal(entry(payload, app.replace(/app\.ts$/, "greet.ts"))?.kind, "file");
    assert.ok(payload.entries.some((e) => e.path.includes("mime-db")), "the app's npm import");
    for (const path of ["lib/handler/entry.ts", "lib/handler/app_entry.ts", "static/index.html"]) {
      assert.ok(entry(payload, path), `${path} is embedded`);
    }
    assert.ok(metadata.unstable_config.features.includes("worker-options"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task compile --app type-checks the app and writes nothing when it fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "heiretsu-app-check-" });
  try {
    await Deno.writeTextFile(`${dir}/app.ts`, `const n: number = "no";\nexport default { n };\n`);
    const compiled = await denoOffline(
      ["run", "-A", `${REPO}/tools/compile.ts`, "--app", "app.ts", "--output", "my-server"],
      dir,
    );
    assert.equal(compiled.ok, false);
    assert.match(compiled.text, /TS2322/);
    await assert.rejects(Deno.stat(`${dir}/my-server`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
