/**
 * Echoes the request it received as JSON: method, URL, headers, client address and body.
 * Run: `deno task serve -- --app examples/echo.ts`, then `curl -d hello localhost:8080/x?y=1`.
 *
 * @module
 */
export default {
  async fetch(request: Request, info: Deno.ServeHandlerInfo): Promise<Response> {
    const addr = info.remoteAddr as Deno.NetAddr;
    return Response.json({
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      remote: `${addr.hostname}:${addr.port}`,
      body: await request.text(),
    });
  },
};
