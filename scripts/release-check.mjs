#!/usr/bin/env node
// Proves every public package would publish correctly, before `changeset publish` does it:
//   1. builds the packages (skip with --skip-build);
//   2. packs each one with `pnpm pack` (which rewrites workspace:^ ranges) and checks the
//      tarball holds every file `exports`/`main`/`types`/`bin` name, nothing outside `files`, and
//      no `workspace:` range;
//   3. runs publint on the unpacked tarball (exactly what npm would receive);
//   4. npm-installs all tarballs into a scratch project and imports each package there,
//      checking its main exports and running a tiny engine smoke test.
// Options: --skip-build, --keep (leave the temp directory for inspection).
// Ends with `release check passed` or `release check failed: N problems` (exit 1).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repositoryRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = new Set(process.argv.slice(2));
const problems = [];
const problem = (message) => {
  problems.push(message);
  console.error(`  ✗ ${message}`);
};
const step = (message) => console.log(`\n▶ ${message}`);

/** Runs a command, streaming nothing; returns stdout or records a problem with its output. */
function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${command} ${commandArgs.join(' ')} exited ${result.status ?? result.signal}${result.error ? ` (${result.error.message})` : ''}\n${output}`);
  }
  return result.stdout;
}

/** Every file path a manifest's `exports` (any nesting of conditions), `main`, `module`, `types` and `bin` name. */
function entryFiles(manifest) {
  const found = new Set();
  const visit = (value) => {
    if (typeof value === 'string') found.add(value.replace(/^\.\//, ''));
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(manifest.exports);
  visit(manifest.bin);
  for (const field of ['main', 'module', 'types', 'typings']) if (typeof manifest[field] === 'string') visit(manifest[field]);
  return [...found].filter((path) => !path.includes('*'));
}

/** True when `path` is inside one of `files` (a directory or a file; simple `*` globs) or always packed by npm. */
function allowedByFiles(path, files) {
  if (path === 'package.json' || /^(readme|license|licence|changelog)(\.[^/]*)?$/i.test(path)) return true;
  return files.some((pattern) => {
    const clean = pattern.replace(/^\.\//, '').replace(/\/$/, '');
    if (clean.includes('*')) return new RegExp(`^${clean.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}(/|$)`).test(path);
    return path === clean || path.startsWith(`${clean}/`);
  });
}

const dependencyFields = ['dependencies', 'peerDependencies', 'optionalDependencies'];
// Packages that are not adapters, so take no @vector/core peer: core itself, the server, and the
// data client generated apps import (it depends on nothing but fetch).
const standalonePackages = new Set(['@vector/core', '@vector/server', '@vector/data-client', '@vector/console']);

// What each package must export; a package not listed here must export at least one name.
const expectedExports = {
  '@vector/core': ['createVector', 'createSqliteDatabase', 'createPostgresDatabase', 'defineStorageBackend', 'defineDeploymentProvider', 'defineAgent', 'VectorError', 'NotFoundError', 'ConflictError', 'createMemoryStorage', 'createStaticProvider'],
  '@vector/storage-internal': ['createInternalStorage'],
  '@vector/storage-github': ['createGitHubStorage'],
  '@vector/provider-railway': ['createRailwayProvider'],
  '@vector/provider-render': ['createRenderProvider'],
  '@vector/provider-local': ['createLocalProvider', 'createLocalBuildChecker'],
  '@vector/provider-docker': ['createDockerProvider'],
  '@vector/data-client': ['createDataClient', 'DataClientError'],
  '@vector/agent-codegen': ['createCodegenAgent'],
  '@vector/server': ['buildServer'],
  '@vector/console': ['consoleAssetsDir', 'consoleAssetsBuilt'],
};

const workDirectory = mkdtempSync(join(tmpdir(), 'vector-release-check-'));
const started = Date.now();
try {
  if (!args.has('--skip-build')) {
    step('building packages');
    run('pnpm', ['-r', '--filter', './packages/*', 'build'], { cwd: repositoryRoot });
  }

  const packages = readdirSync(join(repositoryRoot, 'packages'))
    .map((name) => join(repositoryRoot, 'packages', name))
    .filter((directory) => existsSync(join(directory, 'package.json')))
    .map((directory) => ({ directory, manifest: JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) }))
    .filter(({ manifest }) => manifest.private !== true);
  if (packages.length === 0) throw new Error('no public package found under packages/');

  const tarballs = [];
  for (const { directory, manifest } of packages) {
    step(`packing ${manifest.name}`);
    const destination = join(workDirectory, 'tarballs', manifest.name.replace('/', '+'));
    mkdirSync(destination, { recursive: true });
    run('pnpm', ['pack', '--pack-destination', destination], { cwd: directory });
    const tarball = readdirSync(destination).find((file) => file.endsWith('.tgz'));
    if (!tarball) {
      problem(`${manifest.name}: pnpm pack wrote no tarball`);
      continue;
    }
    const tarballPath = join(destination, tarball);
    const contents = run('tar', ['-tzf', tarballPath]).split('\n').filter((line) => line.length > 0 && !line.endsWith('/')).map((line) => line.replace(/^package\//, ''));
    const unpacked = join(destination, 'unpacked');
    mkdirSync(unpacked);
    run('tar', ['-xzf', tarballPath, '-C', unpacked, '--strip-components=1']);
    const packed = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8'));
    const before = problems.length;

    for (const file of entryFiles(packed)) if (!contents.includes(file)) problem(`${manifest.name}: ${file} is named by exports/main/types/bin but is not in the tarball`);
    if (!Array.isArray(packed.files)) problem(`${manifest.name}: package.json has no "files" list`);
    else for (const file of contents) if (!allowedByFiles(file, packed.files)) problem(`${manifest.name}: ${file} is packed but outside "files"`);
    if (!packed.exports?.['.']) problem(`${manifest.name}: exports has no "." entry`);
    if (packed.type !== 'module') problem(`${manifest.name}: "type" is not "module"`);
    for (const field of dependencyFields) {
      for (const [name, range] of Object.entries(packed[field] ?? {})) if (String(range).startsWith('workspace:')) problem(`${manifest.name}: ${field}.${name} is still ${range}`);
    }
    if (packed.peerDependencies?.['@vector/core'] === undefined && !standalonePackages.has(manifest.name)) {
      problem(`${manifest.name}: adapters take @vector/core as a peer dependency`);
    }

    try {
      const lint = run('pnpm', ['exec', 'publint', unpacked, '--pack', 'false'], { cwd: repositoryRoot });
      const findings = lint.split('\n').filter((line) => /warning|suggestion/i.test(line));
      if (findings.length > 0) console.log(`  publint: ${findings.join('; ')}`);
    } catch (error) {
      problem(`${manifest.name}: publint failed\n${error.message}`);
    }
    if (problems.length === before) console.log(`  ✓ ${tarball}: ${contents.length} files, entries present, nothing outside "files"`);
    tarballs.push({ name: manifest.name, tarballPath });
  }

  step('installing the tarballs into a scratch project with npm');
  const scratch = join(workDirectory, 'scratch');
  mkdirSync(scratch);
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'vector-release-scratch', private: true, type: 'module' }, null, 2));
  // Core first, then the packages that need it as a peer; one npm call so npm places them together.
  const ordered = [...tarballs].sort((a, b) => (a.name === '@vector/core' ? -1 : b.name === '@vector/core' ? 1 : 0));
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...ordered.map((entry) => entry.tarballPath)], { cwd: scratch });

  step('importing every package from the scratch project');
  const smoke = `
