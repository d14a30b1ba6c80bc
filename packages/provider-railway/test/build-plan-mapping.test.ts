import type { ProviderDeploymentState } from '@vector/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RailwayProvider } from '../src/index.js';
import { startFakeRailway, type FakeRailway } from './fake-railway-api.js';
import { commitDeploy, fakeRailwayProvider, settle } from './railway-fixture.js';
import { json, nodeServer, staticSite, viteApp, type Files } from '../../../test-support/build-plan-apps.js';

const encode = (text: string) => new TextEncoder().encode(text);

let fake: FakeRailway;
let provider: RailwayProvider;
let counter = 0;

beforeAll(async () => {
  fake = await startFakeRailway();
  provider = fakeRailwayProvider(fake);
});
afterAll(async () => {
  await fake.close();
});

/** A preview of `files` as a new commit, whose files the fake knows too. */
function deployInput(files: Files): Parameters<RailwayProvider['deploy']>[0] {
  counter += 1;
  const commit = counter.toString(16).padStart(40, '9');
  const entries = Object.entries(files).map(([path, content]) => ({ path, content: encode(content) }));
  fake.addCommit({ repo: 'acme/site', sha: commit, files: entries });
  return commitDeploy('plan', counter, { commit, repository: 'site', project: { id: 'proj-plan', name: 'Site' }, files: entries, environment: 'preview' });
}

const serviceOf = (state: ProviderDeploymentState) => fake.services.get((JSON.parse(Buffer.from(state.providerDeploymentId.slice(4), 'base64url').toString('utf8')) as { serviceId: string }).serviceId);
const logsOf = async (state: ProviderDeploymentState) => (await provider.getLogs({ providerDeploymentId: state.providerDeploymentId, cursor: null })).entries;

describe('the build plan sets the service’s commands', () => {
  it('runs a server with the plan’s build (install && build) and start commands', async () => {
    const state = await provider.deploy(deployInput(nodeServer));
    expect(serviceOf(state)).toMatchObject({ buildCommand: 'npm ci && npm run build', startCommand: 'npm run start' });
    expect((await settle(provider, state)).status).toBe('live');
  });

  it('serves a single-page app’s output directory with serve -s after install && build', async () => {
    const state = await provider.deploy(deployInput(viteApp));
    expect(serviceOf(state)).toMatchObject({ buildCommand: 'npm ci && npm run build', startCommand: 'npx --yes serve@14 -s dist -l $PORT' });
    expect((await settle(provider, state)).status).toBe('live');
  });

  it('leaves a static site without package.json to Railpack’s static server, pointed at its directory', async () => {
    const state = await provider.deploy(deployInput(staticSite));
    expect(serviceOf(state)).toMatchObject({ buildCommand: null, startCommand: null, variables: { RAILPACK_STATIC_FILE_ROOT: '.' } });
    expect((await settle(provider, state)).status).toBe('live');
  });

  it('sets the plan’s port variable to the port Railway routes to', async () => {
    const state = await provider.deploy(deployInput({ ...nodeServer, 'vector.json': json({ portVariable: 'HTTP_PORT' }) }));
    expect(serviceOf(state)?.variables).toMatchObject({ PORT: '8080', HTTP_PORT: '8080' });
  });
});

describe('the fake fails a deployment whose commands cannot work for the commit, as Railway would', () => {
  it('a start command naming a script package.json lacks: CRASHED with npm’s error', async () => {
    const state = await provider.deploy(deployInput({ ...nodeServer, 'vector.json': json({ startCommand: 'npm run serve' }) }));
    expect(await settle(provider, state)).toMatchObject({ status: 'failed', providerStatus: 'CRASHED', error: { code: 'RAILWAY_CRASHED' } });
    expect(await logsOf(state)).toContainEqual(expect.objectContaining({ source: 'runtime', level: 'error', message: 'npm error Missing script: "serve"' }));
  });

  it('a build command naming a missing script: FAILED with npm’s error in the build log', async () => {
    const state = await provider.deploy(deployInput({ ...nodeServer, 'vector.json': json({ buildCommand: 'npm run compile' }) }));
    expect(await settle(provider, state)).toMatchObject({ status: 'failed', providerStatus: 'FAILED' });
    expect(await logsOf(state)).toContainEqual(expect.objectContaining({ source: 'build', level: 'error', message: 'npm error Missing script: "compile"' }));
  });

  it('serving a directory the build does not make: CRASHED', async () => {
    // vector.json says `out`, but `vite build` writes dist/.
    const state = await provider.deploy(deployInput({ ...viteApp, 'vector.json': json({ outputDirectory: 'out' }) }));
    expect(serviceOf(state)?.startCommand).toBe('npx --yes serve@14 -s out -l $PORT');
    expect(await settle(provider, state)).toMatchObject({ status: 'failed', providerStatus: 'CRASHED' });
    expect((await logsOf(state)).map((entry) => entry.message)).toContain("Error: ENOENT: no such file or directory, stat '/app/out'");
  });

  it('a static site whose directory has no index.html: FAILED', async () => {
    const state = await provider.deploy(deployInput({ ...staticSite, 'vector.json': json({ kind: 'static', outputDirectory: 'site' }) }));
    expect(await settle(provider, state)).toMatchObject({ status: 'failed', providerStatus: 'FAILED' });
  });
});
