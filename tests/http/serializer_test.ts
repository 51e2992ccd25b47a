import assert from "node:assert/strict";
import fc from "../_helpers/fast_check.ts";
import { HttpError } from "../../lib/http/errors.ts";
import { fieldsText, headText, serializeHead } from "../../lib/http/serializer.ts";

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

Deno.test("serializeHead() writes the status line, fields and the empty line", () => {
  const bytes = serializeHead({
    status: 200,
    headers: [["content-type", "text/html"], ["content-length", "12"]],
  });
  assert.equal(
    latin1(bytes),
    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 12\r\n\r\n",
  );
});

Deno.test("serializeHead() takes reason phrases from node:http STATUS_CODES", () => {
  assert.equal(
    latin1(serializeHead({ status: 404, headers: [] })),
    "HTTP/1.1 404 Not Found\r\n\r\n",
  );
  assert.equal(
    latin1(serializeHead({ status: 100, headers: [] })),
    "HTTP/1.1 100 Continue\r\n\r\n",
  );
  assert.equal(
    latin1(serializeHead({ status: 431, headers: [] })),
    "HTTP/1.1 431 Request Header Fields Too Large\r\n\r\n",
  );
});

Deno.test("serializeHead() leaves the reason empty for an unregistered status", () => {
  assert.equal(latin1(serializeHead({ status: 599, headers: [] })), "HTTP/1.1 599 \r\n\r\n");
});

Deno.test("serializeHead() writes obs-text values one byte per character", () => {
  const bytes = serializeHead({ status: 200, headers: [["x-name", "caf\u00e9"]] });
  assert.deepEqual([...bytes.subarray(25, 29)], [0x63, 0x61, 0x66, 0xe9]);
});

const INJECTIONS: Array<[string, [string, string]]> = [
  ["CRLF in a value", ["location", "/a\r\nSet-Cookie: x=1"]],
  ["a bare LF in a value", ["location", "/a\nx"]],
  ["a bare CR in a value", ["location", "/a\rx"]],
  ["NUL in a value", ["x", "a\0b"]],
  ["a character above 0xFF in a value", ["x", "\u2028"]],
  ["CRLF in a name", ["x\r\ny", "1"]],
  ["a space in a name", ["x y", "1"]],
  ["a colon in a name", ["x:", "1"]],
  ["an empty name", ["", "1"]],
];

for (const [what, header] of INJECTIONS) {
  Deno.test(`serializeHead() throws a 500 HttpError on ${what}`, () => {
    assert.throws(() => serializeHead({ status: 200, headers: [header] }), (error: unknown) => {
      assert.ok(error instanceof HttpError);
      assert.equal(error.status, 500);
      assert.equal(error.code, "invalid-response-header");
      return true;
    });
  });
}

Deno.test("serializeHead() throws a 500 HttpError on a status outside 100-999", () => {
  for (const status of [99, 1000, 200.5, NaN]) {
    assert.throws(() => serializeHead({ status, headers: [] }), HttpError);
  }
});

Deno.test("serializeHead() never lets a generated value add a line", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), (value) => {
      try {
        const text = latin1(serializeHead({ status: 200, headers: [["x", value]] }));
        assert.equal(text.split("\r\n").length, 4);
        assert.ok(!/[\r\n]/.test(value));
      } catch (error) {
        assert.ok(error instanceof HttpError);
      }
    }),
    { numRuns: 200 },
  );
});

Deno.test("fieldsText() checks and joins a frozen list once, and a changed copy again", () => {
  const fields = Object.freeze([["etag", '"a"'], ["x-b", "1"]] as Array<[string, string]>);
  assert.equal(fieldsText(fields), 'etag: "a"\r\nx-b: 1\r\n');
  assert.equal(fieldsText(fields), 'etag: "a"\r\nx-b: 1\r\n');
  assert.throws(() => fieldsText(Object.freeze([["bad name", "x"]] as Array<[string, string]>)), {
    name: "HttpError",
  });
  assert.throws(() => fieldsText([["x", "a\r\nb"]]), { name: "HttpError" });
});

Deno.test("headText() sends the trailing fields after the response's own", () => {
  const text = headText({ status: 200, headers: [["content-length", "0"]] }, [["date", "D"]]);
  assert.equal(text, "HTTP/1.1 200 OK\r\ncontent-length: 0\r\ndate: D\r\n\r\n");
});

Deno.test("headText() names the response header that cannot be sent", () => {
  assert.throws(() => headText({ status: 200, headers: [["x", "ok"], ["y", "a\nb"]] }), {
    name: "HttpError",
    message: 'Cannot send value "a\\nb" of header "y"',
  });
  assert.throws(() => headText({ status: 200, headers: [] }, [["bad name", "v"]]), {
    name: "HttpError",
    message: 'Cannot send header name "bad name"',
  });
});
