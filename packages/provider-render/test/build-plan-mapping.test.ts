import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeRenderApi, type FakeRenderApi } from './fake-render-api.js';
import { commitDeploy, fakeRenderProvider, settle } from './render-fixture.js';
import { json, nodeServer, staticSite, viteApp, type Files } from '../../../test-support/build-plan-apps.js';

const encode = (text: string) => new TextEncoder().encode(text);

let fake: FakeRenderApi;
let counter = 0;
const sha = () => (counter += 1).toString(16).padStart(40, 'd');

beforeAll(async () => {
  fake = await startFakeRenderApi();
});
afterAll(async () => {
  await fake.close();
});

/** A deploy of `files` as commit `commit`, which the fake also knows the files of. */
function deployInput(files: Files, options: { environment?: 'preview' | 'production'; projectId?: string; commit?: string } = {}) {
  const commit = options.commit ?? sha();
  const entries = Object.entries(files).map(([path, content]) => ({ path, content: encode(content) }));
  fake.addCommit({ repo: 'https://github.com/acme/site', sha: commit, files: entries });
  counter += 1;
  return commitDeploy('plan', counter, { commit, repository: 'site', project: { id: options.projectId ?? `prj_plan_${counter}`, name: 'Site' }, files: entries, environment: options.environment ?? 'preview', number: 1 });
}

const serviceOf = (providerDeploymentId: string) => fake.services.get(providerDeploymentId.split(':')[2] as string);

describe('the build plan decides the Render service', () => {
  it('serves a plain static site as a static_site from the project root, without a rewrite', async () => {
    const provider = fakeRenderProvider(fake);
    const state = await provider.deploy(deployInput(staticSite));
    const service = serviceOf(state.providerDeploymentId);
    expect(service?.service).toMatchObject({ type: 'static_site', serviceDetails: { publishPath: './', buildCommand: "echo 'no build step'" } });
    expect(service?.routes).toEqual([]);
    const live = await settle(provider, state.providerDeploymentId);
    expect(live).toMatchObject({ status: 'live', url: `https://${String(service?.service.slug)}.onrender.com` });
  });

  it('builds a single-page app as a static_site with install && build, its output directory and the /* → /index.html rewrite', async () => {
    const provider = fakeRenderProvider(fake);
    const state = await provider.deploy(deployInput(viteApp));
    const service = serviceOf(state.providerDeploymentId);
    expect(service?.service).toMatchObject({ type: 'static_site', autoDeploy: 'no', serviceDetails: { buildCommand: 'npm ci && npm run build', publishPath: 'dist' } });
    expect(service?.routes.map(({ type, source, destination }) => ({ type, source, destination }))).toEqual([{ type: 'rewrite', source: '/*', destination: '/index.html' }]);
    expect((await settle(provider, state.providerDeploymentId)).status).toBe('live');
  });

  it('runs a server as a web_service with the plan’s build and start commands', async () => {
    const provider = fakeRenderProvider(fake);
    const state = await provider.deploy(deployInput(nodeServer));
    expect(serviceOf(state.providerDeploymentId)?.service).toMatchObject({ type: 'web_service', serviceDetails: { runtime: 'node', envSpecificDetails: { buildCommand: 'npm ci && npm run build', startCommand: 'npm run start' } } });
    expect((await settle(provider, state.providerDeploymentId)).status).toBe('live');
  });

  it('sets the plan’s port variable to Render’s port', async () => {
    const provider = fakeRenderProvider(fake);
    const state = await provider.deploy(deployInput({ ...nodeServer, 'vector.json': json({ portVariable: 'HTTP_PORT' }) }));
    const service = serviceOf(state.providerDeploymentId);
    expect([service?.envVars.get('HTTP_PORT'), service?.envVars.get('PORT')]).toEqual(['10000', '10000']);
  });

  it('updates a production service’s commands when a new version plans them differently', async () => {
    const provider = fakeRenderProvider(fake);
    const projectId = `prj_plan_update_${Date.now()}`;
    const first = await provider.deploy(deployInput(nodeServer, { environment: 'production', projectId }));
    await settle(provider, first.providerDeploymentId);
    const yarnServer = { ...nodeServer, 'yarn.lock': '# yarn\n' };
    delete (yarnServer as Files)['package-lock.json'];
    const second = await provider.deploy(deployInput(yarnServer, { environment: 'production', projectId }));
    const service = serviceOf(second.providerDeploymentId);
    expect(service?.service.id).toBe(serviceOf(first.providerDeploymentId)?.service.id);
    expect(service?.service.serviceDetails).toMatchObject({ envSpecificDetails: { buildCommand: 'yarn install --frozen-lockfile && yarn run build', startCommand: 'yarn run start' } });
    expect((await settle(provider, second.providerDeploymentId)).status).toBe('live');
    expect(fake.count('PATCH', /^\/v1\/services\/srv-/)).toBeGreaterThan(0);
  });

  it('moves production to a new service when the kind changes; retiring the old deployment deletes the old service', async () => {
    const provider = fakeRenderProvider(fake);
    const projectId = `prj_plan_kind_${Date.now()}`;
    const site = await provider.deploy(deployInput(staticSite, { environment: 'production', projectId }));
    const siteLive = await settle(provider, site.providerDeploymentId);
    const server = await provider.deploy(deployInput(nodeServer, { environment: 'production', projectId }));
    const serverLive = await settle(provider, server.providerDeploymentId);
    expect(serviceOf(site.providerDeploymentId)?.service.type).toBe('static_site');
    expect(serviceOf(server.providerDeploymentId)?.service.type).toBe('web_service');
    expect(serverLive.url).not.toBe(siteLive.url);
    const staticServiceId = site.providerDeploymentId.split(':')[2] as string;
    // What core's retireSupersededProduction does once the new deployment is live.
    await provider.destroy({ providerDeploymentId: site.providerDeploymentId });
    expect(fake.services.has(staticServiceId)).toBe(false);
    expect((await provider.getStatus({ providerDeploymentId: server.providerDeploymentId })).status).toBe('live');
  });
});

