/**
 * The one definition of how heiretsu is compiled into a single binary, used by the `compile`
 * task, the release workflow and the app-compile command:
 *
 * ```sh
 * deno task compile                                          # dist/heiretsu
 * deno task compile --target x86_64-pc-windows-msvc --output dist/heiretsu.exe
 * deno task compile --app ../my-app/main.ts --output my-server -- --allow-env=DATABASE_URL
 * ```
 *
 * With `--app`, the app is type-checked, embedded with its npm and jsr imports, and baked in as
 * the default app, so `./my-server` runs it with no flags; arguments after `--` are baked in too
 * (an app's `--allow-*`, which the binary is then given as well). An app with its own
 * `deno.json` (found in its folder or above) is compiled under that config, so its import map
 * resolves its bare imports; heiretsu's own imports are full `npm:` specifiers and need none.
 *
 * Relative paths are taken from the folder the task was started in (`INIT_CWD`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BAKED_APP_FLAG } from "../lib/supervisor/baked.ts";

/** heiretsu's clone, where `main.ts` and `deno.json` are. */
export const REPO: string = fileURLToPath(new URL("..", import.meta.url));

/** What to compile. */
export interface CompileOptions {
  /** The binary to write. @default "dist/heiretsu" in the clone */
  output?: string;
  /** A `deno compile --target`, e.g. "aarch64-apple-darwin"; none: this machine. */
  target?: string;
  /** An app module to embed and run by default; absolute, or relative to `cwd`. */
  app?: string;
  /** Arguments baked in after the app (its `--allow-*` flags, limits). @default [] */
  baked?: readonly string[];
  /** Folder relative paths start from. @default Deno.cwd() */
  cwd?: string;
}

/**
 * Files the binary needs beyond `main.ts`'s import graph: the handler workers' and I/O threads'
 * entries, the app thread's entry (a node worker thread started only with `--app`), and the built-in site.
 */
export const EMBEDDED: readonly string[] = [
  "lib/handler/entry.ts",
  "lib/io/entry.ts",
  "lib/handler/app_entry.ts",
  "static",
];

/**
 * The permissions of the binary: the server listens anywhere and reads any root, sees only its
 * own `HEIRETSU_*` variables, and nothing else unless a baked app asks for it.
 */
export const PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-env=HEIRETSU_*",
];

/**
 * The full `deno compile` argument list: flags, then `main.ts`, then baked arguments.
 *
 * @param options output, target, app and baked arguments
 * @returns the arguments after `deno`
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileArgs } from "./compile.ts";
 * const args = compileArgs({ output: "/tmp/h" });
 * assert.equal(args[0], "compile");
 * assert.ok(args.includes("--exclude-unused-npm"));
 * assert.ok(args.at(-1)!.endsWith("main.ts")); // nothing baked without an app
 * ```
 */
export function compileArgs(options: CompileOptions = {}): string[] {
  const cwd = options.cwd ?? Deno.cwd();
  const output = options.output === undefined
    ? join(REPO, "dist", "heiretsu")
    : resolve(cwd, options.output);
  const main = join(REPO, "main.ts");
  const app = options.app === undefined ? null : resolve(cwd, options.app);
  const args = [
    "compile",
    "--unstable-worker-options",
    ...permissionsFor(options.baked ?? []),
    "--exclude-unused-npm",
    ...EMBEDDED.flatMap((path) => ["--include", join(REPO, path)]),
    ...configFlags(app),
  ];
  if (app !== null) args.push("--include", app);
  if (options.target !== undefined) args.push("--target", options.target);
  args.push("--output", output, main);
  if (app !== null) {
    // The app's place relative to main.ts holds inside the binary, wherever it is unpacked.
    args.push(BAKED_APP_FLAG, relative(dirname(main), app).replaceAll("\\", "/"));
    args.push(...(options.baked ?? []));
  }
  return args;
}

