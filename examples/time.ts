/**
 * A page that shows the current time. Run: `deno task serve -- --app examples/time.ts`
 * (with no ROOT, only the app answers).
 *
 * @module
 */
export default {
  fetch(): Response {
    const now = new Date();
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>The time</title></head>
<body><h1>It is ${now.toISOString().slice(11, 19)} UTC</h1>
<p>${now.toUTCString()}</p></body></html>`;
    return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
  },
};
