/**
 * The I/O threads (`--io-threads`, lib/supervisor/io_threads.ts, lib/io/entry.ts): each accepts
 * from the shared port, the limits hold over all of them together, and the supervisor's thread
 * does no socket I/O. The other e2e suites run with `HEIRETSU_TEST_IO_THREADS=2` as well.
 */
import assert from "node:assert/strict";
import { TestServer } from "../_helpers/server.ts";
import { connect, exchange } from "../_helpers/http.ts";
import { makeSite } from "../_helpers/site.ts";
import { NO_PROC } from "../_helpers/proc.ts";
import { waitFor } from "../_helpers/wait.ts";
import { serve } from "../../mod.ts";

const GET = "GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

/** CPU time (user + system, in clock ticks) of each thread of `pid`, by thread name. */
function threadTimes(pid: number): Map<string, number> {
  const times = new Map<string, number>();
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    const dir = `/proc/${pid}/task/${task.name}`;
    const name = Deno.readTextFileSync(`${dir}/comm`).trim();
    // The name in the stat line may hold spaces: the fields after it start past its ")".
    const stat = Deno.readTextFileSync(`${dir}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    times.set(`${name} ${task.name}`, Number(fields[11]) + Number(fields[12]));
  }
  return times;
}

Deno.test({
  name:
    "--io-threads 2: two sandboxed I/O threads share the port and both accept, the main thread relays nothing",
  ignore: NO_PROC,
  fn: async () => {
    const site = await makeSite();
    const server = await TestServer.start(["--root", site.root, "--io-threads", "2", "--quiet"]);
    try {
      assert.ok(
        server.lines.some((l) => /\(\d+ workers, 2 I\/O threads,/.test(l)),
        server.lines.join("\n"),
      );
      const before = threadTimes(server.pid);
      // Deno names a Web Worker's thread "worker-N", N counting workers in the order they were
      // made: the I/O threads start before the handler workers.
      const ioThreads = [...before.keys()].filter((name) => /^worker-[12] /.test(name));
      assert.equal(ioThreads.length, 2, [...before.keys()].join(", "));
      // Many short connections, a few at a time, so both threads' accepts are asked.
      for (let round = 0; round < 100; round++) {
        const answers = await Promise.all(
          Array.from({ length: 4 }, () => exchange(server.port, GET)),
        );
        for (const [response] of answers) assert.equal(response.status, 200);
      }
      const after = threadTimes(server.pid);
      const used = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
      for (const name of ioThreads) assert.ok(used(name) > 0, `${name} did no work`);
      const main = [...after.keys()].find((name) => name.endsWith(` ${server.pid}`))!;
      const io = ioThreads.reduce((sum, name) => sum + used(name), 0);
      assert.ok(used(main) * 4 < io, `main thread ${used(main)} ticks, I/O threads ${io}`);
    } finally {
      await server.stop();
      await site.remove();
    }
  },
});

Deno.test("--max-connections holds over every I/O thread together", async () => {
  const site = await makeSite();
  const server = await TestServer.start([
    "--root",
    site.root,
    "--io-threads",
    "2",
    "--max-connections",
    "4",
    "--quiet",
  ]);
  const conns: Deno.TcpConn[] = [];
  try {
    for (let i = 0; i < 10; i++) conns.push(await connect(server.port));
    // Those over the limit are closed at once: a read sees the end.
    const ends = await Promise.all(conns.map(async (conn) => {
      const buffer = new Uint8Array(16);
      const timer = new Promise<"open">((resolve) => setTimeout(() => resolve("open"), 1000));
      const read = conn.read(buffer).then((n) => (n === null ? "closed" : "data"), () => "closed");
      return await Promise.race([read, timer]);
    }));
    assert.equal(ends.filter((end) => end === "open").length, 4, ends.join(", "));
    await server.waitForLine(/4 connections open \(--max-connections\)/);
  } finally {
    for (const conn of conns) {
      try {
        conn.close();
      } catch { /* closed by the server */ }
    }
    await server.stop();
    await site.remove();
  }
});

Deno.test("two servers of one process never share a socket: port 0 twice gives two ports, a taken port is refused", async () => {
  const first = await serve({ port: 0, workers: 1, ioThreads: 2, quiet: true });
  try {
    const second = await serve({ port: 0, workers: 1, ioThreads: 2, quiet: true });
    try {
      assert.notEqual(first.addr.port, second.addr.port);
      for (const server of [first, second]) {
        const response = await fetch(`${server.url}/`);
        assert.equal(response.status, 200);
        await response.body?.cancel();
      }
    } finally {
      await second.shutdown();
    }
    await assert.rejects(
      serve({ port: first.addr.port, workers: 1, quiet: true }),
      Deno.errors.AddrInUse,
    );
  } finally {
    await first.shutdown();
  }
  // Once shut down, the port is free again for this process.
  const again = await serve({ port: first.addr.port, workers: 1, quiet: true });
  await again.shutdown();
});

Deno.test({
  name:
    "--reuse-port without deno's --unstable-net is refused at start with what to add, never exit 70",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const main = new URL("../../main.ts", import.meta.url).pathname;
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--unstable-worker-options", "-A", main, "--port", "0", "--reuse-port"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 1, text);
    assert.match(text, /--reuse-port needs Deno's --unstable-net flag/);
  },
});

Deno.test({
  name:
    "--reuse-port with --unstable-net: each I/O thread binds its own socket and the server serves",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const site = await makeSite();
    const server = await TestServer.start(
      ["--root", site.root, "--io-threads", "2", "--reuse-port", "--quiet"],
      ["--unstable-net"],
    );
    try {
      for (let i = 0; i < 20; i++) {
        const [response] = await exchange(server.port, GET);
        assert.equal(response.status, 200);
      }
      // The supervisor's probe socket is closed: only the threads' sockets listen.
      const listening = await waitFor(() => {
        const hex = server.port.toString(16).toUpperCase().padStart(4, "0");
        const table = Deno.readTextFileSync("/proc/net/tcp");
        const rows = table.split("\n").filter((row) => row.includes(`:${hex} 00000000:0000 0A`));
        return rows.length > 0 ? rows.length : undefined;
      }, { timeoutMs: 2000, what: "the listening sockets" });
      assert.equal(listening, 2);
    } finally {
      await server.stop();
      await site.remove();
    }
  },
});
