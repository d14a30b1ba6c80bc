import { defineConfig } from 'tsup';

/**
 * The tsup config every package builds with: ESM for Node 22 from `entry`, with source maps and
 * declaration files (for every entry, or only for `dtsEntry` when given). `pnpm start` builds
 * without declaration files (VECTOR_BUILD_JS_ONLY): running needs none.
 */
export function packageBuild(entry: string[], { dtsEntry }: { dtsEntry?: string } = {}) {
  return defineConfig({
    entry,
    format: ['esm'],
    dts: process.env.VECTOR_BUILD_JS_ONLY ? false : dtsEntry ? { entry: dtsEntry } : true,
    clean: true,
    sourcemap: true,
    target: 'node22',
    tsconfig: 'tsconfig.build.json',
    // Keep `node:` specifiers: built-ins like node:sqlite exist only under the prefix.
    removeNodeProtocol: false,
  });
}
