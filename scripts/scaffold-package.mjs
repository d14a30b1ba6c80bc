// One-off helper used to lay out a package's manifest consistently. Kept so new packages match.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
const [name, description, testing] = process.argv.slice(2);
const dir = `packages/${name}`;
mkdirSync(`${dir}/src`, { recursive: true });
const exportsMap = {
  '.': { types: './dist/index.d.ts', import: './dist/index.js' },
  ...(testing === 'testing' ? { './testing': { types: './dist/testing.d.ts', import: './dist/testing.js' } } : {}),
  './package.json': './package.json',
};
const manifest = {
  name: `@vector/${name}`,
  version: '0.1.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  engines: { node: '>=22.16' },
  exports: exportsMap,
  main: './dist/index.js',
  types: './dist/index.d.ts',
  files: ['dist', 'README.md', ...(name === 'agent-codegen' ? ['prompts'] : [])],
  scripts: {
    build: 'tsup',
    lint: 'publint && attw --pack . --profile esm-only',
  },
  publishConfig: { access: 'public' },
};
if (!existsSync(`${dir}/package.json`)) writeFileSync(`${dir}/package.json`, JSON.stringify(manifest, null, 2) + '\n');
writeFileSync(`${dir}/tsup.config.ts`, `import { packageBuild } from '../../tsup.base.js';

export default packageBuild(${JSON.stringify(testing === 'testing' ? ['src/index.ts', 'src/testing.ts'] : ['src/index.ts'])});
`);
writeFileSync(`${dir}/tsconfig.build.json`, JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { rootDir: 'src', outDir: 'dist' }, include: ['src'], exclude: ['src/**/*.test.ts', 'src/**/test/**', 'src/**/*.bench.ts'] }, null, 2) + '\n');
