/**
 * An ordinary Hono project: `deno.json` maps "hono" to npm, and this module imports it by its
 * bare name. From this folder it runs with `deno serve main.ts`, and on heiretsu's pool with
 *
 * ```sh
 * deno run --config deno.json --unstable-worker-options --allow-net --allow-read \
 *   --allow-env=HEIRETSU_* ../../main.ts --app main.ts
 * ```
 *
 * `--config deno.json` makes this folder's import map Deno's (Deno would otherwise take
 * heiretsu's, found from main.ts), so "hono" resolves through it, while heiretsu imports its own
 * packages with full `npm:` specifiers and needs none.
 * `"lock": false` keeps Deno from writing a lock file here.
 *
 * @module
 */
import { Hono } from "hono";

const app = new Hono();
app.get("/", (c) => c.text("Hello from Hono\n"));
app.get("/hello/:name", (c) => c.json({ hello: c.req.param("name") }));

export default app;
