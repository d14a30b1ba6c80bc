import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// CI proof that every public package packs and installs: runs scripts/release-check.mjs
// (build, pack, file checks, publint, npm install of the tarballs, imports) and fails with
// its output when it fails. Needs the npm registry for the tarballs' third-party dependencies.
it('passes the release check', { timeout: 8 * 60_000 }, async () => {
  const script = fileURLToPath(new URL('./release-check.mjs', import.meta.url));
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    // `pnpm test` has already built every package once (see scripts/run-tests.mjs).
    const args = process.env.VECTOR_PACKAGES_BUILT === '1' ? [script, '--skip-build'] : [script];
    const child = spawn(process.execPath, args, { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.once('error', reject);
    child.once('close', (exitCode) => resolve({ code: exitCode, output: text }));
  });
  expect(output, output).toMatch(/release check passed/);
  expect(code, output).toBe(0);
});
