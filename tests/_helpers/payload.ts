/**
 * Reads what `deno compile` embeds in a binary (Deno 2.9, `cli/standalone/binary.rs`,
 * `serialize_binary_data_section`): a section that starts and ends with the magic
 * `d3n0l4nd` and holds, in order, the metadata JSON (u64 length), the npm snapshot (u64 length),
 * the specifier table (u32 count; u32 length, text, u32 id each), redirects (u32 count; two u32
 * ids each), remote modules (u32 count; u32 id, media-type byte, u32-length data, a flags byte,
 * then a u32-length blob per flag set: transpiled, source map, CJS analysis), and the virtual file
 * system: its tree as JSON (u64 length) and the files' bytes (u64 length). Integers are little
 * endian. On Linux the section is appended to the runtime's ELF file by libsui, so it is found
 * by its magic followed by a metadata length and `{`.
 */

/** One embedded file or folder of the virtual file system, by its path from the VFS root. */
export interface EmbeddedEntry {
  path: string;
  kind: "file" | "dir" | "symlink";
  /** The file's bytes (source as written), for files. */
  bytes?: Uint8Array;
}

/** What a compiled binary carries. */
export interface Payload {
  /** The metadata: argv, permissions, unstable_config, entrypoint_key, workspace_resolver… */
  // deno-lint-ignore no-explicit-any
  metadata: any;
  /** Every file and folder embedded. */
  entries: EmbeddedEntry[];
}

const MAGIC = new TextEncoder().encode("d3n0l4nd");

/** Where the section starts: the magic, then a u64 metadata length, then `{`. */
function findSection(data: Uint8Array): number {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let at = data.indexOf(MAGIC[0]); at !== -1; at = data.indexOf(MAGIC[0], at + 1)) {
    if (at + 17 > data.length || !MAGIC.every((byte, i) => data[at + i] === byte)) continue;
    const length = Number(view.getBigUint64(at + 8, true));
    if (data[at + 16] === 0x7b && length < data.length - at) return at;
  }
  throw new Error("no embedded payload (magic d3n0l4nd followed by metadata) in this binary");
}

/**
 * Decodes the payload of a binary written by `deno compile`.
 *
 * @param data the binary's bytes
 * @returns its metadata and embedded files
 */
export function readPayload(data: Uint8Array): Payload {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const text = new TextDecoder();
  let at = findSection(data) + MAGIC.length;
  const u8 = () => data[at++];
  const u32 = () => (at += 4, view.getUint32(at - 4, true));
  const u64 = () => (at += 8, Number(view.getBigUint64(at - 8, true)));
  const bytes = (length: number) => data.subarray(at, at += length);
  const metadata = JSON.parse(text.decode(bytes(u64())));
  bytes(u64()); // npm snapshot
  const specifiers = u32();
  for (let i = 0; i < specifiers; i++) bytes(u32()), u32();
  const redirects = u32();
  bytes(redirects * 8);
  const remote = u32();
  for (let i = 0; i < remote; i++) {
    u32(), u8(), bytes(u32());
    const flags = u8();
    for (const flag of [1, 2, 4]) if (flags & flag) bytes(u32());
  }
  const tree = JSON.parse(text.decode(bytes(u64())));
  const files = bytes(u64());
  if (!MAGIC.every((byte, i) => data[at + i] === byte)) {
    throw new Error(`the payload does not end with its magic at byte ${at}: format changed?`);
  }
  const entries: EmbeddedEntry[] = [];
  walk(tree, "", files, entries);
  return { metadata, entries };
}

/** Flattens the VFS tree: `{"Dir": {n, e}}`, `{"File": {n, o: [offset, length]}}`, `{"Symlink"}`. */
// deno-lint-ignore no-explicit-any
function walk(nodes: any[], prefix: string, files: Uint8Array, out: EmbeddedEntry[]): void {
  for (const node of nodes) {
    if (node.Dir) {
      const path = `${prefix}${node.Dir.n}`;
      out.push({ path, kind: "dir" });
      walk(node.Dir.e, `${path}/`, files, out);
    } else if (node.File) {
      const [offset, length] = node.File.o;
      out.push({
        path: `${prefix}${node.File.n}`,
        kind: "file",
        bytes: files.subarray(offset, offset + length),
      });
    } else if (node.Symlink) {
      out.push({ path: `${prefix}${node.Symlink.n}`, kind: "symlink" });
    }
  }
}
