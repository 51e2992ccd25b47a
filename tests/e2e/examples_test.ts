/**
 * The example apps answer as their documentation says.
 */
import assert from "node:assert/strict";
import { TestServer } from "../_helpers/server.ts";

function example(name: string): string {
  return new URL(`../../examples/${name}`, import.meta.url).pathname;
}

async function withExample(name: string, fn: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await TestServer.start(["--app", example(name), "--quiet"]);
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

Deno.test("examples/time.ts shows the current time", async () => {
  await withExample("time.ts", async (server) => {
    const html = await (await fetch(server.url)).text();
    const hour = new Date().toISOString().slice(11, 13);
    assert.match(html, new RegExp(`<h1>It is ${hour}:\\d\\d:\\d\\d UTC</h1>`));
  });
});

Deno.test("examples/echo.ts echoes method, URL, headers, address and body", async () => {
  await withExample("echo.ts", async (server) => {
    const echo = await (await fetch(`${server.url}/x?y=1`, { method: "POST", body: "hello" }))
      .json();
    assert.equal(echo.method, "POST");
    assert.equal(echo.url, `${server.url}/x?y=1`);
    assert.equal(echo.body, "hello");
    assert.match(echo.remote, /^127\.0\.0\.1:\d+$/);
  });
});

Deno.test("examples/form.ts shows GET and POST parameters, escaped", async () => {
  await withExample("form.ts", async (server) => {
    const get = await (await fetch(`${server.url}/?q=<b>`)).text();
    assert.match(get, /<td>q<\/td><td>&#60;b&#62;<\/td>/);
    const post = await (await fetch(`${server.url}/?from=query`, {
      method: "POST",
      body: new URLSearchParams({ name: "Ada", color: "teal" }),
    })).text();
    assert.match(post, /<td>from<\/td><td>query<\/td>/);
    assert.match(post, /<td>name<\/td><td>Ada<\/td>/);
    assert.match(post, /<td>color<\/td><td>teal<\/td>/);
  });
});

Deno.test("examples/slow.ts burns, sleeps and answers fast", async () => {
  await withExample("slow.ts", async (server) => {
    assert.equal(await (await fetch(`${server.url}/`)).text(), "fast\n");
    let started = performance.now();
    assert.match(await (await fetch(`${server.url}/burn?ms=100`)).text(), /^burned 100 ms/);
    assert.ok(performance.now() - started >= 100);
    started = performance.now();
    assert.equal(await (await fetch(`${server.url}/sleep?ms=100`)).text(), "slept 100 ms\n");
    assert.ok(performance.now() - started >= 100);
  });
});
