/**
 * @module
 * Integration test of issue 16 point 6 over real sockets: a server whose connections have taken
 * every file descriptor answers an existing file 503 (Retry-After, no-store), never a cacheable
 * 404, logs it once for the burst, and serves the file again once descriptors are free. The
 * limit is lowered on the running server with `prlimit`; /proc counts its descriptors (Linux).
 */
import assert from "node:assert/strict";
import { connect, readResponses, writeAll } from "../_helpers/http.ts";
import { settledFds } from "../_helpers/fds.ts";
import { withSiteServer } from "../_helpers/site.ts";

const encoder = new TextEncoder();
/** Descriptors left to the server above what it holds idle: connections take them all. */
const HEADROOM_FDS = 24;
/** More connections than the headroom: some wait unaccepted in the listen queue. */
const CONNECTIONS = 40;
/** Requests for the file while out of descriptors: all 503, one log line. */
const TRIES = 5;

const linuxOnly = Deno.build.os !== "linux";
const prlimit = linuxOnly ? null : await which("prlimit");

async function which(name: string): Promise<string | null> {
  try {
    const { success, stdout } = await new Deno.Command("which", { args: [name] }).output();
    return success ? new TextDecoder().decode(stdout).trim() : null;
  } catch {
    return null;
  }
}

/** Sets the soft limit only: the hard one stays, so the limit can be raised back. */
async function setFdLimit(pid: number, limit: number): Promise<void> {
  const { success, stderr } = await new Deno.Command(prlimit!, {
    args: ["--pid", String(pid), `--nofile=${limit}:`],
  }).output();
  assert.ok(success, new TextDecoder().decode(stderr));
}

async function get(conn: Deno.Conn, path: string) {
  await writeAll(conn, encoder.encode(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`));
  const [response] = await readResponses(conn, { responses: 1, timeoutMs: 5000 });
  return response;
}

Deno.test({
  name: "out of file descriptors, an existing file is a 503 no-store with Retry-After, logged once",
  // Reason: /proc/PID/fd and prlimit exist on Linux only.
  ignore: linuxOnly || prlimit === null,
  fn: () =>
    withSiteServer({ args: ["--workers", "1"] }, async (server, site) => {
      await Deno.writeTextFile(`${site.root}/fresh.txt`, "fresh\n");
      const idle = await settledFds(server.pid, { timeoutMs: 3000 });
      const limit = idle + HEADROOM_FDS;
      // Raised back before the server stops: it needs descriptors to shut down cleanly.
      const before = (await Deno.readTextFile(`/proc/${server.pid}/limits`))
        .match(/^Max open files\s+(\d+)/m)![1];
      await setFdLimit(server.pid, limit);
      const conns: Deno.TcpConn[] = [];
      try {
        for (let i = 0; i < CONNECTIONS; i++) conns.push(await connect(server.port));
        // The limit caps descriptor numbers, not their count (idle ones may leave gaps): out of
        // them, the count stops short of every connection accepted.
        const held = await settledFds(server.pid, { timeoutMs: 5000 });
        assert.ok(held >= limit - 1 && held < idle + CONNECTIONS, `${held} descriptors`);
        for (let i = 0; i < TRIES; i++) {
          const response = await get(conns[i], "/fresh.txt");
          assert.equal(response.status, 503, `try ${i}: an existing file is not a 404`);
          assert.equal(response.headers.get("cache-control"), "no-store");
          assert.equal(response.headers.get("retry-after"), "1");
        }
        const logged = server.lines.filter((line) => /Files cannot be opened now/.test(line));
        assert.equal(logged.length, 1, server.lines.join("\n"));
        assert.match(logged[0], /Too many open files/);
      } finally {
        for (const conn of conns) conn.close();
        await setFdLimit(server.pid, Number(before));
      }
      await settledFds(server.pid, { timeoutMs: 3000, atMost: idle + 2 });
      const again = await connect(server.port);
      try {
        const response = await get(again, "/fresh.txt");
        assert.equal(response.status, 200);
        assert.equal(new TextDecoder().decode(response.body), "fresh\n");
      } finally {
        again.close();
      }
    }),
});
