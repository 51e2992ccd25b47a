import assert from "node:assert/strict";
import { contentType, isCompressible } from "../../../lib/handler/static/mime.ts";

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

/**
 * Answers recorded from the hand-kept rules before `mime-types` and `compressible` replaced them:
 * file name, Content-Type, and whether that type is compressible. Any change here is a change of
 * behaviour that clients see.
 */
const RECORDED: Array<[string, string, boolean]> = [
  ["index.html", "text/html; charset=utf-8", true],
  ["page.htm", "text/html; charset=utf-8", true],
  ["/PAGE.HTML", "text/html; charset=utf-8", true],
  ["style.css", "text/css; charset=utf-8", true],
  ["app.js", "text/javascript; charset=utf-8", true],
  ["module.mjs", "text/javascript; charset=utf-8", true],
  ["legacy.cjs", "application/node", false],
  ["data.json", "application/json; charset=utf-8", true],
  ["app.js.map", "application/json; charset=utf-8", true],
  ["site.webmanifest", "application/manifest+json; charset=utf-8", true],
  ["manifest.json", "application/json; charset=utf-8", true],
  ["logo.svg", "image/svg+xml", true],
  ["icon.svgz", "image/svg+xml", true],
  ["app.wasm", "application/wasm", true],
  ["notes.txt", "text/plain; charset=utf-8", true],
  ["README.md", "text/markdown; charset=utf-8", true],
  ["readme.markdown", "text/markdown; charset=utf-8", true],
  ["feed.xml", "application/xml", true],
  ["feed.rss", "application/rss+xml", true],
  ["feed.atom", "application/atom+xml", true],
  ["table.csv", "text/csv; charset=utf-8", true],
  ["data.tsv", "text/tab-separated-values; charset=utf-8", true],
  ["photo.png", "image/png", false],
  ["Photo.PnG", "image/png", false],
  ["photo.jpg", "image/jpeg", false],
  ["photo.jpeg", "image/jpeg", false],
  ["PHOTO.JPG", "image/jpeg", false],
  ["image.webp", "image/webp", false],
  ["image.avif", "image/avif", false],
  ["anim.gif", "image/gif", false],
  ["favicon.ico", "image/vnd.microsoft.icon", true],
  ["pic.bmp", "image/bmp", true],
  ["pic.tiff", "image/tiff", false],
  ["font.woff", "font/woff", false],
  ["font.woff2", "font/woff2", false],
  ["font.ttf", "font/ttf", true],
  ["font.otf", "font/otf", true],
  ["font.eot", "application/vnd.ms-fontobject", true],
  ["doc.pdf", "application/pdf", false],
  ["bundle.zip", "application/zip", false],
  ["archive.tar.gz", "application/gzip", false],
  ["archive.gz", "application/gzip", false],
  ["archive.tgz", "application/octet-stream", true],
  ["archive.tar", "application/x-tar", true],
  ["blob.br", "application/octet-stream", true],
  ["archive.7z", "application/x-7z-compressed", false],
  ["archive.bz2", "application/x-bzip2", false],
  ["archive.xz", "application/x-xz", false],
  ["clip.mp4", "video/mp4", false],
  ["clip.webm", "video/webm", false],
  ["clip.mov", "video/quicktime", false],
  ["song.mp3", "audio/mpeg", false],
  ["song.ogg", "audio/ogg", false],
  ["song.wav", "audio/wav", false],
  ["song.flac", "audio/x-flac", false],
  ["song.m4a", "audio/mp4", false],
  ["sub.vtt", "text/vtt; charset=utf-8", true],
  ["calendar.ics", "text/calendar; charset=utf-8", true],
  ["page.xhtml", "application/xhtml+xml", true],
  ["script.ts", "video/mp2t", false],
  ["style.scss", "text/x-scss; charset=utf-8", true],
  ["data.yaml", "text/yaml; charset=utf-8", true],
  ["data.yml", "text/yaml; charset=utf-8", true],
  ["config.toml", "application/toml", true],
  ["doc.rtf", "application/rtf", true],
  ["doc.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", false],
  ["sheet.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", false],
  ["setup.exe", "application/x-msdos-program", false],
  ["lib.dll", "application/x-msdownload", false],
  ["pkg.deb", "application/x-debian-package", false],
  ["installer.msi", "application/x-msdownload", false],
  ["disk.iso", "application/x-iso9660-image", false],
  ["app.apk", "application/vnd.android.package-archive", false],
  ["file.bin", "application/octet-stream", true],
  ["file.unknownext", "application/octet-stream", true],
  ["trailing.", "application/octet-stream", true],
  ["/dir/README", "application/octet-stream", true],
  ["/dir.d/README", "application/octet-stream", true],
  ["Makefile", "application/octet-stream", true],
  ["/.htaccess", "application/octet-stream", true],
  ["/.config.json", "application/json; charset=utf-8", true],
  ["/.json", "application/octet-stream", true],
  ["/.env", "application/octet-stream", true],
  ["/.well-known/security.txt", "text/plain; charset=utf-8", true],
  ["html", "application/octet-stream", true],
  ["/site/json", "application/octet-stream", true],
  ["a.b.c.css", "text/css; charset=utf-8", true],
  ["weird.HtMl", "text/html; charset=utf-8", true],
  ["sound.aac", "audio/aac", false],
  ["movie.mkv", "video/x-matroska", false],
  ["movie.avi", "video/x-msvideo", false],
  ["movie.mpeg", "video/mpeg", false],
  ["movie.m4v", "video/x-m4v", false],
  ["movie.3gp", "video/3gpp", false],
  ["img.heic", "image/heic", false],
  ["img.jxl", "image/jxl", false],
  ["img.apng", "image/apng", false],
  ["data.jsonld", "application/ld+json", true],
  ["geo.geojson", "application/geo+json", true],
  ["font.sfnt", "application/octet-stream", true],
  ["doc.epub", "application/epub+zip", false],
  ["app.jsx", "text/jsx; charset=utf-8", true],
  ["app.tsx", "application/octet-stream", true],
  ["vid.ts", "video/mp2t", false],
  ["shader.glsl", "application/octet-stream", true],
  ["page.php", "application/x-httpd-php", true],
  ["script.sh", "application/x-sh", true],
  ["script.py", "application/octet-stream", true],
  ["list.m3u8", "application/vnd.apple.mpegurl", false],
  ["clip.mpg4", "video/mp4", false],
  ["x.appcache", "text/cache-manifest; charset=utf-8", true],
  ["x.vcf", "text/x-vcard; charset=utf-8", true],
  ["x.ics", "text/calendar; charset=utf-8", true],
  ["x.mid", "audio/midi", false],
  ["x.txt.gz", "application/gzip", false],
  ["x.json5", "application/json5", false],
  ["x.xsl", "application/xml", true],
  ["x.dtd", "application/xml-dtd", true],
  // The only extensions of mime-db's 1,239 whose answer changed with `mime-types` 3 (its
  // mime-score prefers video/ over audio/ and model/, and sub's text/ over image/); kept as
  // improvements. Before: audio/3gpp; model/vnd.mts; image/vnd.dvb.subtitle, not compressible.
  ["voice.3gpp", "video/3gpp", false],
  ["camera.mts", "video/mp2t", false],
  ["movie.sub", "text/vnd.dvb.subtitle; charset=utf-8", true],
];

Deno.test("contentType() and isCompressible() keep their recorded answers", () => {
  const changed = RECORDED.flatMap(([name, type, compressible]) => {
    const actual: [string, boolean] = [contentType(name), isCompressible(contentType(name))];
    return actual[0] === type && actual[1] === compressible
      ? []
      : [{ name, expected: [type, compressible], actual }];
  });
  assert.deepEqual(changed, []);
});
