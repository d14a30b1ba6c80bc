import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// Guides whose examples drift from the code are worse than none. Every TypeScript block in
// docs/ and in the examples' READMEs must follow a `<!-- snippet: <file> -->` marker and be a
// verbatim excerpt of that file, which is type-checked and tested.
const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const documents = [
  ...readdirSync(join(repositoryRoot, 'docs')).filter((name) => name.endsWith('.md')).map((name) => join(repositoryRoot, 'docs', name)),
  ...readdirSync(join(repositoryRoot, 'examples'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(repositoryRoot, 'examples', entry.name, 'README.md')),
  join(repositoryRoot, 'examples', 'README.md'),
];

const blockPattern = /(?:<!-- snippet: (\S+) -->\n)?```(ts|typescript)\n([\s\S]*?)```/g;

it.each(documents.map((path) => [relative(repositoryRoot, path), path]))('%s: every TypeScript block is an excerpt of a tested file', (_name, path) => {
  const markdown = readFileSync(path, 'utf8');
  for (const match of markdown.matchAll(blockPattern)) {
    const [, source, , code = ''] = match;
    const line = markdown.slice(0, match.index).split('\n').length;
    expect(source, `line ${line}: a ts block without a <!-- snippet: file --> marker`).toBeDefined();
    const text = readFileSync(join(repositoryRoot, source as string), 'utf8');
    expect(text.includes(code), `line ${line}: the block is not a verbatim excerpt of ${source}`).toBe(true);
  }
});
