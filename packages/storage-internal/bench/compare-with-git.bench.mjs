#!/usr/bin/env node
// Benchmark: @vector/storage-internal (SQLite file) against `git add -A && git commit` on the
// same workload, in one run. A 1,000-file project (~10 MB of code plus some binary assets),
// then 100 successive versions changing 5 files each. Prints per-version save time, time to
// read every file of the last version, and bytes stored, as ratios against git.
// Run after `pnpm build` (it imports the built packages): `pnpm --filter @vector/storage-internal bench`.
// Environment: BENCH_FILES (default 1000), BENCH_VERSIONS (100), BENCH_CHANGES (5).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSqliteDatabase } from '@vector/core';
import { createInternalStorage } from '@vector/storage-internal';

const FILES = Number(process.env.BENCH_FILES ?? 1000);
const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 100);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 5);
const TARGET_RATIO = 2;

// Deterministic pseudo-random numbers so every run measures the same workload.
function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(42);
const pick = (items) => items[Math.floor(random() * items.length)];
const words = ['user', 'project', 'render', 'state', 'value', 'config', 'handler', 'request', 'response', 'build', 'item', 'list', 'index', 'props', 'theme', 'layout', 'fetch', 'cache', 'token', 'session', 'route', 'query', 'update', 'create', 'delete', 'format', 'parse', 'error', 'result', 'count'];
const identifier = () => `${pick(words)}${pick(words).replace(/^./, (c) => c.toUpperCase())}${Math.floor(random() * 100)}`;
const codeLine = () => {
  const shapes = [
    () => `export function ${identifier()}(${identifier()}: string, ${identifier()}: number) {`,
    () => `  const ${identifier()} = await ${identifier()}(${identifier()}, { ${pick(words)}: ${Math.floor(random() * 1000)} });`,
    () => `  if (!${identifier()}) throw new Error('${pick(words)} ${pick(words)} failed: ' + ${identifier()});`,
    () => `  return { ${pick(words)}: ${identifier()}, ${pick(words)}: "${pick(words)}-${Math.floor(random() * 1e6).toString(36)}" };`,
    () => '}',
    () => `// ${pick(words)} the ${pick(words)} before the ${pick(words)} is ${pick(words)}d`,
    () => `import { ${identifier()}, ${identifier()} } from './${pick(words)}-${pick(words)}.js';`,
  ];
  return pick(shapes)();
};
const textFile = (bytes) => {
  const lines = [];
  let size = 0;
  while (size < bytes) {
    const line = codeLine();
    lines.push(line);
    size += line.length + 1;
  }
  return lines;
};
const randomBytes = (size) => {
  const bytes = new Uint8Array(size);
  for (let index = 0; index < size; index += 1) bytes[index] = Math.floor(random() * 256);
  return bytes;
};
const encoder = new TextEncoder();

// --- workload -------------------------------------------------------------------------------
const binaryCount = Math.round(FILES * 0.05);
const files = new Map(); // path -> { lines } | { bytes }
for (let index = 0; index < FILES - binaryCount; index += 1) {
  const path = `src/feature-${String(index % 40).padStart(2, '0')}/${index % 3 === 0 ? 'components/' : ''}${pick(words)}-${index}.ts`;
  files.set(path, { lines: textFile(8_000 + Math.floor(random() * 4_000)) });
}
for (let index = 0; index < binaryCount; index += 1) files.set(`public/assets/image-${index}.png`, { bytes: randomBytes(12_000 + Math.floor(random() * 8_000)) });
const contentOf = (file) => (file.bytes ? file.bytes : encoder.encode(`${file.lines.join('\n')}\n`));
const paths = [...files.keys()];
const initialFiles = paths.map((path) => ({ type: 'write', path, content: contentOf(files.get(path)) }));
const versions = [];
for (let version = 0; version < VERSIONS; version += 1) {
  const changed = new Set();
  while (changed.size < CHANGES) changed.add(pick(paths));
  const changes = [];
  for (const path of changed) {
    const file = files.get(path);
    if (file.bytes) file.bytes = randomBytes(file.bytes.length);
    else {
      file.lines[Math.floor(random() * file.lines.length)] = codeLine();
      file.lines.splice(Math.floor(random() * file.lines.length), 0, codeLine(), codeLine());
    }
    changes.push({ type: 'write', path, content: contentOf(file) });
  }
  versions.push(changes);
}
const projectBytes = initialFiles.reduce((sum, change) => sum + change.content.byteLength, 0);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
const p95 = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.95)];
function directoryBytes(path) {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    total += entry.isDirectory() ? directoryBytes(full) : statSync(full).size;
  }
  return total;
}
const fmtMs = (ms) => `${ms.toFixed(2)} ms`;
const fmtBytes = (bytes) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);


// --- storage-internal on SQLite ---------------------------------------------------------------
async function runInternal(root) {
  const databasePath = join(root, 'vector.db');
  const database = createSqliteDatabase({ path: databasePath });
  const storage = createInternalStorage({ database });
  await storage.init();
  const project = { id: 'bench-project', organizationId: 'bench', name: 'bench', settings: {} };
  const author = { name: 'Bench', email: 'bench@vector.invalid' };
  let started = performance.now();
  let { ref } = await storage.saveVersion({ project, parentRef: null, changes: initialFiles, message: 'initial', author });
  const initialMs = performance.now() - started;
  const saveMs = [];
  for (const [index, changes] of versions.entries()) {
    started = performance.now();
    ({ ref } = await storage.saveVersion({ project, parentRef: ref, changes, message: `version ${index + 1}`, author }));
    saveMs.push(performance.now() - started);
  }
  const readMs = [];
  let fileCount = 0;
  for (let run = 0; run < 5; run += 1) {
    started = performance.now();
    fileCount = (await storage.getFiles({ project, ref })).length;
    readMs.push(performance.now() - started);
  }
  const payload = await database.db
    .selectFrom('vector_storage_objects')
    .select((eb) => [eb.fn.sum('stored_bytes').as('bytes'), eb.fn.countAll().as('objects')])
    .executeTakeFirstOrThrow();
  await storage.dispose();
  await database.destroy();
  // Closing the last connection checkpoints the WAL into the main file.
  const fileBytes = statSync(databasePath).size;
  return { initialMs, saveMs, readMs, fileCount, payloadBytes: Number(payload.bytes), objects: Number(payload.objects), fileBytes };
}

