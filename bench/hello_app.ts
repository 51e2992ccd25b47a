/**
 * @module hello_app
 * The app benchmark's route: an app module that answers every request with
 * `new Response("hello\n")`, so what is measured is the server's cost per
 * request, not the app's. Run by heiretsu `--app`, `deno serve` and
 * `deno serve --parallel` alike.
 */
export default {
  fetch(): Response {
    return new Response("hello\n");
  },
};
