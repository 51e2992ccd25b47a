/**
 * @module
 * The tree must tell the thread. From `deno info --json` (type-only imports included), every
 * module of `lib/` (and `main.ts`, `mod.ts`) belongs to one layer, and each import points the way
 * {@linkcode MAY_IMPORT} allows: the supervisor and the I/O code never import handler code, nor
 * the reverse; inside the handler side the wiring imports `static/` and `app/`, which import the
 * handler contract, which imports neither. The table itself has no cycle, so folder imports point
 * one way; and the modules of `lib/` import each other without cycles.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const REPO_URL = new URL("..", import.meta.url).href;

/**
 * The layers, each a list of path patterns (a pattern ending in "/" is a whole folder). A module
 * belongs to the layer of its longest matching pattern.
 */
const LAYERS = {
  /** The process's entries: the command line and the library. */
  cli: ["main.ts", "mod.ts"],
  /** Process-wide, main thread: workers, watchdog, signals, drain, health check, startup. */
  supervisor: ["lib/supervisor/"],
  /** What the I/O threads run: accept loop, connections, relay, TLS, tunnels. */
  io: ["lib/io/"],
  /** The handler threads' entries and the one module that wires static files and app in. */
  handlerWiring: ["lib/handler/entry.ts", "lib/handler/app_entry.ts", "lib/handler/compose.ts"],
  /** The static-file handler. */
  static: ["lib/handler/static/"],
  /** The app handler and the app's thread. */
  app: ["lib/handler/app/"],
  /** The handler contract and the serve loop that static files and apps plug into. */
  handler: ["lib/handler/"],
  /** What crosses between threads. */
  wire: ["lib/wire/"],
  /** The command-line parser, --help and the environment: main thread only. */
  config: ["lib/config/"],
  /** ServerConfig and DEFAULTS: imports nothing, every thread may read it. */
  settings: ["lib/config/settings.ts"],
  /** The version, read from deno.json. */
  version: ["lib/config/version.ts"],
  /** Sans-I/O HTTP: bytes in, events out. */
  http: ["lib/http/"],
} as const;

type Layer = keyof typeof LAYERS;

/** The layers each layer may import, besides itself: the allowed directions, as data. */
const MAY_IMPORT: Readonly<Record<Layer, readonly Layer[]>> = {
  cli: ["supervisor", "config", "settings", "version", "http"],
  supervisor: ["io", "wire", "config", "settings", "version", "http"],
  io: ["wire", "settings", "version", "http"],
  handlerWiring: ["static", "app", "handler", "wire", "settings", "http"],
  static: ["handler", "wire", "settings", "http"],
  app: ["handler", "wire", "settings", "http"],
  handler: ["wire", "settings", "http"],
  wire: ["settings", "http"],
  config: ["settings", "version", "http"],
  settings: [],
  version: [],
  http: [],
};

/** What runs on the main thread only. */
const MAIN_ONLY = ["main.ts", "mod.ts", "lib/supervisor/", "lib/io/", "lib/config/"];

/**
 * The modules of `lib/config/` workers may read: the settings (types and DEFAULTS, importing
 * nothing). The version is not one: a worker is told its Server header.
 */
const CONFIG_LEAVES = ["lib/config/settings.ts"];

/** What runs in handler threads only. */
const WORKER_ONLY = ["lib/handler/"];

/**
 * The entries of the handler side: the Web Worker the pool starts, and the node thread an app
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

for (const entry of ["main.ts", "mod.ts"]) {
  Deno.test(`${entry}'s import graph reaches no handler-side module`, async () => {
    const found = await crossings(entry, { forbidden: WORKER_ONLY });
    assert.deepEqual([...found.values()], []);
  });
}

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
  add(await graphOf("mod.ts"));
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

/** The layer of a module: that of its longest matching pattern, or null for none. */
function layerOf(path: string): Layer | null {
  let best: { layer: Layer; length: number } | null = null;
  for (const [layer, patterns] of Object.entries(LAYERS) as [Layer, readonly string[]][]) {
    for (const pattern of patterns) {
      if (matches(path, pattern) && (best === null || pattern.length > best.length)) {
        best = { layer, length: pattern.length };
      }
    }
  }
  return best?.layer ?? null;
}

/** Every import of `graph` that the table does not allow, as "from -> to (layer -> layer)". */
function wrongWays(graph: Graph, allowed: Readonly<Record<Layer, readonly Layer[]>>): string[] {
  const found: string[] = [];
  for (const [from, targets] of graph) {
    const source = layerOf(from);
    if (source === null) continue;
    for (const to of targets) {
      const target = layerOf(to);
      if (target === null || target === source || allowed[source].includes(target)) continue;
      found.push(`${from} -> ${to} (${source} may not import ${target})`);
    }
  }
  return found;
}

Deno.test("every module of lib/ belongs to a layer of the table", () => {
  assert.deepEqual(libModules().filter((module) => layerOf(module) === null), []);
});

Deno.test("each import of lib/, main.ts and mod.ts points the way MAY_IMPORT allows", async () => {
  assert.deepEqual(wrongWays(await wholeGraph(), MAY_IMPORT), []);
});

Deno.test("MAY_IMPORT has no cycle: folder imports point one way", () => {
  const table: Graph = new Map(Object.entries(MAY_IMPORT).map(([layer, to]) => [layer, [...to]]));
  assert.deepEqual(cycles(table), []);
});

Deno.test("MAY_IMPORT keeps the supervisor and I/O code apart from handler code", () => {
  const mainSide: Layer[] = ["cli", "supervisor", "io"];
  const handlerSide: Layer[] = ["handlerWiring", "static", "app", "handler"];
  const table: Graph = new Map(Object.entries(MAY_IMPORT).map(([layer, to]) => [layer, [...to]]));
  for (const from of mainSide) {
    const reached = [...chains(table, from).keys()];
    assert.deepEqual(reached.filter((layer) => handlerSide.includes(layer as Layer)), [], from);
  }
  for (const from of handlerSide) {
    const reached = [...chains(table, from).keys()];
    assert.deepEqual(reached.filter((layer) => mainSide.includes(layer as Layer)), [], from);
  }
});

Deno.test("wrongWays() names an import from the handler contract up into static/", () => {
  const graph: Graph = new Map([
    ["lib/handler/exchange.ts", ["lib/handler/static/qvalues.ts", "lib/http/parser.ts"]],
    ["lib/handler/static/handler.ts", ["lib/handler/handler.ts"]],
    ["lib/io/relay.ts", ["lib/supervisor/pool.ts"]],
  ]);
  assert.deepEqual(wrongWays(graph, MAY_IMPORT), [
    "lib/handler/exchange.ts -> lib/handler/static/qvalues.ts (handler may not import static)",
    "lib/io/relay.ts -> lib/supervisor/pool.ts (io may not import supervisor)",
  ]);
});
