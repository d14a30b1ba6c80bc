import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/validation-error.js';
import { BUILD_CONFIG_FILE } from './build-plan.js';
import { planBuild, type PlanInputFile } from './plan-build.js';

type FileContents = Record<string, string | Record<string, unknown>>;

/** Files as a storage backend hands them over: UTF-8 bytes; objects become JSON. */
function filesOf(contents: FileContents): PlanInputFile[] {
  return Object.entries(contents).map(([path, content]) => ({
    path,
    content: new TextEncoder().encode(typeof content === 'string' ? content : JSON.stringify(content, null, 2)),
  }));
}

function planFor(contents: FileContents) {
  return planBuild(filesOf(contents));
}

/** The ValidationError `planBuild` throws for these files. */
function planErrorFor(contents: FileContents): ValidationError {
  try {
    planFor(contents);
  } catch (error) {
    if (ValidationError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected planBuild to throw a ValidationError');
}

const viteReactApp = {
  'package.json': {
    name: 'app',
    private: true,
    type: 'module',
    scripts: { dev: 'vite', build: 'vite build', preview: 'vite preview' },
    dependencies: { react: '^19.0.0', 'react-dom': '^19.0.0' },
    devDependencies: { vite: '^7.0.0', '@vitejs/plugin-react': '^5.0.0', typescript: '^5.9.0' },
  },
  'tsconfig.json': '{ "compilerOptions": { "jsx": "react-jsx", "strict": true } }',
  'vite.config.ts': "import react from '@vitejs/plugin-react';\nimport { defineConfig } from 'vite';\n\nexport default defineConfig({ plugins: [react()] });\n",
  'index.html': '<!doctype html><div id="root"></div><script type="module" src="/src/main.tsx"></script>',
  'src/main.tsx': "import { createRoot } from 'react-dom/client';\ncreateRoot(document.getElementById('root')!).render(<h1>Hi</h1>);\n",
} satisfies FileContents;

function withManifest(overrides: Record<string, unknown>, extra: FileContents = {}): FileContents {
  return { ...viteReactApp, 'package.json': { ...viteReactApp['package.json'], ...overrides }, ...extra };
}

describe('planBuild: single-page apps', () => {
  it('plans a Vite + React + TypeScript app', () => {
    const plan = planFor(viteReactApp);
    expect(plan).toMatchObject({
      kind: 'spa',
      packageManager: 'pnpm',
      lockfile: null,
      installCommand: 'pnpm install',
      typecheckCommand: 'pnpm exec tsc --noEmit',
      buildCommand: 'pnpm run build',
      startCommand: null,
      outputDirectory: 'dist',
      portVariable: 'PORT',
      spaFallback: true,
      installScripts: false,
      source: 'detected',
    });
    expect(plan.reasons).toContain('package manager pnpm: no lockfile and no packageManager field');
  });

  it('reads build.outDir from the Vite config', () => {
    const config = "export default defineConfig({ plugins: [react()], build: { outDir: './build/', sourcemap: true } });";
    const plan = planFor({ ...viteReactApp, 'vite.config.ts': config });
    expect(plan.outputDirectory).toBe('build');
    expect(plan.reasons).toContain('output directory build from vite.config.ts');
    expect(planFor({ ...viteReactApp, 'vite.config.ts': "build: { outDir: path.resolve(root, 'out') }" }).outputDirectory).toBe('dist');
    expect(planFor({ ...viteReactApp, 'vite.config.ts': "build: { outDir: '../outside' }" }).outputDirectory).toBe('dist');
  });

  it('uses Create React App’s build directory', () => {
    const plan = planFor({ 'package.json': { scripts: { start: 'react-scripts start', build: 'react-scripts build' }, dependencies: { 'react-scripts': '5.0.1' } } });
    expect(plan).toMatchObject({ kind: 'spa', outputDirectory: 'build', buildCommand: 'pnpm run build' });
  });

  it('leaves out the separate type check when the build script runs tsc', () => {
    for (const build of ['tsc -b && vite build', 'tsc&&vite build', 'vue-tsc --noEmit && vite build']) {
      const plan = planFor(withManifest({ scripts: { dev: 'vite', build } }));
      expect(plan.typecheckCommand, build).toBeNull();
      expect(plan.buildCommand).toBe('pnpm run build');
    }
    expect(planFor(withManifest({ scripts: { build: 'tsc-alias && vite build' } })).typecheckCommand).toBe('pnpm exec tsc --noEmit');
  });

  it('type-checks only with both tsconfig.json and typescript', () => {
    const { 'tsconfig.json': _tsconfig, ...withoutTsconfig } = viteReactApp;
    expect(planFor(withoutTsconfig).typecheckCommand).toBeNull();
    expect(planFor(withManifest({ devDependencies: { vite: '^7.0.0' } })).typecheckCommand).toBeNull();
  });

  it('treats a start script that runs a bundler’s preview or dev server as an spa', () => {
    for (const start of ['vite preview', 'vite', 'vite --port 3000', 'parcel --port 1234']) {
      const plan = planFor(withManifest({ scripts: { start, build: 'vite build' } }));
      expect(plan, start).toMatchObject({ kind: 'spa', startCommand: null, buildCommand: 'pnpm run build', outputDirectory: 'dist' });
    }
  });

  it('refuses an spa without a build script, saying why', () => {
    const error = planErrorFor(withManifest({ scripts: { dev: 'vite' } }));
    expect(error.message).toContain('index.html loads TypeScript/JSX');
    expect(error.message).toContain('"build"');

    const pinned = planErrorFor(withManifest({ scripts: { dev: 'vite' } }, { [BUILD_CONFIG_FILE]: { kind: 'spa' } }));
    expect(pinned).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(pinned.message).toContain('single-page app but package.json has no "build" script');
  });
});

describe('planBuild: package managers', () => {
  it.each([
    ['pnpm-lock.yaml', 'pnpm', 'pnpm install --frozen-lockfile', 'pnpm run build', 'pnpm exec tsc --noEmit'],
    ['package-lock.json', 'npm', 'npm ci', 'npm run build', 'npm exec -- tsc --noEmit'],
    ['npm-shrinkwrap.json', 'npm', 'npm ci', 'npm run build', 'npm exec -- tsc --noEmit'],
    ['yarn.lock', 'yarn', 'yarn install --frozen-lockfile', 'yarn run build', 'yarn exec tsc --noEmit'],
    ['bun.lock', 'bun', 'bun install --frozen-lockfile', 'bun run build', 'bun x tsc --noEmit'],
    ['bun.lockb', 'bun', 'bun install --frozen-lockfile', 'bun run build', 'bun x tsc --noEmit'],
  ])('%s → %s with a frozen install', (lockfile, packageManager, installCommand, buildCommand, typecheckCommand) => {
    const plan = planFor({ ...viteReactApp, [lockfile]: 'lock' });
    expect(plan).toMatchObject({ packageManager, lockfile, installCommand, buildCommand, typecheckCommand });
    expect(plan.reasons).toContain(`package manager ${packageManager} from ${lockfile}`);
  });

  it('falls back to package.json’s packageManager field without a lockfile', () => {
    const plan = planFor(withManifest({ packageManager: 'yarn@4.5.0+sha512.abc' }));
    expect(plan).toMatchObject({ packageManager: 'yarn', lockfile: null, installCommand: 'yarn install', buildCommand: 'yarn run build' });
    expect(planFor(withManifest({ packageManager: 'deno@2.0.0' })).packageManager).toBe('pnpm');
  });

  it('prefers the lockfile to the packageManager field', () => {
    expect(planFor(withManifest({ packageManager: 'yarn@4.5.0' }, { 'package-lock.json': '{}' }))).toMatchObject({ packageManager: 'npm', installCommand: 'npm ci' });
  });

  it('installs nothing when there is nothing to install', () => {
    const plan = planFor({ 'package.json': { scripts: { start: 'node server.js' } }, 'server.js': '' });
    expect(plan).toMatchObject({ kind: 'server', installCommand: null, startCommand: 'pnpm run start' });
  });
});

describe('planBuild: servers', () => {
  it('runs the start script', () => {
    const plan = planFor({
      'package.json': { scripts: { build: 'tsc', start: 'node dist/server.js' }, dependencies: { fastify: '^5.0.0' }, devDependencies: { typescript: '^5.9.0' } },
      'package-lock.json': '{}',
      'tsconfig.json': '{}',
      'src/server.ts': '',
    });
    expect(plan).toMatchObject({
      kind: 'server',
      packageManager: 'npm',
      installCommand: 'npm ci',
      typecheckCommand: null,
      buildCommand: 'npm run build',
      startCommand: 'npm run start',
      outputDirectory: null,
      portVariable: 'PORT',
      spaFallback: false,
    });
  });

  it('runs main when there is no start script', () => {
    const plan = planFor({ 'package.json': { main: 'src/index.js', dependencies: { express: '^5.0.0' } }, 'src/index.js': '' });
    expect(plan).toMatchObject({ kind: 'server', startCommand: 'node src/index.js', buildCommand: null, outputDirectory: null });
    expect(planFor({ 'package.json': { main: "my server.js" } }).startCommand).toBe("node 'my server.js'");
  });

  it('treats a start script run by vite-node as a server, not a dev server', () => {
    const plan = planFor({ 'package.json': { scripts: { start: 'vite-node src/server.ts' }, devDependencies: { 'vite-node': '^3.0.0' } } });
    expect(plan).toMatchObject({ kind: 'server', startCommand: 'pnpm run start' });
  });
});

describe('planBuild: static sites', () => {
  it('serves a lone index.html from the project root', () => {
    const plan = planFor({ 'index.html': '<!doctype html><h1>Hello</h1><script src="app.js"></script>', 'app.js': '' });
    expect(plan).toEqual({
      kind: 'static',
      packageManager: null,
      lockfile: null,
      installCommand: null,
      typecheckCommand: null,
      buildCommand: null,
      startCommand: null,
      outputDirectory: '.',
      portVariable: 'PORT',
      spaFallback: false,
      installScripts: false,
      source: 'detected',
      reasons: ['static site: index.html and no package.json', 'serve the project root as it is'],
    });
  });

  it('serves public/ when the site lives there', () => {
    expect(planFor({ 'public/index.html': '<h1>Hello</h1>' })).toMatchObject({ kind: 'static', outputDirectory: 'public' });
    expect(planFor({ 'package.json': { name: 'site' }, 'public/index.html': '<h1>Hello</h1>' })).toMatchObject({ kind: 'static', outputDirectory: 'public', installCommand: null });
  });

  it('serves an index.html with a package.json that has no scripts', () => {
    expect(planFor({ 'package.json': { name: 'site' }, 'index.html': '<h1>Hello</h1>' })).toMatchObject({ kind: 'static', outputDirectory: '.', packageManager: 'pnpm' });
  });

  it('refuses an index.html that loads TypeScript without a package.json, saying why', () => {
    const error = planErrorFor({ 'index.html': '<script type="module" src="/src/main.tsx"></script>', 'src/main.tsx': '' });
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(error.message).toContain('/src/main.tsx');
    expect(error.message).toContain('no package.json');
  });
});

describe('planBuild: nothing to build', () => {
  it('refuses an empty file set', () => {
    const error = planErrorFor({});
    expect(error.message).toContain('no package.json and no index.html');
  });

  it('refuses a package.json that is not JSON or not an object', () => {
    const invalid = planErrorFor({ 'package.json': '{ "scripts": ', 'index.html': '' });
    expect(invalid.message).toContain('package.json is not valid JSON');
    expect(invalid.issues[0]?.path).toEqual(['package.json']);
    expect(planErrorFor({ 'package.json': '[]' }).message).toContain('not a JSON object');
  });

  it('refuses a package.json with nothing to run', () => {
    expect(planErrorFor({ 'package.json': { name: 'lib', dependencies: { lodash: '^4.0.0' } } }).message).toContain('no "build" or "start" script');
  });
});

describe('planBuild: vector.json', () => {
  it('overrides the kind and the commands', () => {
    const plan = planFor(
      withManifest(
        { scripts: { dev: 'vite', build: 'vite build', serve: 'node server.js' } },
        {
          [BUILD_CONFIG_FILE]: {
            $schema: 'https://vector.dev/schema/vector.json',
            kind: 'server',
            installCommand: 'pnpm install --prod=false',
            buildCommand: 'pnpm run build && pnpm run build:server',
            startCommand: 'node server.js',
            typecheckCommand: null,
            portVariable: 'HTTP_PORT',
            installScripts: true,
          },
        },
      ),
    );
    expect(plan).toMatchObject({
      kind: 'server',
      installCommand: 'pnpm install --prod=false',
      typecheckCommand: null,
      buildCommand: 'pnpm run build && pnpm run build:server',
      startCommand: 'node server.js',
      outputDirectory: null,
      portVariable: 'HTTP_PORT',
      spaFallback: false,
      installScripts: true,
      source: 'config',
    });
    expect(plan.reasons).toContain('kind server from vector.json');
  });

  it('overrides the output directory and the fallback', () => {
    expect(planFor({ ...viteReactApp, [BUILD_CONFIG_FILE]: { outputDirectory: 'dist/client', spaFallback: false } })).toMatchObject({ kind: 'spa', outputDirectory: 'dist/client', spaFallback: false, source: 'config' });
    expect(planFor({ 'site/index.html': '', [BUILD_CONFIG_FILE]: { kind: 'static', outputDirectory: 'site' } })).toMatchObject({ kind: 'static', outputDirectory: 'site' });
  });

  it('pins a static kind: files served as they are, no build', () => {
    const plan = planFor({ ...viteReactApp, 'index.html': '<h1>Hello</h1>', [BUILD_CONFIG_FILE]: { kind: 'static' } });
    expect(plan).toMatchObject({ kind: 'static', buildCommand: null, startCommand: null, outputDirectory: '.', spaFallback: false });
    expect(planFor({ ...viteReactApp, [BUILD_CONFIG_FILE]: { kind: 'static', buildCommand: 'node gen.js', outputDirectory: 'out' } })).toMatchObject({ buildCommand: 'node gen.js', outputDirectory: 'out' });
  });

  it('pins the package manager; a lockfile of another manager does not freeze its install', () => {
    expect(planFor({ ...viteReactApp, 'bun.lock': '', [BUILD_CONFIG_FILE]: { packageManager: 'bun' } })).toMatchObject({ packageManager: 'bun', lockfile: 'bun.lock', installCommand: 'bun install --frozen-lockfile' });
    const plan = planFor({ ...viteReactApp, 'yarn.lock': '', [BUILD_CONFIG_FILE]: { packageManager: 'npm' } });
    expect(plan).toMatchObject({ packageManager: 'npm', lockfile: null, installCommand: 'npm install', buildCommand: 'npm run build' });
  });

  it('turns a step off with null', () => {
    expect(planFor({ ...viteReactApp, [BUILD_CONFIG_FILE]: { typecheckCommand: null, installCommand: null } })).toMatchObject({ typecheckCommand: null, installCommand: null, buildCommand: 'pnpm run build' });
  });

  it('counts as detected when it only names its $schema', () => {
    expect(planFor({ ...viteReactApp, [BUILD_CONFIG_FILE]: { $schema: 'https://vector.dev/schema/vector.json' } }).source).toBe('detected');
  });

  it.each([
    ['an unknown key', { kind: 'spa', buildComand: 'vite build' }, 'buildComand'],
    ['a bad kind', { kind: 'lambda' }, 'kind'],
    ['a bad package manager', { packageManager: 'pip' }, 'packageManager'],
    ['.. in outputDirectory', { outputDirectory: '../secrets' }, 'outputDirectory'],
    ['an absolute outputDirectory', { outputDirectory: '/etc' }, 'outputDirectory'],
    ['an empty command', { buildCommand: '   ' }, 'buildCommand'],
    ['a bad port variable', { portVariable: 'port-number' }, 'portVariable'],
    ['a start command on a non-server', { startCommand: 'node server.js' }, 'startCommand'],
  ])('rejects %s, naming the field', (_label, config, field) => {
    const error = planErrorFor({ ...viteReactApp, [BUILD_CONFIG_FILE]: config });
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(error.issues[0]?.path).toEqual([BUILD_CONFIG_FILE, field]);
    expect(error.message).toContain(`Invalid ${BUILD_CONFIG_FILE} at ${field}`);
  });

  it('rejects an outputDirectory for a server', () => {
    const error = planErrorFor({ 'package.json': { scripts: { start: 'node server.js' } }, [BUILD_CONFIG_FILE]: { outputDirectory: 'public' } });
    expect(error.issues[0]?.path).toEqual([BUILD_CONFIG_FILE, 'outputDirectory']);
  });

  it('rejects invalid JSON and a non-object', () => {
    const invalid = planErrorFor({ ...viteReactApp, [BUILD_CONFIG_FILE]: '{ kind: spa }' });
    expect(invalid.issues[0]?.path).toEqual([BUILD_CONFIG_FILE]);
    expect(invalid.message).toContain('not valid JSON');
    expect(planErrorFor({ ...viteReactApp, [BUILD_CONFIG_FILE]: '[]' }).issues[0]?.path).toEqual([BUILD_CONFIG_FILE]);
  });

  it('refuses a pinned spa or server without a package.json to run it from', () => {
    const error = planErrorFor({ 'index.html': '', [BUILD_CONFIG_FILE]: { kind: 'server' } });
    expect(error.message).toContain('no package.json');
    expect(planFor({ 'server.sh': '', [BUILD_CONFIG_FILE]: { kind: 'server', startCommand: 'sh server.sh' } })).toMatchObject({ kind: 'server', startCommand: 'sh server.sh', packageManager: null, installCommand: null });
  });
});

describe('planBuild: input', () => {
  it('reads content given as strings exactly as bytes', () => {
    const asStrings = Object.entries(viteReactApp).map(([path, content]) => ({ path, content: typeof content === 'string' ? content : JSON.stringify(content) }));
    expect(planBuild(asStrings)).toEqual(planFor(viteReactApp));
  });

  it('reads UTF-8 bytes with a byte-order mark, and strings with one', () => {
    const manifest = JSON.stringify({ scripts: { start: 'node server.js' } });
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(manifest)]);
    expect(planBuild([{ path: 'package.json', content: bytes }]).kind).toBe('server');
    expect(planBuild([{ path: 'package.json', content: `\uFEFF${manifest}` }]).kind).toBe('server');
  });
});
