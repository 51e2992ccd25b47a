/**
 * The app thread's network guards (lib/handler/app/net_guards.ts), each run in a node thread of
 * its own, as an app's thread is (`inGuardedThread`). The server's socket here is one this test's
 * main thread listens on, made so that an unguarded app thread could join it: with `loadBalanced`
 * (as Deno shares a socket among threads), or with node's `reusePort` (SO_REUSEPORT). Bound: each
 * case within 30 s.
 */
import assert from "node:assert/strict";
import net from "node:net";
import {
  DESCRIPTORS_REFUSED,
  ownAddressRefused,
  SHARING_REFUSED,
  UNSTABLE_REFUSED,
} from "../../../lib/handler/app/net_guards.ts";
import { inGuardedThread } from "../../_helpers/guarded_thread.ts";

const NET_GUARDS = new URL("../../../lib/handler/app/net_guards.ts", import.meta.url).href;
const HAS_PROC = (() => {
  try {
    Deno.statSync("/proc/self/net/tcp");
    return true;
  } catch {
    return false;
  }
})();

/**
 * The body of a guarded thread that makes each call in turn (the inside of an async function)
 * and answers one line per call: "ok" and what it returned, or the error's name and message.
 */
function eachOf(calls: string[]): string {
  const attempts = calls.map((call) => `async () => { ${call} }`).join(",\n");
  return `
    const lines = [];
    for (const attempt of [${attempts}]) {
      try {
        lines.push("ok " + ((await attempt()) ?? ""));
      } catch (error) {
        lines.push(error.name + ": " + error.message);
      }
    }
    return lines.join("\\n");
  `;
}

/** A free port on 127.0.0.1, as the system picks one. */
function freePort(): number {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  probe.close();
  return probe.addr.port;
}

/**
 * Listens on 127.0.0.1 as Deno's threads share a socket (`loadBalanced`: a later listen of the
 * same address with it gets this socket) while `run` runs.
 */
async function withSharedSocket(run: (server: Deno.NetAddr) => Promise<void>): Promise<void> {
  const options = { hostname: "127.0.0.1", port: freePort(), loadBalanced: true };
  const listener = Deno.listen(options as Deno.TcpListenOptions);
  try {
    await run(listener.addr);
  } finally {
    listener.close();
  }
}

/** Listens on 127.0.0.1 with SO_REUSEPORT (node's `reusePort`) while `run` runs. */
async function withReusableSocket(run: (server: Deno.NetAddr) => Promise<void>): Promise<void> {
  const socket = net.createServer();
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.listen({ host: "127.0.0.1", port: 0, reusePort: true }, resolve);
  });
  const { port } = socket.address() as net.AddressInfo;
  try {
    await run({ transport: "tcp", hostname: "127.0.0.1", port });
  } finally {
    await new Promise((resolve) => socket.close(resolve));
  }
}

Deno.test("guardListen() refuses loadBalanced (any value, own or through the prototype) in every call, and reads it once", async () => {
  await withSharedSocket(async (server) => {
    const { hostname, port } = server;
    const answer = await inGuardedThread(
      eachOf([
        // Unguarded, this one gets the shared socket itself: the server's connections.
        `Deno.listen({ hostname: "${hostname}", port: ${port}, loadBalanced: true }).close()`,
        `Deno.listen({ hostname: "127.0.0.1", port: 0, loadBalanced: true }).close()`,
        `Deno.listen({ hostname: "127.0.0.1", port: 0, loadBalanced: false }).close()`,
        `await Deno.serve({ hostname: "127.0.0.1", port: 0, loadBalanced: true, onListen() {} }, () => new Response("")).shutdown()`,
        `Deno.listenTls({ hostname: "127.0.0.1", port: 0, loadBalanced: true, cert: "", key: "" })`,
        `Deno.connect({ hostname: "127.0.0.1", port: ${port}, loadBalanced: true })`,
        `Object.defineProperty(Object.prototype, "loadBalanced", { value: true, configurable: true });
         try { Deno.listen({ hostname: "127.0.0.1", port: 0 }).close(); }
         finally { delete Object.prototype.loadBalanced; }`,
        // Read once: what the check saw (nothing) is what Deno gets.
        `let reads = 0;
         const options = { hostname: "127.0.0.1", port: 0, get loadBalanced() { return reads++ > 0 || undefined; } };
         Deno.listen(options).close();
         return reads;`,
      ]),
      null,
    );
    const refused = `TypeError: ${SHARING_REFUSED}`;
    assert.equal(answer, `returned: ${[...Array(7).fill(refused), "ok 1"].join("\n")}`);
  });
});

