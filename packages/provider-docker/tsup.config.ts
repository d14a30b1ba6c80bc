import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ["src/index.ts"],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  tsconfig: 'tsconfig.build.json',
  // Keep `node:` specifiers: built-ins like node:sqlite exist only under the prefix.
  removeNodeProtocol: false,
});
