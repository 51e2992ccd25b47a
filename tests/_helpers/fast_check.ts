/**
 * fast-check, for the tests only: imported by its full specifier here, not through deno.json's
 * import map, so serving never resolves it (nor downloads it on a first run).
 *
 * @module
 */
import fc from "npm:fast-check@4.10.2";

export default fc;
