/**
 * @module test
 * Runs `deno test` with the given arguments and passes its output through, except the `Check
 * FILE` lines Deno prints for each module it type-checks (some 200 on a first run, and more from
 * workers type-checked while tests run). Errors of the type check itself, the tests' own output
 * and the summary all stay. `deno test --quiet` would drop the Check lines too, but it also
 * drops what the tests print, such as why a test is skipped.
 *
 * With `--passes` (what `deno task test` gives), the run is split in four `deno test` processes,
 * so that the slow, timing-sensitive e2e suites run alone and the rest use both cores: first the
 * folders of `tests/` other than `e2e/`, and beside them the other paths given (the doc-comment
 * examples of `lib/`, `tools/` and `mod.ts`; printed once the first is done); then `tests/e2e/`
 * with one I/O thread; then the suites whose subject is the connection layer
 * ({@linkcode IO_SUITES}) again with two (`HEIRETSU_TEST_IO_THREADS`, read by the test helpers).
 * The last line sums the passes, in Deno's summary format.
 *
 * Usage: `deno run --allow-run --allow-read tools/test.ts [--passes] [deno test arguments]` (what
 * `deno task test` and `deno task test:fast` run; with `--passes`, `tests/` must be among the
 * paths).
 */

/** A terminal colour code, as Deno writes them around "Check". */
const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[\\d;]*m`, "g");

/**
 * Whether a line of `deno test`'s standard error is a type-check progress line.
 *
 * @param line One line, with or without colour codes.
 * @returns True for `Check FILE` lines.
 * @example
 * ```ts
 * isCheckLine("Check tests/http/head_test.ts"); // true
 * isCheckLine("error: TS2304 [ERROR]: Cannot find name 'x'."); // false
 * ```
 */
export function isCheckLine(line: string): boolean {
  return /^Check \S/.test(line.replace(COLOUR, ""));
}

/** Copies `stream` to `out` line by line, leaving out Check lines. */
async function filterLines(stream: ReadableStream<Uint8Array>, out: WritableStream<Uint8Array>) {
  const encoder = new TextEncoder();
  const writer = out.getWriter();
  let pending = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (pending + text).split("\n");
    pending = lines.pop()!;
    const kept = lines.filter((line) => !isCheckLine(line));
    if (kept.length > 0) await writer.write(encoder.encode(kept.map((l) => `${l}\n`).join("")));
  }
  if (pending !== "" && !isCheckLine(pending)) await writer.write(encoder.encode(pending));
  writer.releaseLock();
}

/**
 * The e2e suites run a second time with two I/O threads: those about connections, their limits
 * and deadlines, hostile clients, drain, worker loss and WebSockets. The others (file semantics,
 * the command line, docs, builds) do not depend on how many I/O threads there are.
 */
export const IO_SUITES: readonly string[] = [
  "access_log",
  "app_leave",
  "app_stall",
  "attack",
  "fuzz_live",
  "hostile_compress",
  "hostile_connections",
  "io_threads",
  "isolation",
  "limits",
  "operations",
  "out_of_descriptors",
  "server",
  "websocket",
  "worker_loss",
].map((name) => `tests/e2e/${name}_test.ts`);

/** One pass's counts, from Deno's summary line. */
export interface PassCounts {
  passed: number;
  failed: number;
  ignored: number;
}

/**
 * Reads the counts of Deno's summary line (`ok | 42 passed (3 steps) | 0 failed | 1 ignored`).
 *
 * @param output everything the pass printed
 * @returns the counts of its last summary line, or null if it printed none
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { passCounts } from "./test.ts";
 * assert.deepEqual(passCounts("FAILED | 3 passed (1 step) | 2 failed (4s)"), { passed: 3, failed: 2, ignored: 0 });
 * ```
 */
export function passCounts(output: string): PassCounts | null {
  const lines = output.replace(COLOUR, "").split("\n");
  const summary = lines.filter((line) => /^(ok|FAILED) \| \d+ passed/.test(line)).at(-1);
  if (summary === undefined) return null;
  const count = (what: string) => Number(new RegExp(`(\\d+) ${what}`).exec(summary)?.[1] ?? 0);
  return { passed: count("passed"), failed: count("failed"), ignored: count("ignored") };
}

