/**
 * @module hono_app
 * The Hono route of the app benchmark: the answer of `hello_app.ts` (`hello\n` as text) from a
 * Hono app (`npm:hono`, pinned as the tests' fixtures pin it), so the difference between the two
 * rows is Hono's routing and context, and the difference between servers is how they host an app
 * that builds and reads real Request and Response objects. Run by heiretsu `--app`,
 * `deno serve` and `deno serve --parallel` alike.
 */
import { Hono } from "npm:hono@4.13.19";

const app = new Hono();
app.get("/", (c) => c.text("hello\n"));

export default app;
