import { type DeploymentSource, type ProviderDeploymentState, UnsupportedError } from '@vector/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRailwayProvider, type RailwayProvider } from '../src/index.js';
import { createTarball } from '../src/upload-tarball.js';
import { startFakeRailway, type FakeRailway } from './fake-railway-api.js';
import { fakeRailwayProvider, settle } from './railway-fixture.js';

const encode = (text: string) => new TextEncoder().encode(text);
const appFiles = [
  { path: 'package.json', content: encode('{"name":"app","scripts":{"start":"node server.js"}}\n') },
  { path: 'server.js', content: encode('require("http").createServer((_, res) => res.end("ok")).listen(process.env.PORT);\n') },
  { path: 'public/logo.bin', content: new Uint8Array([0, 255, 1, 254]) },
  { path: 'node_modules/left-pad/index.js', content: encode('module.exports = 1;\n') },
  { path: '.git/HEAD', content: encode('ref: refs/heads/main\n') },
];

let fake: FakeRailway;
let counter = 0;

function makeProvider(overrides: Parameters<typeof createRailwayProvider>[0] = {}) {
  return fakeRailwayProvider(fake, { upload: 'tarball', ...overrides });
}

function deployInput(source: DeploymentSource, environment: 'preview' | 'production' = 'preview'): Parameters<RailwayProvider['deploy']>[0] {
  counter += 1;
  return { deploymentId: `dep-up-${counter}`, idempotencyKey: `up-${counter}`, project: { id: 'proj-up', organizationId: 'org-1', name: 'Upload' }, version: { id: `ver-up-${counter}`, number: counter, storageRef: `ref-${counter}` }, environment, source, env: { MODE: 'upload' }, secrets: {} };
}

const filesOnly = (files: typeof appFiles): DeploymentSource => ({ git: null, getFiles: async () => files });

const deploymentIdOf = (state: ProviderDeploymentState) => (JSON.parse(Buffer.from(state.providerDeploymentId.slice(4), 'base64url').toString('utf8')) as { deploymentId: string }).deploymentId;

beforeAll(async () => {
  fake = await startFakeRailway();
  fake.addRepo('acme/app', 'any');
});
afterAll(async () => {
  await fake.close();
});

