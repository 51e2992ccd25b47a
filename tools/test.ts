/**
 * @module test
 * Runs `deno test` with the given arguments and passes its output through, except the `Check
 * FILE` lines Deno prints for each module it type-checks (some 200 on a first run, and more from
 * workers type-checked while tests run). Errors of the type check itself, the tests' own output
 * and the summary all stay. `deno test --quiet` would drop the Check lines too, but it also
 * drops what the tests print, such as why a test is skipped.
 *
 * Usage: `deno run --allow-run --allow-read tools/test.ts [deno test arguments]`
 * (what `deno task test` and `deno task test:fast` run).
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

async function main(): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", ...Deno.args],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "piped",
  }).spawn();
  await filterLines(child.stderr, Deno.stderr.writable);
  return (await child.status).code;
}

if (import.meta.main) Deno.exit(await main());