Deno.test("guardListen() refuses the server's port on its address, a wildcard, a name or an address written otherwise, with AddrInUse; other addresses and ports listen", async () => {
  await withSharedSocket(async (server) => {
    const port = server.port;
    const calls = [
      `Deno.listen({ port: ${port} })`,
      `Deno.listen({ hostname: "127.0.0.1", port: ${port} })`,
      `Deno.listen({ hostname: "localhost", port: "${port}" })`,
      `Deno.listen({ hostname: "127.1", port: ${port} })`,
      `Deno.listen({ hostname: "::", port: ${port} })`,
      `Deno.listen({ hostname: "::ffff:7f00:1", port: ${port} })`,
      `Deno.listenTls({ hostname: "0.0.0.0", port: ${port}, cert: "", key: "" })`,
      `Deno.serve({ hostname: "127.0.0.1", port: ${port}, onListen() {} }, () => new Response(""))`,
      `Deno.serve({ port: ${port}, handler: () => new Response(""), onListen() {} })`,
      // Read once: the check's port is the one Deno gets.
      `let reads = 0;
       Deno.listen({ hostname: "127.0.0.1", get port() { return reads++ === 0 ? ${port} : 0; } })`,
    ];
    const allowed = [
      `Deno.listen({ hostname: "127.0.0.2", port: ${port} }).close()`,
      `Deno.listen({ hostname: "127.0.0.1", port: 0 }).close()`,
      `(await Deno.connect({ hostname: "127.0.0.1", port: ${port} })).close()`,
    ];
    const answer = await inGuardedThread(eachOf([...calls, ...allowed]), server);
    const refused = `AddrInUse: ${ownAddressRefused(server)}`;
    const expected = [...calls.map(() => refused), ...allowed.map(() => "ok ")];
    assert.equal(answer, `returned: ${expected.join("\n")}`);
  });
});

Deno.test("guardListen() keeps every address off the server's port when the server listens on a wildcard, and Deno.serve() off its default port", async () => {
  // Both refused before any bind: the servers here are addresses only.
  const wildcard: Deno.NetAddr = { transport: "tcp", hostname: "0.0.0.0", port: freePort() };
  const other = await inGuardedThread(
    eachOf([`Deno.listen({ hostname: "127.0.0.2", port: ${wildcard.port} })`]),
    wildcard,
  );
  assert.equal(other, `returned: AddrInUse: ${ownAddressRefused(wildcard)}`);
  const onDefault: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 8000 };
  const serve = await inGuardedThread(
    eachOf([`Deno.serve({ onListen() {} }, () => new Response(""))`]),
    onDefault,
  );
  assert.equal(serve, `returned: AddrInUse: ${ownAddressRefused(onDefault)}`);
});

Deno.test("guardListen() fails node:net's and node:http's listens on the server's address with EADDRINUSE, reusePort or not; other ports listen, and connecting to the server works", async () => {
  await withReusableSocket(async (server) => {
    const port = server.port;
    const nodeListen = (module: string, args: string) =>
      `const server = require("node:${module}").createServer();
       return await new Promise((resolve) => {
         server.once("error", (error) => resolve(error.code + " " + error.message));
         server.listen(${args}, () => { server.close(); resolve("listening"); });
       });`;
    const answer = await inGuardedThread(
      eachOf([
        // Unguarded, this one joins the server's socket and takes a share of its connections.
        nodeListen("net", `{ host: "127.0.0.1", port: ${port}, reusePort: true }`),
        nodeListen("http", `${port}`),
        nodeListen("net", `0, "127.0.0.1"`),
        `return await new Promise((resolve, reject) => {
           const socket = require("node:net").connect(${port}, "127.0.0.1", () => { socket.destroy(); resolve("connected"); });
           socket.once("error", reject);
         });`,
      ]),
      server,
    );
    const lines = answer.replace(/^returned: /, "").split("\n");
    assert.match(
      lines[0],
      /^ok EADDRINUSE listen EADDRINUSE: address already in use 127\.0\.0\.1:/,
    );
    assert.match(lines[1], /^ok EADDRINUSE listen EADDRINUSE: address already in use /);
    assert.deepEqual(lines.slice(2), ["ok listening", "ok connected"]);
  });
});

