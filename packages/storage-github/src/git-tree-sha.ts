import { createHash } from 'node:crypto';

/** A file of a tree to hash: path, git mode (`100644`…) and blob SHA. */
export interface TreeLeaf {
  path: string;
  mode: string;
  sha: string;
}

interface Entry {
  name: string;
  mode: string;
  sha: string;
  isTree: boolean;
}

/**
 * The root tree SHA git computes for these files (`git write-tree`), so a tree GitHub
 * built from inline content can be checked byte for byte before a commit points at it.
 */
export function gitTreeSha(files: ReadonlyArray<TreeLeaf>): string {
  const entries: Entry[] = [];
  const directories = new Map<string, TreeLeaf[]>();
  for (const file of files) {
    const slash = file.path.indexOf('/');
    if (slash === -1) {
      entries.push({ name: file.path, mode: file.mode, sha: file.sha, isTree: false });
      continue;
    }
    const name = file.path.slice(0, slash);
    directories.set(name, [...(directories.get(name) ?? []), { ...file, path: file.path.slice(slash + 1) }]);
  }
  for (const [name, nested] of directories) entries.push({ name, mode: '40000', sha: gitTreeSha(nested), isTree: true });
  // git orders entries by name bytes, a sub-tree's name compared as if it ended in '/'.
  const key = (entry: Entry) => Buffer.from(entry.isTree ? `${entry.name}/` : entry.name, 'utf8');
  entries.sort((a, b) => Buffer.compare(key(a), key(b)));
  const body = Buffer.concat(entries.flatMap((entry) => [Buffer.from(`${entry.mode} ${entry.name}\0`, 'utf8'), Buffer.from(entry.sha, 'hex')]));
  return createHash('sha1').update(`tree ${body.length}\0`).update(body).digest('hex');
}
