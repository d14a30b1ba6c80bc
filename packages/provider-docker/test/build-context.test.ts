import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planBuild } from '@vector/core';
import { describe, expect, it } from 'vitest';
import { sourceFiles, viteReactApp } from '../../provider-local/test/sample-apps.js';
import { createBuildContext, fromImages } from '../src/build-context.js';
import { decodeBuildKitStatus } from '../src/buildkit-status.js';
import { negotiate } from '../src/docker-client.js';
import { dockerfileForPlan } from '../src/dockerfile-for-plan.js';
import type { DeploymentManifest } from '../src/deployment-manifest.js';
import { planReconcile } from '../src/reconcile-plan.js';
import { freePort } from '../src/run-container.js';
import { staticServerScript } from '../src/static-server-script.js';
import { createTarArchive } from '../src/tar-archive.js';

// Offline: no daemon needed.
describe('generated Dockerfiles', () => {
  it('orders a Vite app so the install is cached by its manifests, with a BuildKit cache mount', () => {
    const files = viteReactApp();
    const generated = dockerfileForPlan({ plan: planBuild(files), baseImage: 'node:24-slim', fileNames: new Set(files.map((file) => file.path)), buildArgNames: ['VITE_API'], buildKit: true });
    expect(generated.text.split('\n')).toEqual([
      'FROM node:24-slim',
      'WORKDIR /app',
      'RUN command -v pnpm >/dev/null 2>&1 || npm install --global --no-audit --no-fund pnpm',
      'COPY vector/serve.mjs /opt/vector/serve.mjs',
      'COPY ["app/package.json","./"]',
      expect.stringMatching(/^ENV pnpm_config_store_dir=\/var\/cache\/vector\/pnpm-store npm_config_cache=/),
      'RUN --mount=type=cache,id=vector-pnpm,target=/var/cache/vector,sharing=shared pnpm install --no-frozen-lockfile --ignore-scripts --config.confirm-modules-purge=false',
      'COPY app/ ./',
      'ARG VITE_API',
      'RUN pnpm exec tsc --noEmit',
      'RUN pnpm run build',
      'ENV HOME=/tmp NODE_ENV=production',
      'CMD ["node","/opt/vector/serve.mjs","/app/dist","spa"]',
      '',
    ]);
    expect(generated.steps.map((step) => step.name)).toEqual(['toolchain', 'install', 'typecheck', 'build']);
  });

  it('uses no cache mount for the classic builder, keeps a lockfile install frozen, and lets scripts run when the project opts in', () => {
    const files = sourceFiles({
      'package.json': JSON.stringify({ name: 'api', scripts: { start: 'node server.js' }, dependencies: { fastify: '^5.0.0' } }),
      'package-lock.json': '{}',
      '.npmrc': 'fund=false\n',
      'vector.json': JSON.stringify({ installScripts: true }),
      'server.js': '',
    });
    const generated = dockerfileForPlan({ plan: planBuild(files), baseImage: 'base', fileNames: new Set(files.map((file) => file.path)), buildArgNames: [], buildKit: false });
    expect(generated.text).toContain('COPY ["app/package.json","app/package-lock.json","app/.npmrc","./"]\n');
    expect(generated.text).toContain('\nRUN npm ci --no-audit --no-fund\n');
    expect(generated.text).not.toContain('--mount');
    expect(generated.text).not.toContain('command -v');
    expect(generated.text).not.toContain('serve.mjs');
    expect(generated.text).toContain('CMD ["/bin/sh","-c","npm run start"]');
  });

  it('builds a lone index.html without a single RUN step', () => {
    const context = createBuildContext({ files: sourceFiles({ 'index.html': '<h1>hi</h1>' }), baseImage: 'base:1', env: { PUBLIC_MODE: 'x' }, buildKit: true });
    expect(context.source).toBe('generated');
    expect(context.steps).toEqual([]);
    expect(context.dockerfile).not.toContain('RUN');
    expect(context.dockerfile).toContain('CMD ["node","/opt/vector/serve.mjs","/app"]');
    expect(context.baseImages).toEqual(['base:1']);
  });

  it('builds a project with its own Dockerfile as it is, and names the images it needs', () => {
    const context = createBuildContext({ files: sourceFiles({ Dockerfile: 'FROM node:24 AS deps\nRUN true\nFROM deps\n', 'server.js': '' }), baseImage: 'unused', env: { 'NOT-A-NAME': '1', API_URL: 'http://127.0.0.1' }, buildKit: true });
    expect(context).toMatchObject({ source: 'project', plan: null, dockerfilePath: 'Dockerfile', baseImages: ['node:24'], buildArgs: { API_URL: 'http://127.0.0.1' } });
    expect(fromImages('FROM --platform=linux/amd64 node:24-slim AS build\nFROM scratch\nFROM ${BASE}\nfrom build\nFROM \\\n  nginx:1\n')).toEqual(['node:24-slim', 'nginx:1']);
  });

  it('refuses a path outside the project, and a version planBuild cannot plan', () => {
    expect(() => createBuildContext({ files: sourceFiles({ '../escape': 'x' }), baseImage: 'b', env: {}, buildKit: true })).toThrow(/outside|relative/);
    expect(() => createBuildContext({ files: sourceFiles({ 'notes.txt': 'x' }), baseImage: 'b', env: {}, buildKit: true })).toThrow(/no package.json and no index.html/);
  });
});

