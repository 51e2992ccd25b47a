/**
 * A form that shows the parameters it received, from the query (GET) and from the body (POST,
 * urlencoded or multipart). Run: `deno task serve -- --app examples/form.ts`.
 *
 * @module
 */
function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function rows(params: Iterable<[string, FormDataEntryValue]>): string {
  let html = "";
  for (const [name, value] of params) {
    const shown = typeof value === "string" ? value : `(file ${value.name}, ${value.size} bytes)`;
    html += `<tr><td>${escape(name)}</td><td>${escape(shown)}</td></tr>`;
  }
  return html || `<tr><td colspan="2">none</td></tr>`;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const posted = request.method === "POST" ? await request.formData() : new FormData();
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Form</title></head><body>
<form method="post" action="?from=query"><input name="name" placeholder="name">
<input name="color" placeholder="color"><button>Send</button></form>
<h2>GET parameters</h2><table>${rows(url.searchParams)}</table>
<h2>POST parameters</h2><table>${rows(posted)}</table></body></html>`;
    return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
  },
};
