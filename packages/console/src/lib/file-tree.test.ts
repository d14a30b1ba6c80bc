import { describe, expect, it } from 'vitest';
import { fileTree } from './file-tree.js';

describe('fileTree', () => {
  it('nests paths, folders first, each level by name', () => {
    const tree = fileTree(['src/main.ts', 'README.md', 'src/app/page.tsx', 'notes/1.md']);
    expect(tree.map((node) => node.name)).toEqual(['notes', 'src', 'README.md']);
    expect(tree[1]?.children.map((node) => [node.name, node.path, node.isFolder])).toEqual([
      ['app', 'src/app', true],
      ['main.ts', 'src/main.ts', false],
    ]);
  });
});
