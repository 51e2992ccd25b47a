import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import denoJson from "../../deno.json" with { type: "json" };
import { WORKER_ENTRY, workerPermissions } from "../../lib/supervisor/sandbox.ts";
import { EMBEDDED } from "../../tools/compile.ts";

const BASE = { root: "/srv/site", app: null, appPermissions: {}, followSymlinks: false };

Deno.test("workerPermissions() lets a file worker read only its code and the root", () => {
  const permissions = workerPermissions(BASE);
  assert.ok(Array.isArray(permissions.read));
  assert.ok((permissions.read as string[]).includes("/srv/site"));
  assert.equal((permissions.read as string[]).length, 2);
  assert.equal(permissions.net, false);
});

Deno.test("workerPermissions() lets workers read the folder a symlinked root's releases are in", async () => {
  const dir = Deno.realPathSync(await Deno.makeTempDir());
  try {
    await Deno.mkdir(`${dir}/releases/1`, { recursive: true });
    await Deno.symlink("releases/1", `${dir}/current`);
    const read = workerPermissions({ ...BASE, root: `${dir}/current` }).read as string[];
    assert.ok(read.includes(`${dir}/current`));
    assert.ok(read.includes(`${dir}/releases`), "the next release will be there");
    assert.ok(!read.includes(dir));
    assert.equal(read.length, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("workerPermissions() lets workers read anything the process may with followSymlinks", () => {
  assert.equal(workerPermissions({ ...BASE, followSymlinks: true }).read, true);
});

Deno.test("workerPermissions() lets an app worker read its code, deno.json, the root and the app's folder", () => {
  const permissions = workerPermissions({ ...BASE, app: "file:///srv/app/main.ts" });
  const read = permissions.read as string[];
  assert.equal(read.length, 4);
  assert.ok(read.includes("/srv/app"));
  assert.ok(read.some((path) => path.endsWith("/deno.json")));
  assert.equal(permissions.net, false);
});

Deno.test("WORKER_ENTRY is the module the compile flags embed, for the task and the release alike", async () => {
  const repo = fileURLToPath(new URL("../..", import.meta.url));
  const entry = fileURLToPath(WORKER_ENTRY).slice(repo.length);
  assert.equal(entry, "lib/handler/entry.ts");
  assert.ok((await Deno.stat(WORKER_ENTRY)).isFile);
  assert.ok(EMBEDDED.includes(entry), `tools/compile.ts embeds ${EMBEDDED.join(", ")}`);
  assert.match(denoJson.tasks.compile, /tools\/compile\.ts/);
  const release = await Deno.readTextFile(
    new URL("../../.github/workflows/release.yml", import.meta.url),
  );
  assert.match(release, /deno task compile/, "release.yml compiles through the task");
});

Deno.test("workerPermissions() gives an app with --allow-sys every system name but the inspector, and a list as given", () => {
  const config = { root: "/srv/site", app: "file:///srv/app.ts", followSymlinks: false };
  const all = workerPermissions({ ...config, appPermissions: { sys: true } }).sys;
  assert.ok(Array.isArray(all), "a list: sys access to everything would grant node:inspector");
  assert.ok(all.includes("hostname") && all.includes("networkInterfaces"));
  assert.ok(!(all as string[]).includes("inspector"));
  const listed = workerPermissions({ ...config, appPermissions: { sys: ["hostname"] } }).sys;
  assert.deepEqual(listed, ["hostname"]);
  assert.equal(workerPermissions({ ...config, appPermissions: {} }).sys, false);
});
