#!/usr/bin/env node
// Benchmark: a Vite + React + TypeScript app deployed as a preview with @vector/provider-local,
// from the deploy call to the first HTTP 200 on its URL, with a cold dependency cache (a new,
// empty cache directory: everything comes from the npm registry) against a warm one (the same
// dependencies installed before: offline from the cache). Both are measured in this run and
// printed with their ratio; the targets are warm <= 5 s and warm <= 0.25 x cold. It never
// fails on timing.
// Run after `pnpm build` (it imports the built packages): `pnpm --filter @vector/provider-local bench`.
// A third figure deploys the warm run's files again, which the build output cache serves.
// Environment: BENCH_RUNS (default 3) runs of each.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeText } from '@vector/core';
import { createLocalProvider } from '@vector/provider-local';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const WARM_TARGET_MS = 5000;
const RATIO_TARGET = 0.25;

function app(marker) {
  const files = {
    'package.json': JSON.stringify({
      name: 'bench-app',
      private: true,
      type: 'module',
      scripts: { dev: 'vite', build: 'vite build' },
      dependencies: { react: '^19.2.0', 'react-dom': '^19.2.0' },
      devDependencies: { vite: '^8.0.0', '@vitejs/plugin-react': '^6.0.0', typescript: '~6.0.3', '@types/react': '^19.2.0', '@types/react-dom': '^19.2.0' },
    }),
    'index.html': '<!doctype html><html><body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>',
    'vite.config.ts': "import { defineConfig } from 'vite';\nimport react from '@vitejs/plugin-react';\nexport default defineConfig({ plugins: [react()] });\n",
    'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', jsx: 'react-jsx', strict: true, noEmit: true, skipLibCheck: true, types: [] }, include: ['src'] }),
    'src/main.tsx': `import { useState } from 'react';\nimport { createRoot } from 'react-dom/client';\nfunction App() {\n  const [count, setCount] = useState(0);\n  return <button onClick={() => setCount(count + 1)}>${marker} {count}</button>;\n}\ncreateRoot(document.getElementById('root')!).render(<App />);\n`,
  };
  return Object.entries(files).map(([path, content]) => ({ path, content: encodeText(content) }));
}

let counter = 0;
async function timeDeploy(cacheDir, files = app(`run ${counter + 1}`)) {
  const stateDir = mkdtempSync(join(tmpdir(), 'vector-bench-state-'));
  const provider = createLocalProvider({ stateDir, cacheDir });
  await provider.init();
  counter += 1;
  const started = performance.now();
  try {
    const state = await provider.deploy({
      deploymentId: `bench-${counter}`,
      idempotencyKey: `bench-${process.pid}-${counter}`,
      project: { id: 'bench', organizationId: 'bench', name: 'bench' },
      version: { id: `v${counter}`, number: counter, storageRef: `r${counter}` },
      environment: 'preview',
      source: { git: null, getFiles: async () => files },
      env: {},
      secrets: {},
    });
    for (;;) {
      const current = await provider.getStatus({ providerDeploymentId: state.providerDeploymentId });
      if (current.status === 'failed') throw new Error(`deploy failed: ${current.error?.message}`);
      if (current.status === 'live' && current.url) {
        const response = await fetch(current.url).catch(() => null);
        if (response?.status === 200) {
          await response.text();
          return performance.now() - started;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    await provider.dispose();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const cold = [];
const warm = [];
const same = [];
for (let run = 0; run < RUNS; run += 1) {
  const cacheDir = mkdtempSync(join(tmpdir(), 'vector-bench-cache-'));
  try {
    cold.push(await timeDeploy(cacheDir));
    const files = app(`warm ${run}`);
    warm.push(await timeDeploy(cacheDir, files));
    // The same files again (a rollback, publishing a previewed version): the build output cache.
    same.push(await timeDeploy(cacheDir, files));
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}
const coldMs = median(cold);
const warmMs = median(warm);
const ratio = warmMs / coldMs;
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
console.log(`Vite + React + TS preview, deploy call to first 200 (median of ${RUNS}):`);
console.log(`  cold cache  ${seconds(coldMs)}   (runs: ${cold.map(seconds).join(', ')})`);
console.log(`  warm cache  ${seconds(warmMs)}   (runs: ${warm.map(seconds).join(', ')})   target <= ${seconds(WARM_TARGET_MS)}: ${warmMs <= WARM_TARGET_MS ? 'met' : 'MISSED'}`);
console.log(`  warm / cold ${ratio.toFixed(2)}x   target <= ${RATIO_TARGET}x: ${ratio <= RATIO_TARGET ? 'met' : 'MISSED'}`);
const sameMs = median(same);
console.log(`  same files again (build output cache) ${seconds(sameMs)}   (runs: ${same.map(seconds).join(', ')})   ${(sameMs / coldMs).toFixed(2)}x cold`);
console.log('  (warm = dependencies cached, source changed: install offline, then tsc and vite build run; cold = empty cache, everything from the registry)');
