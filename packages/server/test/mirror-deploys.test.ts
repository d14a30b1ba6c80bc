import { createVector, type Deployment, type Vector, type VectorScope } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { createRailwayProvider } from '@vector/provider-railway';
import { createRenderProvider } from '@vector/provider-render';
import { createGitHubSourceMirror } from '@vector/storage-github';
import { createInternalStorage } from '@vector/storage-internal';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeRailway, type FakeRailway } from '../../provider-railway/test/fake-railway-api.js';
import { startFakeRenderApi, type FakeRenderApi } from '../../provider-render/test/fake-render-api.js';
import { FakeGitHub, type FakeRepository } from '../../storage-github/test/fake-github/fake-github-server.js';
import { loadConfig } from '../src/index.js';
import { createRuntime } from '../src/runtime/create-runtime.js';
import { startInOrganization } from '../../../test-support/engine-in-organization.js';

/*
 * The engine's promise for code that is not on git: a version of internal storage (code in the
 * database) deploys to Railway and Render, which build GitHub commits only, through the GitHub
 * source mirror. Real adapters over real HTTP against the local fakes; the Railway and Render
 * fakes read repositories and commits from the fake GitHub, so they build exactly what the
 * mirror committed, judge the build plan's commands against those files, and refuse a commit
 * GitHub does not have.
 */

const github = new FakeGitHub();
let railway: FakeRailway;
let render: FakeRenderApi;

/** What Railway's and Render's GitHub apps see: the fake GitHub's repositories and commits. */
const gitHost = {
  hasRepository: (repo: string) => repositoryOf(repo) !== undefined,
  commitFiles(repo: string, sha: string) {
    const repository = repositoryOf(repo);
    const commit = repository?.objects.commit(sha);
    if (!repository || !commit) return null;
    return [...repository.objects.flatten(commit.tree)].map(([path, entry]) => ({ path, content: repository.objects.blob(entry.sha) ?? new Uint8Array() }));
  },
};
function repositoryOf(repo: string): FakeRepository | undefined {
  const [owner, name] = repo.split('/');
  return owner && name ? github.repository(owner, name) : undefined;
}

/**
 * GitHub's own API root, so the mirror reports `https://github.com/…` repositories (the only
 * ones Railway and Render build from); the requests travel over HTTP to the fake.
 */
const toFakeGitHub: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : input);
  if (url.origin !== 'https://api.github.com') throw new Error(`unexpected request to ${url.origin}`);
  return fetch(new URL(`${url.pathname}${url.search}`, github.url), init);
};

beforeAll(async () => {
  await github.start();
  railway = await startFakeRailway({ gitHost });
  render = await startFakeRenderApi({ gitHost });
});
afterAll(async () => {
  await Promise.all([github.close(), railway.close(), render.close()]);
});

/** A small Vite single-page app: its plan builds with `vite build` and serves `dist/`, which the fakes check. */
const viteApp = (marker: string) => [
  { path: 'package.json', content: `${JSON.stringify({ name: 'shop', private: true, type: 'module', scripts: { dev: 'vite', build: 'vite build' }, devDependencies: { vite: '^7.0.0' } }, null, 2)}\n` },
  { path: 'index.html', content: '<!doctype html>\n<div id="app"></div>\n<script type="module" src="/src/main.js"></script>\n' },
  { path: 'src/main.js', content: `document.getElementById('app').textContent = ${JSON.stringify(marker)};\n` },
];

type ProviderName = 'railway' | 'render';
const providers: ProviderName[] = ['railway', 'render'];
const writes = () => github.requests.filter((request) => request.method !== 'GET');

