import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// vitest strips types without checking them; this keeps the whole workspace type-correct.
it('type-checks every package, example and script', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const run = spawnSync(process.execPath, [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.json', '--noEmit'], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(run.stdout + run.stderr).toBe('');
  expect(run.status).toBe(0);
}, 240_000);