const expected = ${JSON.stringify(Object.fromEntries(tarballs.map(({ name }) => [name, expectedExports[name] ?? []])))};
const failures = [];
for (const [name, names] of Object.entries(expected)) {
  try {
    const module = await import(name);
    const exported = Object.keys(module);
    if (exported.length === 0) failures.push(name + ' exports nothing');
    for (const wanted of names) if (module[wanted] === undefined) failures.push(name + ' does not export ' + wanted);
    console.log('  ✓ import ' + name + ': ' + exported.length + ' exports');
  } catch (error) {
    failures.push('import ' + name + ' failed: ' + error.message);
  }
}
if (expected['@vector/console']) {
  // The console's app ships in the tarball: the server serves it from there.
  const { consoleAssetsBuilt, consoleAssetsDir } = await import('@vector/console');
  if (!consoleAssetsBuilt()) failures.push('@vector/console has no built app at ' + consoleAssetsDir());
  else console.log('  ✓ @vector/console ships its built app');
}
if (expected['@vector/core']) {
  // The testing entry needs vitest, which is an optional peer: check it resolves to a file.
  try {
    import.meta.resolve('@vector/core/testing');
  } catch (error) {
    failures.push('@vector/core/testing does not resolve: ' + error.message);
  }
  const { createSqliteDatabase, createVector, createMemoryStorage } = await import('@vector/core');
  const database = createSqliteDatabase({ path: ':memory:' });
  const storage = expected['@vector/storage-internal'] ? (await import('@vector/storage-internal')).createInternalStorage({ database }) : createMemoryStorage();
  const vector = createVector({ database, storage: [storage] });
  const actor = { type: 'user', id: 'release-check' };
  const organization = await vector.organizations.create({ name: 'Release check' }, actor);
  const scope = vector.scope({ organizationId: organization.id, actor });
  const project = await scope.projects.create({ name: 'Smoke' });
  const version = await scope.versions.create({ projectId: project.id, parentVersionId: null, message: 'smoke', files: [{ path: 'index.html', content: 'ok' }] });
  const file = await scope.versions.getFile(version.id, 'index.html');
  if (new TextDecoder().decode(file.content) !== 'ok') failures.push('engine smoke test read back the wrong content');
  else console.log('  ✓ engine smoke test: version ' + version.number + ' saved with ' + storage.name + ' storage and read back');
  await vector.dispose();
  await database.destroy();
}
if (failures.length > 0) {
  for (const failure of failures) console.error('  ✗ ' + failure);
  process.exit(1);
}
`;
  writeFileSync(join(scratch, 'smoke.mjs'), smoke);
  try {
    console.log(run(process.execPath, ['smoke.mjs'], { cwd: scratch }).trimEnd());
  } catch (error) {
    problem(`the scratch project's imports failed\n${error.message}`);
  }
} catch (error) {
  problem(error instanceof Error ? error.message : String(error));
} finally {
  if (args.has('--keep')) console.log(`\nkept ${workDirectory}`);
  else rmSync(workDirectory, { recursive: true, force: true });
}

const seconds = Math.round((Date.now() - started) / 1000);
if (problems.length > 0) {
  console.error(`\nrelease check failed: ${problems.length} problem${problems.length === 1 ? '' : 's'} (${seconds}s)`);
  process.exit(1);
}
console.log(`\nrelease check passed (${seconds}s)`);