describeEachDatabase('internal storage deployed to Railway and Render through the GitHub source mirror', (database) => {
  let vector: Vector;
  let scope: VectorScope;
  let stop: () => Promise<void>;

  beforeEach(async () => {
    const connection = await database.create();
    vector = createVector({
      database: connection,
      storage: [createInternalStorage({ database: connection })],
      sourceMirror: createGitHubSourceMirror({
        auth: { token: 'test-token' },
        owner: 'acme',
        env: {},
        fetch: toFakeGitHub,
        throttle: { retryAfterBaseMs: 1, minWriteIntervalMs: 0 },
        retry: { retries: 2, retryAfterBaseMs: 1 },
      }),
      providers: [
        createRailwayProvider({ token: railway.token, baseUrl: railway.url, workspaceId: railway.workspaceId, retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 20 } }),
        createRenderProvider({ apiKey: render.apiKey, baseUrl: render.baseUrl, retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 20 } }),
      ],
      deploymentPollIntervalMs: 5,
      deploymentMaxPollIntervalMs: 20,
    });
    ({ scope, stop } = await startInOrganization(vector, connection));
  });
  afterEach(() => stop());

  async function projectWithVersions() {
    const project = await scope.projects.create({ name: 'Shop' });
    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: viteApp('v1'), message: 'v1' });
    const v2 = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'src/main.js', content: "document.getElementById('app').textContent = 'v2';\n" }], message: 'v2' });
    return { project, v1, v2 };
  }

  async function deploy(input: { projectId: string; versionId: string; provider: ProviderName; environment: 'preview' | 'production' }): Promise<Deployment> {
    const created = await scope.deployments.create(input);
    return scope.deployments.waitForDeployment(created.id, { timeoutMs: 20_000 });
  }

  async function publish(projectId: string, versionId: string, provider: ProviderName): Promise<Deployment> {
    const { deployment } = await scope.versions.publish({ projectId, versionId, deploy: { provider } });
    if (!deployment) throw new Error('publish made no deployment');
    return scope.deployments.waitForDeployment(deployment.id, { timeoutMs: 20_000 });
  }

  /**
   * A replaced production deployment, once retired. The engine retires it right after the new
   * one turns live, in whichever refresh saw that (the monitor's may still be at it when
   * `waitForDeployment` returns), so this waits a little for it.
   */
  async function retired(deploymentId: string): Promise<Deployment> {
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const deployment = await scope.deployments.get(deploymentId);
      if (deployment.status === 'destroyed') return deployment;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return scope.deployments.get(deploymentId);
  }

  /** The commit the engine stored for a version (one row per version and mirror). */
  async function mirrored(versionId: string) {
    const rows = await vector.db.selectFrom('vector_source_mirrors').selectAll().where('version_id', '=', versionId).execute();
    expect(rows).toHaveLength(1);
    return rows[0] as { owner: string; repository: string; branch: string; commit_sha: string; repository_url: string };
  }

  /** The commit the platform was asked to build for a deployment. */
  function builtCommit(deployment: Deployment): string | undefined {
    const id = String(deployment.providerDeploymentId);
    if (deployment.provider === 'railway') {
      const ref = JSON.parse(Buffer.from(id.replace(/^rw1\./, ''), 'base64url').toString('utf8')) as { deploymentId: string };
      return railway.deployments.get(ref.deploymentId)?.commitSha;
    }
    const [, , serviceId, deployId] = id.split(':');
    return render.services.get(serviceId as string)?.deploys.find((entry) => entry.deploy.id === deployId)?.deploy.commit?.id;
  }

  /** The platform's deployment records for one of our deployments' services (a push would add one). */
  function platformDeploymentsOf(deployment: Deployment): number {
    const id = String(deployment.providerDeploymentId);
    if (deployment.provider === 'railway') {
      const ref = JSON.parse(Buffer.from(id.replace(/^rw1\./, ''), 'base64url').toString('utf8')) as { serviceId: string };
      return [...railway.deployments.values()].filter((entry) => entry.serviceId === ref.serviceId).length;
    }
    return render.services.get(id.split(':')[2] as string)?.deploys.length ?? 0;
  }

  function filesOf(owner: string, repository: string, sha: string): Record<string, string> {
    return Object.fromEntries((gitHost.commitFiles(`${owner}/${repository}`, sha) ?? []).map((file) => [file.path, Buffer.from(file.content).toString('utf8')]));
  }

  // One project per platform: a project has one production, whichever provider serves it.
  it.each(providers)('a preview and production on %s go live from the mirrored commit of an internal-storage version', async (provider) => {
    const { project, v1 } = await projectWithVersions();
    expect(project.storageBackend).toBe('internal');
    github.requests.length = 0;
    const preview = await deploy({ projectId: project.id, versionId: v1.id, provider, environment: 'preview' });
    const production = await deploy({ projectId: project.id, versionId: v1.id, provider, environment: 'production' });
    expect([preview.status, production.status]).toEqual(['live', 'live']);
    expect([preview.url, production.url]).toEqual(
      provider === 'railway'
        ? [expect.stringMatching(/^https:\/\/vector-preview-.+\.up\.railway\.app$/), expect.stringMatching(/^https:\/\/vector-production-.+\.up\.railway\.app$/)]
        : [expect.stringMatching(/^https:\/\/vector-shop-pr-.+\.onrender\.com$/), expect.stringMatching(/^https:\/\/vector-shop-(?!pr-).+\.onrender\.com$/)],
    );

    // One private repository per project, the version on main and tagged; both deployments built that commit.
    const source = await mirrored(v1.id);
    expect(source).toMatchObject({ owner: 'acme', branch: 'main', repository_url: `https://github.com/acme/${source.repository}` });
    const repository = github.repository('acme', source.repository) as FakeRepository;
    expect(repository.private).toBe(true);
    expect(repository.refs.get(`refs/tags/vector/versions/${v1.id}`)).toBe(source.commit_sha);
    expect(repository.refs.get('refs/heads/main')).toBe(source.commit_sha);
    expect([builtCommit(preview), builtCommit(production)]).toEqual([source.commit_sha, source.commit_sha]);
    expect(filesOf('acme', source.repository, source.commit_sha)).toEqual(Object.fromEntries(viteApp('v1').map((file) => [file.path, file.content])));
    // Published once for both deployments: one tree, one commit.
    expect(writes().filter((request) => request.path.endsWith('/git/commits'))).toHaveLength(1);
    expect(writes().filter((request) => request.path.endsWith('/git/trees'))).toHaveLength(1);

    // The platform runs the plan of these files (and the fake found it runnable against the commit).
    if (provider === 'railway') {
      const service = [...railway.services.values()].find((candidate) => candidate.repo === `acme/${source.repository}` && candidate.name.startsWith('vector-production-'));
      expect(service).toMatchObject({ buildCommand: 'pnpm install && pnpm run build', startCommand: expect.stringContaining('serve@14 -s dist') });
    } else {
      const state = [...render.services.values()].find((candidate) => candidate.service.repo === source.repository_url && !candidate.service.name.includes('-pr-'));
      expect(state?.service).toMatchObject({ type: 'static_site', branch: 'main', autoDeploy: 'no', serviceDetails: expect.objectContaining({ publishPath: 'dist' }) });
    }
  });

  it('deploys a version again from the stored commit: no GitHub request, the same SHA on every platform', async () => {
    const { project, v1 } = await projectWithVersions();
    const first = await deploy({ projectId: project.id, versionId: v1.id, provider: 'railway', environment: 'preview' });
    const sha = (await mirrored(v1.id)).commit_sha;
    expect(builtCommit(first)).toBe(sha);
    await scope.deployments.destroy(first.id);

    github.requests.length = 0;
    const again = await deploy({ projectId: project.id, versionId: v1.id, provider: 'railway', environment: 'preview' });
    expect(again.id).not.toBe(first.id);
    expect(again.url).not.toBe(first.url);
    const production = await deploy({ projectId: project.id, versionId: v1.id, provider: 'render', environment: 'production' });
    expect([again.status, production.status]).toEqual(['live', 'live']);
    expect([builtCommit(again), builtCommit(production)]).toEqual([sha, sha]);
    expect(github.requests).toEqual([]);
  });

  it.each(providers)('a push to the mirrored branch redeploys nothing of ours on %s', async (provider) => {
    const { project, v1 } = await projectWithVersions();
    const ours = [await deploy({ projectId: project.id, versionId: v1.id, provider, environment: 'preview' }), await deploy({ projectId: project.id, versionId: v1.id, provider, environment: 'production' })];
    const source = await mirrored(v1.id);
    const before = ours.map(platformDeploymentsOf);

    // Someone pushes a commit to the mirror's branch on GitHub, and the platform hears of it.
    const repository = github.repository('acme', source.repository) as FakeRepository;
    const pushed = github.commitFiles(repository, source.branch, { 'src/main.js': "document.body.textContent = 'pushed';\n" }, 'pushed by hand');
    const started = provider === 'railway' ? railway.push({ repo: `${source.owner}/${source.repository}`, branch: source.branch, sha: pushed }) : render.push({ repo: source.repository_url, branch: source.branch, sha: pushed });
    expect(started).toEqual([]);

    expect(ours.map(platformDeploymentsOf)).toEqual(before);
    for (const deployment of ours) {
      const refreshed = await scope.deployments.refresh(deployment.id);
      expect(refreshed).toMatchObject({ status: 'live', url: deployment.url, providerDeploymentId: deployment.providerDeploymentId });
      expect(builtCommit(refreshed)).toBe(source.commit_sha);
    }
  });

  it.each(providers)('publish and rollback on %s keep the production URL', async (provider) => {
    const { project, v1, v2 } = await projectWithVersions();
    const first = await publish(project.id, v1.id, provider);
    expect(first.status).toBe('live');
    const url = first.url;
    expect(url).toMatch(/^https:\/\//);
    const s1 = await mirrored(v1.id);

    // Publish v2: its commit builds on v1's, and the same URL serves it.
    const second = await publish(project.id, v2.id, provider);
    const mirroredV2 = await mirrored(v2.id);
    const repository = github.repository('acme', s1.repository) as FakeRepository;
    expect(repository.objects.commit(mirroredV2.commit_sha)?.parents).toEqual([s1.commit_sha]);
    expect(second).toMatchObject({ status: 'live', url });
    expect(builtCommit(second)).toBe(mirroredV2.commit_sha);
    expect((await retired(first.id)).status).toBe('destroyed');

    // Roll back by publishing v1 again: its stored commit, nothing written to GitHub.
    github.requests.length = 0;
    const back = await publish(project.id, v1.id, provider);
    expect(back).toMatchObject({ status: 'live', url, versionId: v1.id });
    expect(builtCommit(back)).toBe(s1.commit_sha);
    expect(github.requests).toEqual([]);

    // Roll back as a new version (versions.rollback): a new commit with v1's tree, on the same URL.
    const v3 = await scope.versions.rollback({ projectId: project.id, targetVersionId: v1.id });
    const restored = await publish(project.id, v3.id, provider);
    const mirroredV3 = await mirrored(v3.id);
    expect(restored).toMatchObject({ status: 'live', url });
    expect(builtCommit(restored)).toBe(mirroredV3.commit_sha);
    expect(repository.objects.commit(mirroredV3.commit_sha)?.tree).toBe(repository.objects.commit(s1.commit_sha)?.tree);
    expect(repository.objects.commit(mirroredV3.commit_sha)?.parents).toEqual([mirroredV2.commit_sha]);

    for (const replaced of [second, back]) expect((await retired(replaced.id)).status).toBe('destroyed');
    const live = await scope.deployments.list({ projectId: project.id, environment: 'production', status: 'live' });
    expect(live.items.map((item) => item.id)).toEqual([restored.id]);
    expect((await scope.projects.get(project.id)).publishedVersionId).toBe(v3.id);
  });

  it('the platforms build only what GitHub has: a stored commit whose repository is gone fails the deployment', async () => {
    const { project, v1 } = await projectWithVersions();
    await deploy({ projectId: project.id, versionId: v1.id, provider: 'railway', environment: 'preview' });
    const source = await mirrored(v1.id);
    const repository = github.repository('acme', source.repository) as FakeRepository;
    github.repositories.delete(`acme/${source.repository}`.toLowerCase());
    try {
      // The engine trusts the stored commit and does not publish again; Railway cannot find it, and Render cannot check it out.
      const onRailway = await deploy({ projectId: project.id, versionId: v1.id, provider: 'railway', environment: 'production' });
      expect(onRailway.status).toBe('failed');
      expect(onRailway.error?.message).toMatch(/not found/i);
      const onRender = await deploy({ projectId: project.id, versionId: v1.id, provider: 'render', environment: 'production' });
      expect(onRender).toMatchObject({ status: 'failed', error: { code: 'RENDER_BUILD_FAILED' } });
      // Logs follow the status; one more refresh reads the last lines, as a client reading them later would.
      await scope.deployments.refresh(onRender.id);
      expect((await scope.deployments.listLogs(onRender.id)).map((log) => log.message)).toContain(`fatal: reference is not a tree: ${source.commit_sha}`);
    } finally {
      github.repositories.set(`acme/${source.repository}`.toLowerCase(), repository);
    }
  });
});

