/**
 * @module test
 * Runs `deno test` with the given arguments and passes its output through, except the `Check
 * FILE` lines Deno prints for each module it type-checks (some 200 on a first run, and more from
 * workers type-checked while tests run). Errors of the type check itself, the tests' own output
 * and the summary all stay. `deno test --quiet` would drop the Check lines too, but it also
 * drops what the tests print, such as why a test is skipped.
 *
 * With `--io-threads-pass` (what `deno task test` gives), the whole run uses one I/O thread, and
 * then the suites whose subject is the connection layer ({@linkcode IO_SUITES}) run again with two
 * (`HEIRETSU_TEST_IO_THREADS`, read by the test helpers); the last line sums both passes, in
 * Deno's summary format.
 *
 * Usage: `deno run --allow-run --allow-read tools/test.ts [--io-threads-pass] [deno test
 * arguments]` (what `deno task test` and `deno task test:fast` run).
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

/** Runs `deno test` with `args`, Check lines dropped; returns its exit code and what it printed. */
async function runPass(args: string[], ioThreads: string): Promise<{ code: number; out: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", ...args],
    env: { HEIRETSU_TEST_IO_THREADS: ioThreads },
    stdin: "inherit",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const keep = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      out += new TextDecoder().decode(chunk, { stream: true });
      controller.enqueue(chunk);
    },
  });
  await Promise.all([
    child.stdout.pipeThrough(keep).pipeTo(Deno.stdout.writable, { preventClose: true }),
    filterLines(child.stderr, Deno.stderr.writable),
  ]);
  return { code: (await child.status).code, out };
}

async function main(): Promise<number> {
  const twice = Deno.args.includes("--io-threads-pass");
  const args = Deno.args.filter((arg) => arg !== "--io-threads-pass");
  const first = await runPass(args, twice ? "1" : "");
  if (!twice) return first.code;
  const denoFlags = args.filter((arg) => arg.startsWith("-"));
  console.log("\nThe connection-layer suites again, with two I/O threads:\n");
  const second = await runPass([...denoFlags, ...IO_SUITES], "2");
  const counts = [passCounts(first.out), passCounts(second.out)];
  if (counts.some((c) => c === null)) return 1;
  const sum = (key: keyof PassCounts) => counts.reduce((total, c) => total + c![key], 0);
  const failed = sum("failed");
  console.log(
    `\n${failed === 0 ? "ok" : "FAILED"} | ${sum("passed")} passed | ${failed} failed | ${
      sum("ignored")
    } ignored (both passes)`,
  );
  return first.code !== 0 ? first.code : second.code;
}

if (import.meta.main) Deno.exit(await main());
