const viteConfigFiles = ['vite.config.ts', 'vite.config.mts', 'vite.config.js', 'vite.config.mjs', 'vite.config.cts', 'vite.config.cjs'];

/**
 * Reads `build.outDir` from a Vite config without running it: the first string literal given
 * to `outDir`. A computed value can't be read this way; the caller then uses Vite's default
 * (or the project pins `outputDirectory` in vector.json).
 */
export function readOutputDirectory(text: (path: string) => string | null): { file: string; directory: string } | null {
  for (const file of viteConfigFiles) {
    const source = text(file);
    if (source === null) continue;
    const match = /\boutDir\s*:\s*(['"`])([^'"`$]+)\1/.exec(source);
    if (!match?.[2]) return null;
    const directory = match[2].replace(/^\.\//, '').replace(/\/+$/, '');
    if (directory === '' || directory.startsWith('/') || directory.split('/').includes('..')) return null;
    return { file, directory };
  }
  return null;
}
