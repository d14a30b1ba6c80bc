import { InternalError, sha256Hex } from '@vector/core';

/** One entry of a directory: a file (size in bytes) or a subdirectory (size = files under it). */
export interface TreeEntry {
  name: string;
  kind: 'file' | 'dir';
  hash: string;
  size: number;
}

const HEADER = 'tree\n';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Code-unit order, the same everywhere, so equal directories always hash the same. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Serialises a directory as `tree\n` followed by one `f|d <hash> <size> <name>` line per
 * entry, sorted by name. Names cannot hold control characters (core's path rules), so a
 * newline always ends an entry. Returns the raw bytes and their SHA-256, the tree's id.
 */
export function encodeTree(entries: ReadonlyArray<TreeEntry>): { hash: string; raw: Uint8Array } {
  const sorted = [...entries].sort((a, b) => compareNames(a.name, b.name));
  let text = HEADER;
  for (const entry of sorted) text += `${entry.kind === 'file' ? 'f' : 'd'} ${entry.hash} ${entry.size} ${entry.name}\n`;
  const raw = encoder.encode(text);
  return { hash: sha256Hex(raw), raw };
}

/** Parses {@link encodeTree}'s output. */
export function decodeTree(hash: string, raw: Uint8Array): TreeEntry[] {
  const text = decoder.decode(raw);
  if (!text.startsWith(HEADER)) throw new InternalError({ message: `Stored object ${hash} is not a tree` });
  const entries: TreeEntry[] = [];
  for (const line of text.slice(HEADER.length).split('\n')) {
    if (line === '') continue;
    const kind = line[0];
    const hashEnd = line.indexOf(' ', 2);
    const sizeEnd = line.indexOf(' ', hashEnd + 1);
    if ((kind !== 'f' && kind !== 'd') || hashEnd < 0 || sizeEnd < 0) throw new InternalError({ message: `Stored tree ${hash} is malformed` });
    entries.push({ kind: kind === 'f' ? 'file' : 'dir', hash: line.slice(2, hashEnd), size: Number(line.slice(hashEnd + 1, sizeEnd)), name: line.slice(sizeEnd + 1) });
  }
  return entries;
}
