import assert from "node:assert/strict";
import { contentType, isCompressible } from "../../lib/static/mime.ts";

const CASES: Array<[string, string]> = [
  ["/index.html", "text/html; charset=utf-8"],
  ["style.css", "text/css; charset=utf-8"],
  ["app.js", "text/javascript; charset=utf-8"],
  ["module.mjs", "text/javascript; charset=utf-8"],
  ["data.json", "application/json; charset=utf-8"],
  ["logo.svg", "image/svg+xml"],
  ["photo.png", "image/png"],
  ["font.woff2", "font/woff2"],
  ["notes.txt", "text/plain; charset=utf-8"],
  ["clip.mp4", "video/mp4"],
  ["feed.xml", "application/xml"],
  ["setup.exe", "application/x-msdos-program"],
  ["archive.tar.gz", "application/gzip"],
  ["file.unknownext", "application/octet-stream"],
  ["/PAGE.HTML", "text/html; charset=utf-8"],
  ["Photo.PnG", "image/png"],
  ["/dir/README", "application/octet-stream"],
  ["/dir.d/README", "application/octet-stream"],
  ["/.htaccess", "application/octet-stream"],
  ["/.config.json", "application/json; charset=utf-8"],
  ["trailing.", "application/octet-stream"],
];

for (const [path, expected] of CASES) {
  Deno.test(`contentType() maps "${path}" to "${expected}"`, () => {
    assert.equal(contentType(path), expected);
  });
}

Deno.test("isCompressible() follows mime-db's flag and falls back to text syntax", () => {
  for (
    const type of ["text/html; charset=utf-8", "text/css", "application/json", "image/svg+xml"]
  ) {
    assert.equal(isCompressible(type), true, type);
  }
  for (const type of ["image/png", "video/mp4", "application/gzip", "font/woff2"]) {
    assert.equal(isCompressible(type), false, type);
  }
  assert.equal(isCompressible("application/x-made-up+json"), true);
  assert.equal(isCompressible("application/x-made-up"), false);
});
