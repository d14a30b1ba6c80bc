import { InternalError, lastWriteInConflict, pathConflictError } from '@vector/core';
import type { NewObject, ObjectStore } from './object-store.js';
import { compareNames, encodeTree, type TreeEntry } from './tree-codec.js';

interface FileNode {
  kind: 'file';
  hash: string;
  size: number;
}

interface DirectoryNode {
  kind: 'dir';
  /** Hash of the stored tree, or null for a directory this save creates. */
  hash: string | null;
  /** Number of files under the directory. */
  size: number;
  /** Null until loaded; only directories on a changed path are ever loaded. */
  children: Map<string, FileNode | DirectoryNode> | null;
  dirty: boolean;
}

/** A validated change with its blob already hashed. */
export type TreeChange = { type: 'write'; path: string; hash: string; size: number } | { type: 'delete'; path: string };

function toNode(entry: TreeEntry): FileNode | DirectoryNode {
  return entry.kind === 'file' ? { kind: 'file', hash: entry.hash, size: entry.size } : { kind: 'dir', hash: entry.hash, size: entry.size, children: null, dirty: false };
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** Why a write cannot go where it was asked: the result would hold a path as a file and as a directory. */
type Blocked = { file: string; nested: string } | { file: string; directory: DirectoryNode };

/**
 * Applies changes to the tree `rootHash` (null: empty) and returns the new root plus the
 * trees it had to write: only the directories on a changed path, so a save touching k files
 * writes O(k · depth) trees however large the project is. Reads one batch per depth level.
 *
 * The last change of a path wins, and the result is checked rather than each step: the
 * surviving deletes are applied before the writes, so a write only meets what the new
 * version really holds. Deleting `a/b.txt` and writing `a` (or the reverse) works in any
 * order; a result holding both `a` and `a/b.txt` is core's `pathConflictError`.
 */
export async function buildTree(input: { store: ObjectStore; rootHash: string | null; changes: ReadonlyArray<TreeChange> }): Promise<{ rootHash: string; fileCount: number; trees: NewObject[] }> {
  const root: DirectoryNode = { kind: 'dir', hash: input.rootHash, size: 0, children: input.rootHash === null ? new Map() : null, dirty: false };
  await preload(input.store, root, input.changes);
  // The root's file count is not stored with it: count it, so a save that leaves the root as it is reports its files.
  root.size = countFiles(loadedChildren(root));
  const finalChanges = [...new Map(input.changes.map((change) => [change.path, change])).values()];
  const ordered = [...finalChanges.filter((change) => change.type === 'delete'), ...finalChanges.filter((change) => change.type === 'write')];
  for (const change of ordered) {
    const blocked = apply(root, change);
    if (!blocked) continue;
    const conflict = 'nested' in blocked ? blocked : { file: blocked.file, nested: await firstFileBelow(input.store, blocked.file, blocked.directory) };
    const index = lastWriteInConflict(input.changes, conflict);
    throw pathConflictError(conflict, index < 0 ? ['changes'] : ['changes', index, 'path']);
  }
  const trees: NewObject[] = [];
  const { hash, size } = serialise(root, trees, true);
  return { rootHash: hash, fileCount: size, trees };
}

function countFiles(children: ReadonlyMap<string, FileNode | DirectoryNode>): number {
  let files = 0;
  // A file's size is its bytes; a directory's is the files under it.
  for (const child of children.values()) files += child.kind === 'file' ? 1 : child.size;
  return files;
}

async function preload(store: ObjectStore, root: DirectoryNode, changes: ReadonlyArray<TreeChange>): Promise<void> {
  const byDepth: string[][] = [];
  for (const change of changes) {
    const segments = change.path.split('/');
    for (let depth = 1; depth < segments.length; depth += 1) (byDepth[depth] ??= []).push(segments.slice(0, depth).join('/'));
  }
  const loaded = new Map<string, DirectoryNode>([['', root]]);
  const fill = async (nodes: DirectoryNode[]) => {
    const trees = await store.loadTrees(nodes.map((node) => node.hash as string));
    for (const node of nodes) node.children = new Map((trees.get(node.hash as string) ?? []).map((entry) => [entry.name, toNode(entry)]));
  };
  if (root.children === null) await fill([root]);
  for (let depth = 1; depth < byDepth.length; depth += 1) {
    const pending: DirectoryNode[] = [];
    for (const prefix of new Set(byDepth[depth] ?? [])) {
      const child = loaded.get(parentOf(prefix))?.children?.get(prefix.slice(prefix.lastIndexOf('/') + 1));
      if (child?.kind !== 'dir') continue;
      loaded.set(prefix, child);
      if (child.children === null) pending.push(child);
    }
    if (pending.length > 0) await fill(pending);
  }
}

function apply(root: DirectoryNode, change: TreeChange): Blocked | null {
  const segments = change.path.split('/');
  const name = segments.pop() as string;
  const chain: DirectoryNode[] = [root];
  let node = root;
  for (const [depth, segment] of segments.entries()) {
    const children = loadedChildren(node);
    let child = children.get(segment);
    if (child?.kind === 'file') {
      if (change.type === 'delete') return null;
      return { file: segments.slice(0, depth + 1).join('/'), nested: change.path };
    }
    if (!child) {
      if (change.type === 'delete') return null;
      child = { kind: 'dir', hash: null, size: 0, children: new Map(), dirty: true };
      children.set(segment, child);
    }
    node = child;
    chain.push(node);
  }
  const children = loadedChildren(node);
  const existing = children.get(name);
  if (change.type === 'delete') {
    if (existing?.kind !== 'file') return null;
    children.delete(name);
  } else {
    // A directory whose files this save deleted becomes the file; one still holding files cannot.
    if (existing?.kind === 'dir' && holdsFiles(existing)) return { file: change.path, directory: existing };
    children.set(name, { kind: 'file', hash: change.hash, size: change.size });
  }
  for (const directory of chain) directory.dirty = true;
  return null;
}

/** Whether a file is left below `node`; directories not loaded are stored ones, never empty. */
function holdsFiles(node: DirectoryNode): boolean {
  if (node.children === null) return node.size > 0;
  for (const child of node.children.values()) if (child.kind === 'file' || holdsFiles(child)) return true;
  return false;
}

/** The first file, by name, still below the directory at `path`: the one a conflict names. */
async function firstFileBelow(store: ObjectStore, path: string, node: DirectoryNode): Promise<string> {
  let children = node.children;
  if (children === null) {
    const hash = node.hash ?? '';
    children = new Map(((await store.loadTrees([hash])).get(hash) ?? []).map((entry) => [entry.name, toNode(entry)]));
  }
  for (const [name, child] of [...children].sort(([a], [b]) => compareNames(a, b))) {
    if (child.kind === 'file') return `${path}/${name}`;
    if (holdsFiles(child)) return firstFileBelow(store, `${path}/${name}`, child);
  }
  throw new InternalError({ message: `Internal storage found no file below ${path}, which it had counted as a directory holding files` });
}

function loadedChildren(node: DirectoryNode): Map<string, FileNode | DirectoryNode> {
  if (node.children === null) throw new InternalError({ message: 'Internal storage tried to change a directory it had not loaded' });
  return node.children;
}

function serialise(node: DirectoryNode, trees: NewObject[], isRoot: boolean): { hash: string; size: number } {
  if (!node.dirty && node.hash !== null) return { hash: node.hash, size: node.size };
  const children = loadedChildren(node);
  const entries: TreeEntry[] = [];
  let files = 0;
  for (const [name, child] of children) {
    if (child.kind === 'file') {
      entries.push({ name, kind: 'file', hash: child.hash, size: child.size });
      files += 1;
      continue;
    }
    const written = serialise(child, trees, false);
    // Git has no empty directories and neither do we: a directory emptied by deletes vanishes.
    if (written.size === 0) continue;
    entries.push({ name, kind: 'dir', hash: written.hash, size: written.size });
    files += written.size;
  }
  const { hash, raw } = encodeTree(entries);
  // Only the root may be empty (a version with no files); empty subdirectories are dropped.
  if (files > 0 || isRoot) trees.push({ hash, raw });
  return { hash, size: files };
}
