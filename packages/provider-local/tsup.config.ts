import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ["src/index.ts"],
  format: ['esm'],
  // `pnpm start` builds without declaration files (VECTOR_BUILD_JS_ONLY): running needs none.
  dts: !process.env.VECTOR_BUILD_JS_ONLY,
  clean: true,
  sourcemap: true,
  target: 'node22',
  tsconfig: 'tsconfig.build.json',
  // Keep `node:` specifiers: built-ins like node:sqlite exist only under the prefix.
  removeNodeProtocol: false,
});
