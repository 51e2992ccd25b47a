/**
 * @module fixtures
 * Creates the benchmark's files in a fresh temporary directory: a small and
 * a large file of random bytes (random so that no layer can compress them).
 */
import { join } from "node:path";

/** Sizes and names of the fixture files. */
export interface FixtureOptions {
  /** Size of the small file in bytes. @default 1024 */
  smallBytes?: number;
  /** Size of the large file in bytes. @default 104857600 (100 MiB) */
  bigBytes?: number;
}

/** Where the fixtures are. */
export interface Fixtures {
  /** The temporary directory; the caller removes it. */
  dir: string;
  /** File name of the small file, served as `/<name>`. */
  smallName: string;
  /** File name of the large file. */
  bigName: string;
}

/** `crypto.getRandomValues` fills at most this many bytes per call. */
const RANDOM_CALL_BYTES = 65_536;
const WRITE_CHUNK_BYTES = 1024 * 1024;

/**
 * Fills `bytes` with cryptographically random values, past the 64 KiB
 * limit of a single `getRandomValues` call.
 *
 * @param bytes The buffer to fill in place.
 * @returns The same buffer.
 * @example Fill 1 MiB
 * ```ts
 * fillRandom(new Uint8Array(1024 * 1024));
 * ```
 */
export function fillRandom(bytes: Uint8Array): Uint8Array {
  for (let offset = 0; offset < bytes.length; offset += RANDOM_CALL_BYTES) {
    crypto.getRandomValues(bytes.subarray(offset, offset + RANDOM_CALL_BYTES));
  }
  return bytes;
}

async function writeRandomFile(path: string, size: number): Promise<void> {
  using file = await Deno.open(path, { write: true, createNew: true });
  const chunk = new Uint8Array(Math.min(size, WRITE_CHUNK_BYTES));
  for (let left = size; left > 0; left -= chunk.length) {
    const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
    fillRandom(part);
    let written = 0;
    while (written < part.length) written += await file.write(part.subarray(written));
  }
}

/**
 * Creates a temporary directory holding `1k.bin` and `100m.bin` (names
 * follow the default sizes).
 *
 * @param options File sizes.
 * @returns The directory and file names.
 * @example Create the default fixtures
 * ```ts
 * const fixtures = await createFixtures();
 * await Deno.remove(fixtures.dir, { recursive: true });
 * ```
 */
export async function createFixtures(options: FixtureOptions = {}): Promise<Fixtures> {
  const dir = await Deno.makeTempDir({ prefix: "heiretsu-bench-" });
  const fixtures = { dir, smallName: "1k.bin", bigName: "100m.bin" };
  await writeRandomFile(join(dir, fixtures.smallName), options.smallBytes ?? 1024);
  await writeRandomFile(join(dir, fixtures.bigName), options.bigBytes ?? 100 * 1024 * 1024);
  return fixtures;
}