describe('tar archives', () => {
  it('are read by tar, with long paths and modes', async () => {
    const long = `${'deep/'.repeat(30)}file.txt`;
    const archive = createTarArchive([
      { path: 'Dockerfile', content: Buffer.from('FROM x\n') },
      { path: long, content: Buffer.from('long') },
      { path: 'bin/run', content: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
    ]);
    expect(archive.byteLength % 512).toBe(0);
    const listing = execFileSync('tar', ['-tvf', '-'], { input: archive, encoding: 'utf8' });
    expect(listing).toContain(long);
    expect(listing).toMatch(/-rwxr-xr-x .* bin\/run/);
    const dir = await mkdtemp(join(tmpdir(), 'vector-tar-'));
    try {
      execFileSync('tar', ['-xf', '-', '-C', dir], { input: archive });
      expect(execFileSync('cat', [join(dir, long)], { encoding: 'utf8' })).toBe('long');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Protobuf encoding, just enough to write BuildKit status messages. */
const varint = (value: number): number[] => {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 128) {
    bytes.push((rest % 128) | 128);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
};
const bytesField = (number: number, payload: Uint8Array | string): number[] => {
  const data = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  return [...varint(number * 8 + 2), ...varint(data.length), ...data];
};
const varintField = (number: number, value: number): number[] => [...varint(number * 8), ...varint(value)];

describe('BuildKit progress', () => {
  it('decodes steps, their output and errors from a trace message', () => {
    const timestamp = new Uint8Array([8, 1]);
    const vertex = [...bytesField(1, 'sha256:abc'), ...bytesField(2, 'sha256:input'), ...bytesField(3, '[3/4] RUN pnpm install'), ...varintField(4, 1), ...bytesField(5, timestamp), ...bytesField(7, 'exit code: 3')];
    const log = [...bytesField(1, 'sha256:abc'), ...bytesField(2, timestamp), ...varintField(3, 2), ...bytesField(4, 'Progress: resolved 1\n')];
    const warning = [...bytesField(1, 'sha256:abc'), ...varintField(2, 1), ...bytesField(3, 'legacy key/value format'), ...bytesField(5, 'https://docs.docker.com/go/dockerfile/rule/')];
    const status = [...bytesField(1, new Uint8Array(vertex)), ...bytesField(2, new Uint8Array([10, 1, 120])), ...bytesField(3, new Uint8Array(log)), ...bytesField(4, new Uint8Array(warning))];
    const decoded = decodeBuildKitStatus(Buffer.from(status).toString('base64'));
    expect(decoded.vertexes).toEqual([{ digest: 'sha256:abc', name: '[3/4] RUN pnpm install', cached: true, started: true, completed: false, error: 'exit code: 3' }]);
    expect(decoded.logs).toHaveLength(1);
    expect(decoded.logs[0]).toMatchObject({ vertex: 'sha256:abc', stream: 2 });
    expect(Buffer.from(decoded.logs[0]?.message ?? []).toString()).toBe('Progress: resolved 1\n');
    expect(decoded.warnings).toEqual(['legacy key/value format']);
  });
});

describe('API version negotiation', () => {
  it('speaks the daemon’s version up to the newest read, never below its minimum', () => {
    expect(negotiate('1.41', '1.12')).toBe('1.41');
    expect(negotiate('1.52', '1.44')).toBe('1.47');
    expect(negotiate('1.52', '1.50')).toBe('1.50');
    expect(() => negotiate('1.40', '1.12')).toThrow(/needs 1.41/);
  });
});

describe('reconcile plan', () => {
  const manifest = (id: string, status: DeploymentManifest['status'], containerId: string | null = `c-${id}`): DeploymentManifest => ({
    id,
    deploymentId: `deployment-${id}`,
    idempotencyKey: id,
    environment: 'preview',
    projectId: 'p',
    versionNumber: 1,
    status,
    image: `vector-deployment/${id}:latest`,
    containerId,
    port: 3000,
    url: 'http://127.0.0.1:3000/',
    error: status === 'failed' ? { code: 'BUILD_FAILED', message: 'no' } : null,
    createdAt: '2026-01-01T00:00:00.000Z',
  });
  const container = (id: string, state = 'running') => ({ Id: `c-${id}`, Names: [`/vector-${id}`], State: state, Labels: { 'dev.vector.docker.deployment': id } });
  const image = (id: string) => ({ Id: `sha256:${id}`, Labels: { 'dev.vector.docker.deployment': id } });

  it('adopts running containers, fails lost or interrupted deployments, removes what no deployment owns', () => {
    const plan = planReconcile({
      manifests: [manifest('alive', 'live'), manifest('stopped', 'live'), manifest('lost', 'live'), manifest('half', 'building', null), manifest('broken', 'failed')],
      containers: [container('alive'), container('stopped', 'exited'), container('half', 'created'), container('orphan')],
      images: [image('alive'), image('stopped'), image('half'), image('orphan'), image('broken')],
    });
    expect(plan.adopt.map((entry) => entry.manifest.id)).toEqual(['alive']);
    expect(plan.fail.map((entry) => [entry.manifest.id, entry.error.code])).toEqual([
      ['stopped', 'CONTAINER_GONE'],
      ['lost', 'CONTAINER_GONE'],
      ['half', 'INTERRUPTED'],
    ]);
    expect(plan.fail[0]?.error.message).toContain('vector-stopped stopped (exited)');
    expect(plan.fail[1]?.error.message).toContain('vector-lost is gone');
    expect(plan.keep.map((entry) => entry.id)).toEqual(['broken']);
    expect(plan.removeContainers.sort()).toEqual(['c-half', 'c-orphan', 'c-stopped']);
    expect(plan.removeImages.sort()).toEqual(['sha256:broken', 'sha256:half', 'sha256:orphan', 'sha256:stopped']);
  });
});

describe('the static file server', () => {
  it('serves files, answers index.html for client routes, 404s missing assets, and never leaves its directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vector-serve-'));
    await mkdir(join(dir, 'site', 'assets'), { recursive: true });
    await writeFile(join(dir, 'site', 'index.html'), '<h1>index</h1>');
    await writeFile(join(dir, 'site', 'assets', 'app.js'), 'console.log(1)');
    await writeFile(join(dir, 'site', '.env'), 'SECRET=1');
    await writeFile(join(dir, 'secret.txt'), 'outside');
    await writeFile(join(dir, 'serve.mjs'), staticServerScript);
    const port = await freePort('127.0.0.1');
    const child = spawn(process.execPath, [join(dir, 'serve.mjs'), join(dir, 'site'), 'spa'], { env: { PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      const get = async (path: string) => {
        const response = await fetch(`http://127.0.0.1:${port}${path}`);
        return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
      };
      expect(await get('/')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', body: '<h1>index</h1>' });
      expect(await get('/assets/app.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
      expect(await get('/some/client/route')).toMatchObject({ status: 200, body: '<h1>index</h1>' });
      expect((await get('/assets/missing.js')).status).toBe(404);
      // Dotfiles and paths outside the directory are never served (an SPA answers its index instead).
      for (const path of ['/.env', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2f..%2fsecret.txt']) {
        const answer = await get(path);
        expect(answer.body, path).not.toMatch(/SECRET|outside/);
      }
      expect((await get('/.env.js')).status).toBe(404);
    } finally {
      child.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
