/**
 * @module
 * The tree must tell the thread. From `deno info --json` (type-only imports included):
 * the worker's graph reaches no main-thread module and no part of the command-line parser; the
 * main thread's graph reaches no worker-side module (static files, apps, the exchange); and the
 * modules of `lib/` import each other without cycles.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const REPO_URL = new URL("..", import.meta.url).href;

/** What runs on the main thread only. A pattern ending in "/" means a whole folder. */
const MAIN_ONLY = ["main.ts", "lib/supervisor/", "lib/io/", "lib/config/"];

/**
 * The module of `lib/config/` workers may read: the settings (types and DEFAULTS, importing
 * nothing). The version is not one: a worker is told its Server header.
 */
const CONFIG_LEAVES = ["lib/config/settings.ts"];

/** What runs in workers only. */
const WORKER_ONLY = ["lib/handler/", "lib/handler/static/", "lib/handler/app/"];

/**
 * The entries of the worker side: the Web Worker the pool starts, and the node thread an app
 * worker runs its app in.
 */
const WORKER_ENTRIES = ["lib/handler/entry.ts", "lib/handler/app_entry.ts"];

/** Module (repository-relative path) → the repository modules it imports. */
type Graph = Map<string, string[]>;

interface InfoDependency {
  code?: { specifier?: string };
  type?: { specifier?: string };
}

interface InfoModule {
  specifier: string;
  dependencies?: InfoDependency[];
}

const graphs = new Map<string, Promise<Graph>>();

/** The import graph of one entry, limited to the repository's own modules. */
function graphOf(entry: string): Promise<Graph> {
  let graph = graphs.get(entry);
  if (graph === undefined) {
    graph = readGraph(entry);
    graphs.set(entry, graph);
  }
  return graph;
}

async function readGraph(entry: string): Promise<Graph> {
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: REPO,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(success, `deno info ${entry} failed: ${new TextDecoder().decode(stderr)}`);
  const info = JSON.parse(new TextDecoder().decode(stdout)) as { modules: InfoModule[] };
  const graph: Graph = new Map();
  for (const module of info.modules) {
    const from = local(module.specifier);
    if (from === null) continue;
    const targets = (module.dependencies ?? []).flatMap((
      d,
    ) => [d.code?.specifier, d.type?.specifier]);
    const to = targets.map((target) => target === undefined ? null : local(target));
    graph.set(from, [...new Set(to.filter((path) => path !== null))]);
  }
  return graph;
}

/** The repository-relative path of a TypeScript module of ours, or null for anything else. */
function local(specifier: string): string | null {
  if (!specifier.startsWith(REPO_URL) || !specifier.endsWith(".ts")) return null;
  return decodeURIComponent(specifier.slice(REPO_URL.length));
}

function matches(path: string, pattern: string): boolean {
  return pattern.endsWith("/") ? path.startsWith(pattern) : path === pattern;
}

/** The import chain from `entry` to every module it reaches, found breadth first. */
function chains(graph: Graph, entry: string): Map<string, string[]> {
  const found = new Map<string, string[]>([[entry, [entry]]]);
  const queue = [entry];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const target of graph.get(next) ?? []) {
      if (found.has(target)) continue;
      found.set(target, [...found.get(next)!, target]);
      queue.push(target);
    }
  }
  return found;
}

/** Each module `entry` reaches that it must not, with the chain that reaches it. */
async function crossings(
  entry: string,
  rule: { forbidden: string[]; allowed?: string[] },
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const [module, chain] of chains(await graphOf(entry), entry)) {
    if (rule.allowed?.includes(module)) continue;
    if (rule.forbidden.some((pattern) => matches(module, pattern))) {
      found.set(module, chain.join(" -> "));
    }
  }
  return found;
}

for (const entry of WORKER_ENTRIES) {
  Deno.test(`${entry}'s import graph reaches no main-thread module and no config parser`, async () => {
    const found = await crossings(entry, { forbidden: MAIN_ONLY, allowed: CONFIG_LEAVES });
    assert.deepEqual([...found.values()], []);
  });
}

Deno.test("main.ts's import graph reaches no worker-side module", async () => {
  const found = await crossings("main.ts", { forbidden: WORKER_ONLY });
  assert.deepEqual([...found.values()], []);
});

Deno.test("lib/config/settings.ts imports nothing, so workers can read it alone", async () => {
  assert.deepEqual((await graphOf(CONFIG_LEAVES[0])).get(CONFIG_LEAVES[0]), []);
});

/** Every module of `lib/`, as repository-relative paths. */
function libModules(folder = "lib"): string[] {
  return [...Deno.readDirSync(`${REPO}/${folder}`)].flatMap((entry) => {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory) return libModules(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** The graph of every module of `lib/`: the entries', plus any module none reaches. */
async function wholeGraph(): Promise<Graph> {
  const whole: Graph = new Map();
  const add = (graph: Graph) => graph.forEach((targets, module) => whole.set(module, targets));
  add(await graphOf("main.ts"));
  for (const entry of WORKER_ENTRIES) add(await graphOf(entry));
  for (const module of libModules()) {
    if (!whole.has(module)) add(await graphOf(module));
  }
  return whole;
}

/** Groups of modules that import each other, directly or not (Tarjan's algorithm). */
function cycles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (module: string) => {
    index.set(module, index.size);
    low.set(module, index.get(module)!);
    stack.push(module);
    for (const target of graph.get(module) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(module, Math.min(low.get(module)!, low.get(target)!));
      } else if (stack.includes(target)) {
        low.set(module, Math.min(low.get(module)!, index.get(target)!));
      }
    }
    if (low.get(module) !== index.get(module)) return;
    const group = stack.splice(stack.indexOf(module));
    if (group.length > 1 || graph.get(module)?.includes(module)) found.push(group.sort());
  };
  for (const module of graph.keys()) if (!index.has(module)) visit(module);
  return found;
}

Deno.test("lib/ modules import each other without cycles", async () => {
  const graph = await wholeGraph();
  assert.ok(libModules().every((module) => graph.has(module)), "every module of lib/ is read");
  assert.deepEqual(cycles(graph), []);
});

Deno.test("cycles() finds a cycle through two modules and one importing itself", () => {
  const graph: Graph = new Map([
    ["a.ts", ["b.ts"]],
    ["b.ts", ["c.ts", "a.ts"]],
    ["c.ts", []],
    ["d.ts", ["d.ts"]],
  ]);
  assert.deepEqual(cycles(graph), [["a.ts", "b.ts"], ["d.ts"]]);
});
