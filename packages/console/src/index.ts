import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding the console's built single-page app (`index.html` and `assets/`), made by
 * the package's `build` (Vite, with base `/console/`). A server serves its files under
 * `/console/` and answers `index.html` for any other path below it. The folder may be missing
 * when the package was not built: check with {@link consoleAssetsBuilt}.
 */
export function consoleAssetsDir(): string {
  // `src/index.ts` in the workspace and `dist/index.js` once built: both one level below the package.
  return fileURLToPath(new URL('../dist/app/', import.meta.url));
}

/** True when {@link consoleAssetsDir} holds a built console (its `index.html` exists). */
export function consoleAssetsBuilt(): boolean {
  return existsSync(join(consoleAssetsDir(), 'index.html'));
}
