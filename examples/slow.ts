/**
 * Slow endpoints, to see that one slow request does not hold up the others:
 * - `/burn?ms=N` computes for N milliseconds (CPU-bound: blocks its worker's event loop),
 * - `/sleep?ms=N` waits N milliseconds (I/O-bound: the worker serves others meanwhile),
 * - anything else answers at once with a small text.
 * Run: `deno task serve -- --app examples/slow.ts`.
 *
 * @module
 */
function milliseconds(url: URL): number {
  const ms = Number(url.searchParams.get("ms") ?? "1000");
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 600_000) : 1000;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/burn") {
      const ms = milliseconds(url);
      const until = performance.now() + ms;
      let spins = 0;
      while (performance.now() < until) spins++;
      return new Response(`burned ${ms} ms (${spins} spins)\n`);
    }
    if (url.pathname === "/sleep") {
      const ms = milliseconds(url);
      await new Promise((resolve) => setTimeout(resolve, ms));
      return new Response(`slept ${ms} ms\n`);
    }
    return new Response("fast\n");
  },
};
