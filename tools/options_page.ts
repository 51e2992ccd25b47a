/**
 * The built-in site's options page, `static/options.html`: the `--help-all` text in a page, so
 * the default site links to every option offline, from the one flag table. After a flag
 * changes, write it again (a test fails until then):
 *
 * ```sh
 * deno run --allow-write=static tools/options_page.ts
 * ```
 *
 * @module
 */
import { helpText } from "../lib/config/help.ts";

/** Where the page is written, from the clone's root. */
export const OPTIONS_PAGE = "static/options.html";

/**
 * The page: the built-in site's head and stylesheet, and `--help-all` as preformatted text.
 *
 * @returns the HTML
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optionsPage } from "./options_page.ts";
 * assert.match(optionsPage(), /--max-body BYTES/);
 * assert.match(optionsPage(), /&quot;NAME: VALUE&quot;/);
 * ```
 */
export function optionsPage(): string {
  // From "Usage:" on: the version line would make the page stale at each release.
  const usage = helpText({ all: true }).split("\n").slice(2).join("\n");
  const help = usage.replace(/[&<>"]/g, (c) => ESCAPES[c]);
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light dark">
    <title>heiretsu — every option</title>
    <link rel="icon" href="favicon.svg" type="image/svg+xml">
    <link rel="stylesheet" href="style.css">
  </head>
  <body>
    <main>
      <p><a href="./">← heiretsu</a></p>
      <h1>Every option</h1>
      <p>
        What <code>heiretsu --help-all</code> prints. Each flag can also be set as an environment
        variable, <code>HEIRETSU_</code> and its name in capitals (<code>--max-body</code> is
        <code>HEIRETSU_MAX_BODY</code>); a flag wins over its variable.
      </p>
      <pre>${help}</pre>
    </main>
    <footer>heiretsu · MIT licensed</footer>
  </body>
</html>
`;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

if (import.meta.main) {
  await Deno.writeTextFile(new URL(`../${OPTIONS_PAGE}`, import.meta.url), optionsPage());
}
