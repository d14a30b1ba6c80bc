import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testBuildCacheDir } from '../../../test-support/chromium.js';

/** A fresh state directory under the system's temp dir (outside any Node project). */
export async function makeStateDir(): Promise<{ stateDir: string; remove: () => Promise<void> }> {
  const stateDir = await mkdtemp(join(tmpdir(), 'vector-local-test-'));
  return { stateDir, remove: () => rm(stateDir, { recursive: true, force: true, maxRetries: 3 }) };
}

/** The build cache shared by every test run on this machine. */
export const cacheDir = testBuildCacheDir;

export { deployFiles, logText, processAlive, settle } from '../../../test-support/provider-fixture.js';