Deno.test("guardListen() throws for network options Deno would end the process for, read once, and lets the rest through", async () => {
  // Unguarded, each of these ends the whole process with exit 70 (deno 2.9.6, no --unstable-net
  // or --unstable-vsock), this test run included: loud, as a broken guard should be.
  const refused = [
    `Deno.listen({ hostname: "127.0.0.1", port: 0, reusePort: true })`,
    `Deno.serve({ hostname: "127.0.0.1", port: 0, reusePort: true }, () => new Response(""))`,
    `Deno.serve({ port: 0, reusePort: 1, handler: () => new Response("") })`,
    `Deno.listenTls({ port: 0, reusePort: true, cert: "", key: "" })`,
    `Deno.listen({ transport: "vsock", cid: 1, port: 1 })`,
    `Deno.connect({ transport: "vsock", cid: 1, port: 1 })`,
  ];
  for (const call of refused) {
    assert.equal(
      await inGuardedThread(`${call}; return "listened";`),
      `threw: ${UNSTABLE_REFUSED}`,
    );
  }
  // A getter that says no to the check and yes after it, own or on the prototype: Deno gets the
  // answer the check got (had it read again, the process would have ended).
  for (
    const trick of [
      `let n = 0; const options = { hostname: "127.0.0.1", port: 0, get reusePort() { return n++ > 0; } };`,
      `let n = 0; Object.defineProperty(Object.prototype, "reusePort", { get: () => n++ > 0 }); const options = { hostname: "127.0.0.1", port: 0 };`,
    ]
  ) {
    const answer = await inGuardedThread(
      `${trick} Deno.listen(options).close(); return "listened";`,
    );
    assert.equal(answer, "returned: listened", trick);
  }
  const plain = await inGuardedThread(
    `const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 }); listener.close(); return "listened";`,
  );
  assert.equal(plain, "returned: listened");
});

/** The descriptor of this process's socket listening on 127.0.0.1:`port` (from /proc). */
function listenerFd(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const row = Deno.readTextFileSync("/proc/self/net/tcp").split("\n")
    .map((line) => line.trim().split(/\s+/))
    .find((fields) => fields[1] === local && fields[3] === "0A");
  assert.ok(row !== undefined, `no socket listening on ${local}`);
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      if (Deno.readLinkSync(`/proc/self/fd/${entry.name}`) === `socket:[${row[9]}]`) {
        return Number(entry.name);
      }
    } catch {
      // Closed meanwhile (the directory's own descriptor).
    }
  }
  throw new Error(`no descriptor for socket inode ${row[9]}`);
}

Deno.test(
  "refuseDescriptors() makes node's handles refuse the server's socket by its descriptor (listen({ fd }), Socket({ fd }), TCP, Pipe, UDP, TTY), and the server keeps its connections",
  { ignore: !HAS_PROC },
  async () => {
    // Bound: one thread's attempts, then one connection accepted within 5 s.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const fd = listenerFd(listener.addr.port);
      const answer = await inGuardedThread(
        eachOf([
          // Unguarded, this one took in the server's connections (deno 2.9.6, no permission).
          `require("node:net").createServer(() => {}).listen({ fd: ${fd} })`,
          `new (require("node:net").Socket)({ fd: ${fd} })`,
          `const { TCP, constants } = process.binding("tcp_wrap"); new TCP(constants.SERVER).open(${fd})`,
          `const { Pipe, constants } = process.binding("pipe_wrap"); new Pipe(constants.SERVER).open(${fd})`,
          `new (process.binding("udp_wrap").UDP)().open(${fd})`,
          `new (process.binding("tty_wrap").TTY)(${fd}, {})`,
        ]),
      );
      assert.equal(
        answer,
        `returned: ${Array(6).fill(`Error: ${DESCRIPTORS_REFUSED}`).join("\n")}`,
      );
      const accepted = listener.accept();
      const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("no connection accepted in 5 s")), 5_000)
      );
      (await Promise.race([accepted, timeout])).close();
      client.close();
    } finally {
      listener.close();
    }
  },
);

Deno.test("refuseDescriptors() makes the constructor of node:tty's handles refuse too (reached from a stream on stdout)", async () => {
  // In a process of its own whose stdout is a pipe, on which node:tty makes a stream (its
  // handle's class is the one the app may not construct on a descriptor of its choosing).
  const code = `
    import tty from "node:tty";
    import { refuseDescriptors } from ${JSON.stringify(NET_GUARDS)};
    refuseDescriptors();
    const handle = new tty.WriteStream(1)._handle;
    try {
      new handle.constructor(1, {});
      console.error("constructed");
    } catch (error) {
      console.error(error.message);
    }
  `;
  const { stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-lock", code],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  assert.equal(new TextDecoder().decode(stderr).trim(), DESCRIPTORS_REFUSED);
});
