import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it, vi } from 'vitest';

// The README promises an embedding example that really runs: this runs exactly that block.
it('runs the README embedding example', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const block = /<!-- readme-example: start[^>]*-->\s*```ts\n([\s\S]*?)```\s*<!-- readme-example: end -->/.exec(readme)?.[1];
  expect(block, 'README example block').toBeTruthy();
  expect((block as string).trim().split('\n').length).toBeLessThanOrEqual(22);
  const directory = fileURLToPath(new URL('./.generated/', import.meta.url));
  mkdirSync(directory, { recursive: true });
  const file = `${directory}readme-example.ts`;
  writeFileSync(file, block as string);
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    spy.mockRestore();
  }
  const output = lines.join('\n');
  expect(output).toContain('-<h1>Hello</h1>');
  expect(output).toContain('+<h1>Hello!</h1>');
  expect(output).toMatch(/preview: http:\/\/127\.0\.0\.1:\d+/);
});
