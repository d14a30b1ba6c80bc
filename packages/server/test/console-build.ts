import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { consoleAssetsBuilt } from '@vector/console';

/**
 * Builds `@vector/console` when its assets are missing (the server serves the built app; the
 * suite's runner builds every package first, so this only runs in a fresh checkout).
 */
export function buildConsoleOnce(): void {
  if (consoleAssetsBuilt()) return;
  const directory = fileURLToPath(new URL('../../console/', import.meta.url));
  const run = spawnSync('pnpm', ['run', 'build'], { cwd: directory, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`building @vector/console failed (exit ${run.status}):\n${run.stdout}${run.stderr}`);
}