/** One `deno test` process's exit code and what it printed to standard output. */
interface Pass {
  code: number;
  out: string;
}

/**
 * Runs `deno test` with `args`, Check lines dropped. Its output is passed through as it comes
 * (`live`), or kept and written by `print()` (a pass that runs beside a live one).
 */
function startPass(
  args: string[],
  options: { ioThreads: string; live: boolean },
): { done: Promise<Pass>; print: () => Promise<void> } {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", ...args],
    env: { HEIRETSU_TEST_IO_THREADS: options.ioThreads },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const kept: Uint8Array[] = [];
  const sink = (live: WritableStream<Uint8Array>) =>
    options.live
      ? live
      : new WritableStream<Uint8Array>({ write: (chunk) => void kept.push(chunk) });
  let out = "";
  const decoder = new TextDecoder();
  const keep = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      out += decoder.decode(chunk, { stream: true });
      controller.enqueue(chunk);
    },
  });
  const done = Promise.all([
    child.stdout.pipeThrough(keep).pipeTo(sink(Deno.stdout.writable), { preventClose: true }),
    filterLines(child.stderr, sink(Deno.stderr.writable)),
  ]).then(async () => ({ code: (await child.status).code, out }));
  const print = async () => {
    for (const chunk of kept) await Deno.stdout.write(chunk);
  };
  return { done, print };
}

/** Runs one pass with its output passed through. */
function runPass(args: string[], ioThreads: string): Promise<Pass> {
  return startPass(args, { ioThreads, live: true }).done;
}

/** The e2e suites' folder, which `--passes` runs on its own. */
const E2E = "tests/e2e/";

/** The paths of `tests/` other than its e2e folder. */
function testsBesideE2e(): string[] {
  return [...Deno.readDirSync("tests")]
    .filter((entry) => entry.name !== "e2e")
    .map((entry) => `tests/${entry.name}${entry.isDirectory ? "/" : ""}`)
    .sort();
}

/** The four passes of `--passes` (see the module's comment); returns each one's result. */
async function runPasses(flags: string[], paths: string[]): Promise<Pass[]> {
  if (!paths.includes("tests/")) throw new Error("--passes needs tests/ among the paths");
  const others = paths.filter((path) => path !== "tests/");
  const units = startPass([...flags, ...testsBesideE2e()], { ioThreads: "1", live: true });
  const docs = startPass([...flags, ...others], { ioThreads: "1", live: false });
  const first = await units.done;
  console.log(`\nBeside them, ${others.join(" ")}:\n`);
  await docs.print();
  const beside = await docs.done;
  console.log("\nThe e2e suites, with one I/O thread:\n");
  const e2e = await runPass([...flags, E2E], "1");
  console.log("\nThe connection-layer suites again, with two I/O threads:\n");
  const again = await runPass([...flags, ...IO_SUITES], "2");
  return [first, beside, e2e, again];
}

async function main(): Promise<number> {
  const split = Deno.args.includes("--passes");
  const args = Deno.args.filter((arg) => arg !== "--passes");
  if (!split) return (await runPass(args, "")).code;
  const flags = args.filter((arg) => arg.startsWith("-"));
  const passes = await runPasses(flags, args.filter((arg) => !arg.startsWith("-")));
  const counts = passes.map((pass) => passCounts(pass.out));
  if (counts.some((c) => c === null)) return 1;
  const sum = (key: keyof PassCounts) => counts.reduce((total, c) => total + c![key], 0);
  const failed = sum("failed");
  console.log(
    `\n${failed === 0 ? "ok" : "FAILED"} | ${sum("passed")} passed | ${failed} failed | ${
      sum("ignored")
    } ignored (${passes.length} passes)`,
  );
  return passes.find((pass) => pass.code !== 0)?.code ?? 0;
}

if (import.meta.main) Deno.exit(await main());