/**
 * The binary's permissions: {@linkcode PERMISSIONS}, plus what the baked app's `--allow-*`
 * flags give its workers (a worker may not get more than its process).
 */
function permissionsFor(baked: readonly string[]): string[] {
  const wanted = baked.filter((arg) => /^--allow-(env|write|run|sys|ffi)(=|$)/.test(arg));
  const env = wanted.find((arg) => arg.startsWith("--allow-env"));
  const base = PERMISSIONS.filter((flag) => env === undefined || !flag.startsWith("--allow-env"));
  const envFlag = env === undefined || env === "--allow-env" ? [] : [`${env},HEIRETSU_*`];
  return [...base, ...envFlag, ...wanted.filter((arg) => !arg.startsWith("--allow-env="))];
}

/**
 * The config to compile under: an app's own `deno.json` (its import map), else heiretsu's; with
 * heiretsu's, the lock file is left alone, so an app's packages never write into the clone.
 */
function configFlags(app: string | null): string[] {
  const own = join(REPO, "deno.json");
  // deno.json says `"lock": false` so that tasks install nothing up front; a binary is still
  // built from the locked versions.
  if (app === null) return ["--config", own, `--lock=${join(REPO, "deno.lock")}`];
  const config = appConfig(dirname(app));
  return config === null || config === own ? ["--config", own, "--no-lock"] : ["--config", config];
}

/**
 * The `deno.json` or `deno.jsonc` nearest to a folder, looking upwards, or null.
 *
 * @param folder where to start
 * @returns the config file's path, or null
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { appConfig, REPO } from "./compile.ts";
 * assert.equal(appConfig(`${REPO}/examples`), `${REPO}/deno.json`.replaceAll("//", "/"));
 * ```
 */
export function appConfig(folder: string): string | null {
  for (let dir = resolve(folder);; dir = dirname(dir)) {
    for (const name of ["deno.json", "deno.jsonc"]) {
      try {
        if (Deno.statSync(join(dir, name)).isFile) return join(dir, name);
      } catch { /* not here */ }
    }
    if (dirname(dir) === dir) return null;
  }
}

/** Runs `deno` with arguments; returns whether it succeeded (its output goes to ours). */
async function deno(args: string[]): Promise<boolean> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  return (await child.status).success;
}

/**
 * Type-checks the app (under the config it will be compiled with), then compiles.
 *
 * @param options what to compile
 * @returns whether both steps succeeded
 * @example
 * ```ts ignore
 * import { compile } from "./compile.ts";
 * await compile({ app: "app.ts", output: "my-server" });
 * ```
 */
export async function compile(options: CompileOptions): Promise<boolean> {
  const args = compileArgs(options);
  if (options.app !== undefined) {
    const app = resolve(options.cwd ?? Deno.cwd(), options.app);
    if (!await deno(["check", ...configFlags(app), app])) return false;
  }
  return await deno(args);
}

/** Command line: `[--] [--app FILE] [--output FILE] [--target T] [--print] [-- BAKED…]`. */
function optionsFromArgs(argv: readonly string[]): CompileOptions & { print: boolean } {
  const rest = argv[0] === "--" ? argv.slice(1) : [...argv];
  const split = rest.indexOf("--");
  const { values } = parseArgs({
    args: split === -1 ? rest : rest.slice(0, split),
    options: {
      app: { type: "string" },
      output: { type: "string" },
      target: { type: "string" },
      print: { type: "boolean" },
    },
    strict: true,
  });
  const cwd = Deno.env.get("INIT_CWD") ?? Deno.cwd();
  const baked = split === -1 ? [] : rest.slice(split + 1);
  return { ...values, print: values.print ?? false, baked, cwd };
}

if (import.meta.main) {
  const options = optionsFromArgs(Deno.args);
  if (options.print) console.log(["deno", ...compileArgs(options)].join(" "));
  else Deno.exit(await compile(options) ? 0 : 1);
}