describe('the reference server wires a GitHub source mirror from its environment', () => {
  const log = () => {
    const all: string[] = [];
    // Only the mirror's warnings (the demo agent's is not about this).
    return { warnings: () => all.filter((message) => /mirror/i.test(message)), info: () => undefined, warn: (message: string) => void all.push(message) };
  };
  const base = { VECTOR_SQLITE_PATH: ':memory:', VECTOR_LOCAL_BUILDS: 'false' };

  it('registers the mirror when VECTOR_SOURCE_MIRROR=github', async () => {
    const output = log();
    const runtime = await createRuntime(loadConfig({ ...base, RAILWAY_API_TOKEN: 'rw', VECTOR_SOURCE_MIRROR: 'github', GITHUB_TOKEN: 'ghp_test', GITHUB_MIRROR_OWNER: 'acme-mirrors' }), output);
    try {
      expect(runtime.vector.plugins.sourceMirror?.name).toBe('github');
      expect(output.warnings()).toEqual([]);
    } finally {
      await runtime.close();
    }
  });

  it('warns when Railway or Render would receive internal-storage versions without a mirror', async () => {
    const output = log();
    const runtime = await createRuntime(loadConfig({ ...base, RENDER_API_KEY: 'rnd', GITHUB_TOKEN: 'ghp_test', GITHUB_OWNER: 'acme' }), output);
    try {
      expect(runtime.vector.plugins.sourceMirror).toBeNull();
      expect(output.warnings()).toEqual([expect.stringMatching(/^Deployment providers render build git commits only: .*UNSUPPORTED.*VECTOR_SOURCE_MIRROR=github/)]);
    } finally {
      await runtime.close();
    }
  });

  it('warns when a configured mirror can never be used', async () => {
    const output = log();
    const runtime = await createRuntime(loadConfig({ ...base, VECTOR_SOURCE_MIRROR: 'github', GITHUB_TOKEN: 'ghp_test', GITHUB_OWNER: 'acme' }), output);
    try {
      expect(runtime.vector.plugins.sourceMirror?.name).toBe('github');
      expect(output.warnings()).toEqual([expect.stringMatching(/^The GitHub source mirror .* is never used: .*RAILWAY_API_TOKEN or RENDER_API_KEY/)]);
    } finally {
      await runtime.close();
    }
  });
});
