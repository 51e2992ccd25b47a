import assert from "node:assert/strict";
import { buildGetRequest } from "../../bench/load_protocol.ts";

Deno.test("buildGetRequest() encodes a keep-alive GET with Host and query", () => {
  const text = new TextDecoder().decode(buildGetRequest("http://127.0.0.1:8000/a%20b.txt?x=1"));
  assert.equal(
    text,
    "GET /a%20b.txt?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: heiretsu-bench\r\n" +
      "Accept: */*\r\n\r\n",
  );
});

Deno.test("buildGetRequest() rejects non-http URLs", () => {
  assert.throws(() => buildGetRequest("https://127.0.0.1/"), TypeError);
  assert.throws(() => buildGetRequest("not a url"), TypeError);
});
