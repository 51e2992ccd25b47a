import assert from "node:assert/strict";
import { formatEchoTable } from "../../bench/ws_echo.ts";

Deno.test("formatEchoTable() shows each server's rate against deno serve's, and its CPU per message", () => {
  const cpu = { totalUs: 30, mainUs: 16.25, busiestUs: 16.25, busiest: "main", byLabel: {} };
  const table = formatEchoTable([
    { name: "heiretsu", messagesPerSec: 15000, cpu },
    { name: "deno serve", messagesPerSec: 20000 },
  ]);
  const lines = table.split("\n");
  assert.equal(lines[2], "| heiretsu | 15000 | 0.75× | 30.0 (main 16.3) |");
  assert.equal(lines[3], "| deno serve | 20000 | 1.00× | n/a |");
});