describe('the fake fails a deploy whose commands cannot work for the commit, as Render would', () => {
  it('a start command whose script package.json lacks ends update_failed with npm’s error in the logs', async () => {
    const provider = fakeRenderProvider(fake, { startCommand: 'npm start' });
    // A server by its `main` file, without a start script.
    const noStart = { 'package.json': json({ name: 'api', main: 'server.js' }), 'server.js': 'require("http").createServer().listen(process.env.PORT);\n' };
    const state = await provider.deploy(deployInput(noStart));
    const final = await settle(provider, state.providerDeploymentId);
    expect(final).toMatchObject({ status: 'failed', providerStatus: 'update_failed', error: { code: 'RENDER_UPDATE_FAILED' } });
    const logs = await provider.getLogs({ providerDeploymentId: state.providerDeploymentId, cursor: null });
    expect(logs.entries).toContainEqual(expect.objectContaining({ level: 'error', message: 'npm error Missing script: "start"' }));
  });

  it('a build command whose script is missing ends build_failed', async () => {
    const provider = fakeRenderProvider(fake, { buildCommand: 'npm install && npm run compile' });
    const state = await provider.deploy(deployInput(nodeServer));
    const final = await settle(provider, state.providerDeploymentId);
    expect(final).toMatchObject({ status: 'failed', providerStatus: 'build_failed' });
    const logs = await provider.getLogs({ providerDeploymentId: state.providerDeploymentId, cursor: null });
    expect(logs.entries.map((entry) => entry.message)).toContain('npm error Missing script: "compile"');
  });

  it('a publish directory that the build does not make ends build_failed', async () => {
    const provider = fakeRenderProvider(fake);
    // vector.json says `out`, but `vite build` writes dist/.
    const state = await provider.deploy(deployInput({ ...viteApp, 'vector.json': json({ outputDirectory: 'out' }) }));
    expect(serviceOf(state.providerDeploymentId)?.service.serviceDetails).toMatchObject({ publishPath: 'out' });
    const final = await settle(provider, state.providerDeploymentId);
    expect(final).toMatchObject({ status: 'failed', providerStatus: 'build_failed' });
    const logs = await provider.getLogs({ providerDeploymentId: state.providerDeploymentId, cursor: null });
    expect(logs.entries.map((entry) => entry.message)).toContain('==> Publish directory out does not exist!');
  });

  it('a frozen install without its lockfile ends build_failed', async () => {
    const provider = fakeRenderProvider(fake, { buildCommand: 'npm ci' });
    const { 'package-lock.json': _lock, ...unlocked } = nodeServer;
    const state = await provider.deploy(deployInput(unlocked));
    expect((await settle(provider, state.providerDeploymentId)).providerStatus).toBe('build_failed');
  });
});
