import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gitBlobSha } from '../src/index.js';
import { gitTreeSha } from '../src/git-tree-sha.js';
import { GitObjectStore } from './fake-github/git-object-store.js';

const files: Record<string, Buffer> = {
  'README.md': Buffer.from('# Hello\n'),
  'src/index.ts': Buffer.from('export const x = "héllo ✓";\n'),
  'src/a-b.ts': Buffer.from('dash sorts before slash\n'),
  'src/a/b.ts': Buffer.from('nested\n'),
  'src.txt': Buffer.from('sibling of a tree named src\n'),
  'empty.txt': Buffer.alloc(0),
  'bin/data.bin': Buffer.from([0, 1, 2, 255, 254, 0x80]),
  'docs/日本語 file.md': Buffer.from('unicode path\n'),
};

describe('git object hashing matches the git CLI', () => {
  const directory = mkdtempSync(join(tmpdir(), 'vector-git-parity-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: directory,
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_NAME: 'A U Thor', GIT_AUTHOR_EMAIL: 'author@example.com', GIT_AUTHOR_DATE: '1700000000 +0000', GIT_COMMITTER_NAME: 'A U Thor', GIT_COMMITTER_EMAIL: 'author@example.com', GIT_COMMITTER_DATE: '1700000000 +0000' },
    }).trim();

  it('blob, tree and commit SHAs equal git hash-object, write-tree and commit-tree', () => {
    git('init', '-q');
    git('config', 'core.quotepath', 'false');
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(directory, path)), { recursive: true });
      writeFileSync(join(directory, path), content);
    }
    git('add', '-A');
    const store = new GitObjectStore();
    const flat = new Map<string, { mode: string; type: 'blob'; sha: string }>();
    for (const [path, content] of Object.entries(files)) {
      const sha = store.putBlob(content);
      expect(sha, path).toBe(gitBlobSha(content));
      expect(sha, path).toBe(git('hash-object', path));
      flat.set(path, { mode: '100644', type: 'blob', sha });
    }
    const tree = store.buildTree(flat);
    expect(tree).toBe(git('write-tree'));
    // The backend's own tree hashing (used to check inline content) agrees too.
    expect(gitTreeSha([...flat].map(([path, entry]) => ({ path, mode: entry.mode, sha: entry.sha })))).toBe(tree);

    const root = store.putCommit({ tree, parents: [], author: { name: 'A U Thor', email: 'author@example.com', time: 1_700_000_000 }, committer: { name: 'A U Thor', email: 'author@example.com', time: 1_700_000_000 }, message: 'first\n\nVector-Project: p1\n' });
    expect(root).toBe(git('commit-tree', tree, '-m', 'first\n\nVector-Project: p1'));
    const child = store.putCommit({ tree, parents: [root], author: { name: 'A U Thor', email: 'author@example.com', time: 1_700_000_000 }, committer: { name: 'A U Thor', email: 'author@example.com', time: 1_700_000_000 }, message: 'second\n' });
    expect(child).toBe(git('commit-tree', tree, '-p', root, '-m', 'second'));
  });
});
