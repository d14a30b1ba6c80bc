import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// `pnpm run docs` must build the API site without warnings (typedoc.json treats them as errors).
it('builds the typedoc API site for every package without warnings', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const run = spawnSync(process.execPath, [fileURLToPath(new URL('../node_modules/typedoc/bin/typedoc', import.meta.url)), '--emit', 'none'], { cwd: root, encoding: 'utf8' });
  const output = run.stdout + run.stderr;
  expect(output).not.toMatch(/\[warning\]|\[error\]/);
  expect(run.status, output).toBe(0);
}, 300_000);
