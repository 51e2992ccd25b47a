import assert from "node:assert/strict";
import { parseBenchArgs } from "../../bench/options.ts";
import { BENCH_SERVERS } from "../../bench/servers.ts";

Deno.test("parseBenchArgs() fills in the defaults", () => {
  assert.deepEqual(parseBenchArgs([]), {
    durationS: 5,
    connections: 50,
    bigConnections: 10,
    servers: BENCH_SERVERS.map((spec) => spec.name),
    ioThreads: true,
    tool: undefined,
    loadWorkers: 2,
    heiretsuWorkers: undefined,
    rssServer: "heiretsu",
    skipApp: false,
    appsOnly: false,
    rounds: 3,
  });
});

Deno.test("parseBenchArgs() reads --rounds and refuses zero", () => {
  assert.equal(parseBenchArgs(["--rounds", "5"]).rounds, 5);
  assert.throws(() => parseBenchArgs(["--rounds", "0"]), /--rounds/);
});

Deno.test("parseBenchArgs() reads --skip-app", () => {
  assert.equal(parseBenchArgs(["--skip-app"]).skipApp, true);
});

Deno.test("parseBenchArgs() reads --apps-only and refuses it with --skip-app", () => {
  assert.equal(parseBenchArgs(["--apps-only"]).appsOnly, true);
  assert.throws(() => parseBenchArgs(["--apps-only", "--skip-app"]), /--skip-app with --apps-only/);
});

Deno.test("parseBenchArgs() keeps --only servers in run order", () => {
  const options = parseBenchArgs([
    "--only=nginx_2,baseline_stream,heiretsu",
    "--tool=own",
    "--duration",
    "3",
  ]);
  assert.deepEqual(options.servers, ["heiretsu", "baseline_stream", "nginx_2"]);
  assert.equal(options.ioThreads, false);
  assert.equal(options.tool, "own");
  assert.equal(options.durationS, 3);
});

Deno.test("parseBenchArgs() reads connection and worker counts", () => {
  const options = parseBenchArgs([
    "--connections=8",
    "--big-connections=2",
    "--workers=3",
    "--load-workers=1",
  ]);
  assert.equal(options.connections, 8);
  assert.equal(options.bigConnections, 2);
  assert.equal(options.heiretsuWorkers, 3);
  assert.equal(options.loadWorkers, 1);
});

Deno.test("parseBenchArgs() rejects unknown servers, tools and non-positive numbers", () => {
  assert.throws(() => parseBenchArgs(["--only=apache"]), /unknown server "apache".*io-threads/);
  assert.throws(() => parseBenchArgs(["--tool=ab"]), /load tool "ab"/);
  assert.throws(() => parseBenchArgs(["--duration=0"]), RangeError);
  assert.throws(() => parseBenchArgs(["--connections=1.5"]), RangeError);
  assert.throws(() => parseBenchArgs(["--bogus"]), TypeError);
});

Deno.test("parseBenchArgs() runs the I/O threads scenario alone with --only io-threads", () => {
  const alone = parseBenchArgs(["--only", "io-threads", "--rounds", "3"]);
  assert.deepEqual(alone.servers, []);
  assert.equal(alone.ioThreads, true);
  const both = parseBenchArgs(["--only=io-threads,heiretsu"]);
  assert.deepEqual(both.servers, ["heiretsu"]);
  assert.equal(both.ioThreads, true);
});

Deno.test("parseBenchArgs() leaves the I/O threads scenario out of --apps-only", () => {
  assert.equal(parseBenchArgs(["--apps-only"]).ioThreads, false);
  assert.equal(parseBenchArgs(["--apps-only", "--only=io-threads"]).ioThreads, false);
});