// --- git ------------------------------------------------------------------------------------
function runGit(root) {
  const repository = join(root, 'repo');
  mkdirSync(repository);
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@vector.invalid', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@vector.invalid', GIT_CONFIG_NOSYSTEM: '1', HOME: root };
  const git = (...args) => execFileSync('git', args, { cwd: repository, env, maxBuffer: 1024 * 1024 * 1024 });
  const commit = (message) => execFileSync('sh', ['-c', `git add -A && git commit -q -m "${message}"`], { cwd: repository, env });
  git('init', '-q');
  // Keep every object loose: what is measured is git's loose-object store, before any packing.
  git('config', 'gc.auto', '0');
  const writeChanges = (changes) => {
    for (const change of changes) {
      const target = join(repository, change.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, change.content);
    }
  };
  let started = performance.now();
  writeChanges(initialFiles);
  commit('initial');
  const initialMs = performance.now() - started;
  const saveMs = [];
  for (const [index, changes] of versions.entries()) {
    started = performance.now();
    writeChanges(changes);
    commit(`version ${index + 1}`);
    saveMs.push(performance.now() - started);
  }
  const readMs = [];
  for (let run = 0; run < 5; run += 1) {
    started = performance.now();
    git('archive', '--format=tar', 'HEAD');
    readMs.push(performance.now() - started);
  }
  const counts = Object.fromEntries(
    git('count-objects', '-v')
      .toString()
      .trim()
      .split('\n')
      .map((line) => line.split(': ')),
  );
  const objectsDirectory = join(repository, '.git', 'objects');
  let looseApparentBytes = 0;
  for (const entry of readdirSync(objectsDirectory)) if (/^[0-9a-f]{2}$/.test(entry)) looseApparentBytes += directoryBytes(join(objectsDirectory, entry));
  return { initialMs, saveMs, readMs, looseObjects: Number(counts.count), looseDiskBytes: Number(counts.size) * 1024, looseApparentBytes, packs: Number(counts.packs) };
}

// --- run and report ---------------------------------------------------------------------------
const root = mkdtempSync(join(tmpdir(), 'vector-storage-bench-'));
try {
  console.log(`Workload: ${FILES} files (${binaryCount} binary), ${fmtBytes(projectBytes)}; ${VERSIONS} versions changing ${CHANGES} files each.`);
  const internal = await runInternal(root);
  const gitResult = runGit(root);
  if (internal.fileCount !== FILES) throw new Error(`getFiles returned ${internal.fileCount} files, expected ${FILES}`);
  if (gitResult.packs !== 0) console.log('warning: git packed objects; loose-object sizes are incomplete');

  const rows = [
    ['initial import (1 save)', fmtMs(internal.initialMs), fmtMs(gitResult.initialMs)],
    ['save per version, mean', fmtMs(mean(internal.saveMs)), fmtMs(mean(gitResult.saveMs))],
    ['save per version, median', fmtMs(median(internal.saveMs)), fmtMs(median(gitResult.saveMs))],
    ['save per version, p95', fmtMs(p95(internal.saveMs)), fmtMs(p95(gitResult.saveMs))],
    ['read all files of last version, median of 5', fmtMs(median(internal.readMs)), fmtMs(median(gitResult.readMs))],
    ['stored objects', String(internal.objects), String(gitResult.looseObjects)],
    ['bytes: compressed object payload', fmtBytes(internal.payloadBytes), `${fmtBytes(gitResult.looseApparentBytes)} (loose files, apparent size)`],
    ['bytes: on disk', `${fmtBytes(internal.fileBytes)} (SQLite file)`, `${fmtBytes(gitResult.looseDiskBytes)} (count-objects size)`],
  ];
  const width = rows.reduce((max, row) => Math.max(max, row[0].length), 0);
  const column = rows.reduce((max, row) => Math.max(max, row[1].length), 'storage-internal'.length);
  console.log(`\n${''.padEnd(width)}  ${'storage-internal'.padEnd(column)}  git ${execFileSync('git', ['--version']).toString().trim().replace('git version ', '')}`);
  for (const row of rows) console.log(`${row[0].padEnd(width)}  ${row[1].padEnd(column)}  ${row[2]}`);

  const ratios = [
    ['save time per version (mean)', mean(internal.saveMs) / mean(gitResult.saveMs)],
    ['read all files (median)', median(internal.readMs) / median(gitResult.readMs)],
    ['bytes: payload vs git loose objects (apparent)', internal.payloadBytes / gitResult.looseApparentBytes],
    ['bytes: SQLite file vs git count-objects size', internal.fileBytes / gitResult.looseDiskBytes],
  ];
  console.log(`\nRatios (storage-internal / git; target <= ${TARGET_RATIO}x):`);
  for (const [name, ratio] of ratios) console.log(`  ${name.padEnd(48)} ${ratio.toFixed(2)}x  ${ratio <= TARGET_RATIO ? 'target met' : 'TARGET MISSED'}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
