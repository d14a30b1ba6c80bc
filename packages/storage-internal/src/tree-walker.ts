import type { ObjectStore } from './object-store.js';

/** A file found while walking trees. */
export interface WalkedFile {
  path: string;
  hash: string;
  size: number;
}

/** Files that differ between two trees: `removed` from the first, `added` in the second. */
export interface TreeDifference {
  removed: WalkedFile[];
  added: WalkedFile[];
}

/** Restricts a walk to some paths; directories not leading to one are never loaded. */
export interface PathFilter {
  wantsDirectory(path: string): boolean;
  wantsFile(path: string): boolean;
}

/** A {@link PathFilter} for an explicit list of normalised file paths. */
export function filterForPaths(paths: Iterable<string>): PathFilter {
  const files = new Set(paths);
  const directories = new Set<string>();
  for (const path of files) {
    for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) directories.add(path.slice(0, slash));
  }
  return { wantsDirectory: (path) => directories.has(path), wantsFile: (path) => files.has(path) };
}

interface PendingPair {
  prefix: string;
  from: string | null;
  to: string | null;
}

/**
 * Walks two trees side by side, one directory level at a time with one batched read per
 * level, skipping every subtree whose hash is the same on both sides. A listing is the walk
 * from `null` (empty) to a tree; a diff costs reads proportional to what changed.
 */
export async function compareTrees(input: { store: ObjectStore; from: string | null; to: string | null; filter?: PathFilter }): Promise<TreeDifference> {
  const { store, filter } = input;
  const removed: WalkedFile[] = [];
  const added: WalkedFile[] = [];
  let level: PendingPair[] = input.from === input.to ? [] : [{ prefix: '', from: input.from, to: input.to }];
  while (level.length > 0) {
    const hashes = new Set<string>();
    for (const pair of level) {
      if (pair.from !== null) hashes.add(pair.from);
      if (pair.to !== null) hashes.add(pair.to);
    }
    const trees = await store.loadTrees(hashes);
    const next: PendingPair[] = [];
    for (const pair of level) {
      const before = new Map((pair.from === null ? [] : (trees.get(pair.from) ?? [])).map((entry) => [entry.name, entry]));
      const after = new Map((pair.to === null ? [] : (trees.get(pair.to) ?? [])).map((entry) => [entry.name, entry]));
      for (const name of new Set([...before.keys(), ...after.keys()])) {
        const old = before.get(name);
        const current = after.get(name);
        if (old && current && old.kind === current.kind && old.hash === current.hash) continue;
        const path = pair.prefix + name;
        const oldDirectory = old?.kind === 'dir' ? old.hash : null;
        const newDirectory = current?.kind === 'dir' ? current.hash : null;
        if ((oldDirectory !== null || newDirectory !== null) && (!filter || filter.wantsDirectory(path))) {
          next.push({ prefix: `${path}/`, from: oldDirectory, to: newDirectory });
        }
        if (old?.kind === 'file' && (!filter || filter.wantsFile(path))) removed.push({ path, hash: old.hash, size: old.size });
        if (current?.kind === 'file' && (!filter || filter.wantsFile(path))) added.push({ path, hash: current.hash, size: current.size });
      }
    }
    level = next;
  }
  const byPath = (a: WalkedFile, b: WalkedFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return { removed: removed.sort(byPath), added: added.sort(byPath) };
}