describe("upload: 'tarball' (the files, the way `railway up` sends them)", () => {
  it('declares both sources only when on', () => {
    expect(makeProvider().capabilities.sources).toEqual(['git', 'files']);
    expect(makeProvider({ upload: 'off' }).capabilities.sources).toEqual(['git']);
  });

  it('uploads a version without a git source as a gzipped tarball and follows the deployment to live', async () => {
    const provider = makeProvider();
    const calls = fake.calls.length;
    const state = await provider.deploy(deployInput(filesOnly(appFiles)));
    expect(fake.calls.slice(calls)).toContain('up');
    expect(fake.calls.slice(calls)).not.toContain('serviceInstanceDeployV2');
    const uploaded = fake.uploads.get(deploymentIdOf(state));
    expect([...(uploaded?.keys() ?? [])].sort()).toEqual(['package.json', 'public/logo.bin', 'server.js']);
    expect(uploaded?.get('server.js')).toContain('createServer');
    const live = await settle(provider, state);
    expect(live).toMatchObject({ status: 'live', url: expect.stringMatching(/^https:\/\/vector-preview-.+\.up\.railway\.app$/) });
    expect(fake.services.get([...fake.services.values()].find((service) => live.url?.includes(service.name))?.id ?? '')?.repo).toBeNull();
  });

  it('still builds a GitHub commit from git, and uploads a version whose repository is not on GitHub', async () => {
    const provider = makeProvider();
    const calls = fake.calls.length;
    await provider.deploy(deployInput({ git: { repositoryUrl: 'https://github.com/acme/app', owner: 'acme', repository: 'app', branch: 'main', commitSha: 'a'.repeat(40) }, getFiles: async () => appFiles }));
    expect(fake.calls.slice(calls)).toContain('serviceInstanceDeployV2');
    expect(fake.calls.slice(calls)).not.toContain('up');
    const elsewhere = await provider.deploy(deployInput({ git: { repositoryUrl: 'https://gitlab.com/acme/app', owner: 'acme', repository: 'app', branch: 'main', commitSha: 'b'.repeat(40) }, getFiles: async () => appFiles }));
    expect(fake.uploads.has(deploymentIdOf(elsewhere))).toBe(true);
  });

  it('is refused without the option, with an error naming both ways', async () => {
    const error = await makeProvider({ upload: 'off' }).deploy(deployInput(filesOnly(appFiles))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toContain("upload: 'tarball'");
    expect((error as Error).message).toContain('@vector/storage-github');
  });

  it('judges the uploaded files: a start script package.json lacks crashes the deployment', async () => {
    const provider = makeProvider();
    const files = [{ path: 'package.json', content: encode('{"name":"app","main":"server.js"}\n') }, { path: 'server.js', content: encode('1;\n') }, { path: 'vector.json', content: encode('{"startCommand":"npm start"}\n') }];
    const final = await settle(provider, await provider.deploy(deployInput(filesOnly(files))));
    expect(final).toMatchObject({ status: 'failed', providerStatus: 'CRASHED' });
  });

  it('publishes uploads into the shared production service, keeping its URL', async () => {
    const provider = makeProvider();
    const first = await settle(provider, await provider.deploy(deployInput(filesOnly(appFiles), 'production')));
    const second = await settle(provider, await provider.deploy(deployInput(filesOnly(appFiles), 'production')));
    expect(second).toMatchObject({ status: 'live', url: first.url });
    expect((await provider.getStatus({ providerDeploymentId: first.providerDeploymentId })).status).toBe('destroyed');
  });

  it('reports a failed upload as a retryable ProviderError, sent once; the retried deploy uploads again', async () => {
    let uploads = 0;
    const failingUpload: typeof fetch = async (url, init) => {
      if (String(url).includes('/up?')) {
        uploads += 1;
        if (uploads === 1) return new Response('{"message":"upstream unavailable"}', { status: 503, headers: { 'content-type': 'application/json' } });
      }
      return fetch(url, init);
    };
    const provider = makeProvider({ fetch: failingUpload });
    const input = deployInput(filesOnly(appFiles));
    const error = await provider.deploy(input).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', status: 503, isRetryable: true });
    expect((error as Error).message).toContain('upstream unavailable');
    expect(uploads).toBe(1);
    const state = await provider.deploy(input);
    expect(uploads).toBe(2);
    expect((await settle(provider, state)).status).toBe('live');
    expect((await provider.deploy(input)).providerDeploymentId).toBe(state.providerDeploymentId);
  });
});

describe('createTarball', () => {
  it('names entries ./<path> like the CLI, leaves out .git and node_modules, and keeps bytes', async () => {
    const { Parser } = await import('tar');
    const tarball = await createTarball(appFiles);
    expect([tarball[0], tarball[1]]).toEqual([0x1f, 0x8b]);
    const entries: Array<{ path: string; bytes: Buffer }> = [];
    const parser = new Parser();
    parser.on('entry', (entry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => entries.push({ path: entry.path, bytes: Buffer.concat(chunks) }));
    });
    await new Promise<void>((resolve, reject) => {
      parser.on('end', () => resolve());
      parser.on('error', reject);
      parser.end(tarball);
    });
    expect(entries.map((entry) => entry.path)).toEqual(['./package.json', './server.js', './public/logo.bin']);
    expect([...(entries[2]?.bytes ?? [])]).toEqual([0, 255, 1, 254]);
    expect(Buffer.compare(await createTarball(appFiles), tarball)).toBe(0);
    // A path past the 100 bytes of a plain tar header survives (node-tar writes a PAX header).
    const long = `${'deep/'.repeat(30)}file.txt`;
    const longParser = new Parser();
    const longPaths: string[] = [];
    longParser.on('entry', (entry) => {
      longPaths.push(entry.path);
      entry.resume();
    });
    await new Promise<void>((resolve, reject) => {
      longParser.on('end', () => resolve());
      longParser.on('error', reject);
      void createTarball([{ path: long, content: encode('x') }]).then((bytes) => longParser.end(bytes), reject);
    });
    expect(longPaths).toEqual([`./${long}`]);
  });
});
