/**
 * @module ws_echo_app
 * The WebSocket benchmark's module: `/ws` echoes every message, any other path answers "ok".
 * Run by heiretsu `--app` and `deno serve` alike.
 */
export default {
  fetch(request: Request): Response {
    if (request.headers.get("upgrade") !== "websocket") return new Response("ok\n");
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  },
};
