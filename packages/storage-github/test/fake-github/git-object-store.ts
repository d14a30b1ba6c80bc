import { createHash } from 'node:crypto';

/** One entry of a git tree, as the REST API spells it (`040000` for trees). */
export interface TreeEntry {
  name: string;
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
}

/** A signature line of a commit. */
export interface Signature {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  time: number;
}

/** A commit's fields. */
export interface CommitObject {
  tree: string;
  parents: string[];
  author: Signature;
  committer: Signature;
  message: string;
}

type StoredObject = { type: 'blob'; content: Buffer } | { type: 'tree'; entries: TreeEntry[] } | { type: 'commit'; commit: CommitObject };

/** A leaf (blob or submodule) of a flattened tree. */
export interface FlatEntry {
  mode: string;
  type: 'blob' | 'commit';
  sha: string;
}

function hashObject(type: string, body: Buffer): string {
  return createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest('hex');
}

// git orders tree entries by name bytes, comparing a sub-tree's name as if it ended in '/'.
function sortKey(entry: TreeEntry): Buffer {
  return Buffer.from(entry.type === 'tree' ? `${entry.name}/` : entry.name, 'utf8');
}

/** Serialises a tree exactly as git does (`<mode> <name>\0<20-byte sha>` per entry). */
export function serializeTree(entries: ReadonlyArray<TreeEntry>): Buffer {
  const sorted = [...entries].sort((a, b) => Buffer.compare(sortKey(a), sortKey(b)));
  return Buffer.concat(sorted.flatMap((entry) => [Buffer.from(`${entry.mode.replace(/^0+/, '')} ${entry.name}\0`, 'utf8'), Buffer.from(entry.sha, 'hex')]));
}

/** Serialises a commit exactly as git does. */
export function serializeCommit(commit: CommitObject): Buffer {
  const signature = (who: Signature) => `${who.name} <${who.email}> ${who.time} +0000`;
  const lines = [`tree ${commit.tree}`, ...commit.parents.map((parent) => `parent ${parent}`), `author ${signature(commit.author)}`, `committer ${signature(commit.committer)}`];
  return Buffer.from(`${lines.join('\n')}\n\n${commit.message}`, 'utf8');
}

/** Content-addressed git objects of one repository, hashed like git hashes them. */
export class GitObjectStore {
  private readonly objects = new Map<string, StoredObject>();

  putBlob(content: Buffer): string {
    const sha = hashObject('blob', content);
    this.objects.set(sha, { type: 'blob', content });
    return sha;
  }

  putTree(entries: TreeEntry[]): string {
    const sha = hashObject('tree', serializeTree(entries));
    this.objects.set(sha, { type: 'tree', entries: [...entries].sort((a, b) => Buffer.compare(sortKey(a), sortKey(b))) });
    return sha;
  }

  putCommit(commit: CommitObject): string {
    const sha = hashObject('commit', serializeCommit(commit));
    this.objects.set(sha, { type: 'commit', commit });
    return sha;
  }

  typeOf(sha: string): StoredObject['type'] | undefined {
    return this.objects.get(sha)?.type;
  }

  blob(sha: string): Buffer | undefined {
    const object = this.objects.get(sha);
    return object?.type === 'blob' ? object.content : undefined;
  }

  tree(sha: string): TreeEntry[] | undefined {
    const object = this.objects.get(sha);
    return object?.type === 'tree' ? object.entries : undefined;
  }

  commit(sha: string): CommitObject | undefined {
    const object = this.objects.get(sha);
    return object?.type === 'commit' ? object.commit : undefined;
  }

  /** Every leaf under a tree, keyed by full path. */
  flatten(treeSha: string, prefix = '', into = new Map<string, FlatEntry>()): Map<string, FlatEntry> {
    for (const entry of this.tree(treeSha) ?? []) {
      const path = `${prefix}${entry.name}`;
      if (entry.type === 'tree') this.flatten(entry.sha, `${path}/`, into);
      else into.set(path, { mode: entry.mode, type: entry.type, sha: entry.sha });
    }
    return into;
  }

  /** Writes nested trees for a flat path map and returns the root tree SHA. */
  buildTree(files: ReadonlyMap<string, FlatEntry>): string {
    const children = new Map<string, Map<string, FlatEntry>>();
    const entries: TreeEntry[] = [];
    for (const [path, entry] of files) {
      const slash = path.indexOf('/');
      if (slash === -1) {
        entries.push({ name: path, mode: entry.mode, type: entry.type, sha: entry.sha });
        continue;
      }
      const directory = path.slice(0, slash);
      const nested = children.get(directory) ?? new Map<string, FlatEntry>();
      nested.set(path.slice(slash + 1), entry);
      children.set(directory, nested);
    }
    for (const [name, nested] of children) entries.push({ name, mode: '040000', type: 'tree', sha: this.buildTree(nested) });
    return this.putTree(entries);
  }

  /** All ancestors of a commit, itself included. */
  ancestors(sha: string): Set<string> {
    const seen = new Set<string>();
    const pending = [sha];
    while (pending.length > 0) {
      const next = pending.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      pending.push(...(this.commit(next)?.parents ?? []));
    }
    return seen;
  }

  /** The nearest common ancestor (breadth-first from `head`), or null. */
  mergeBase(base: string, head: string): string | null {
    const fromBase = this.ancestors(base);
    const queue = [head];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const next = queue.shift() as string;
      if (fromBase.has(next)) return next;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(this.commit(next)?.parents ?? []));
    }
    return null;
  }
}
