import { expect, it, vi } from 'vitest';
import { UnsupportedError } from '../../errors/unsupported-error.js';
import { ProviderError } from '../../errors/provider-error.js';
import { defineSourceMirror } from '../../plugins/define-plugins.js';
import type { GitSource, StorageBackend } from '../../plugins/storage-backend.js';
import { createMemoryStorage } from '../../reference/index.js';
import type { Deployment } from '../../schemas/deployment.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { createVector } from '../create-vector.js';
import { type Scripted, building, useDeploymentKit } from './deployment-test-kit.js';

// Starting a deployment: the source a provider builds from, the variables it is given, the
// retries of a refused deploy and the errors that end it; on a frozen clock, with scripted providers.

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Resolves the n-th promise when the provider's deploy is called for the n-th time. */
function deployCalls(provider: Scripted, outcomes: Array<Error | null>) {
  const waiters = new Map<number, () => void>();
  const called = (n: number) =>
    new Promise<void>((resolve) => {
      if (provider.calls.deploy.length >= n) resolve();
      else waiters.set(n, resolve);
    });
  provider.control.deploy = async (_input, n) => {
    waiters.get(n)?.();
    const outcome = outcomes[n - 1];
    if (outcome) throw outcome;
    return building(`${provider.provider.name}-${n}`);
  };
  return called;
}

const storedCommit = { repositoryUrl: 'https://github.com/acme/site', owner: 'acme', repository: 'site', branch: 'main', commitSha: 'b'.repeat(40) };

/** Memory storage that says where each version is in git (or refuses to, with `refusal`). */
function gitStorage(refusal?: Error) {
  const base = createMemoryStorage();
  const described: Array<{ projectId: string; ref: string }> = [];
  const storage: StorageBackend = {
    ...base,
    capabilities: { ...base.capabilities, gitSource: true },
    describeGitSource: async ({ project, ref }) => {
      described.push({ projectId: project.id, ref });
      if (refusal) throw refusal;
      return storedCommit;
    },
  };
  return { storage, described };
}

function testMirror(answer: unknown = { repositoryUrl: 'https://github.com/mirrors/apps', owner: 'mirrors', repository: 'apps', branch: 'main', commitSha: 'c'.repeat(40) }) {
  const published: string[] = [];
  const mirror = defineSourceMirror({
    specificationVersion: 'v1',
    name: 'test-mirror',
    publish: async (input): Promise<GitSource> => {
      published.push(input.version.id);
      return answer as GitSource;
    },
  });
  return { mirror, published };
}

describeEachDatabase('starting a deployment', (database) => {
  const kit = useDeploymentKit(database, { extra: { gitonly: { sources: ['git'] } } });

  it('retries a retryable refusal twice, waiting the base interval doubled per attempt', async () => {
    const { scope, alpha, project, v1 } = kit();
    const called = deployCalls(alpha, [new ProviderError({ provider: 'alpha', message: 'busy', status: 503 }), new ProviderError({ provider: 'alpha', message: 'busy', status: 503 })]);
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const creating = scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
      await called(1);
      await vi.advanceTimersByTimeAsync(99);
      await flush();
      expect(alpha.calls.deploy).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      await called(2);
      await vi.advanceTimersByTimeAsync(199);
      await flush();
      expect(alpha.calls.deploy).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(1);
      await called(3);
      expect((await creating).status).toBe('building');
      expect(alpha.calls.deploy.map((input) => input.deploymentId)).toEqual(Array(3).fill(alpha.calls.deploy[0]?.deploymentId));
    } finally {
      vi.useRealTimers();
    }
  });

  it('waits as long as the provider asks before retrying, at most ten seconds', async () => {
    const { scope, alpha, project, v1 } = kit();
    const called = deployCalls(alpha, [
      new ProviderError({ provider: 'alpha', message: 'slow down', status: 429, retryAfterMs: 60_000 }),
      new ProviderError({ provider: 'alpha', message: 'slow down', status: 429, retryAfterMs: 50 }),
    ]);
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const creating = scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
      await called(1);
      await vi.advanceTimersByTimeAsync(9_999);
      await flush();
      expect(alpha.calls.deploy).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      await called(2);
      await vi.advanceTimersByTimeAsync(49);
      await flush();
      expect(alpha.calls.deploy).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(1);
      await called(3);
      expect((await creating).status).toBe('building');
    } finally {
      vi.useRealTimers();
    }
  });

  it('fails the deployment with the last error after three refusals, and at once when the refusal is not retryable', async () => {
    const { scope, alpha, project, v1, v2, updates } = kit();
    const refusal = (n: number) => new ProviderError({ provider: 'alpha', message: `busy ${n}`, status: 503, retryAfterMs: 1 });
    deployCalls(alpha, [refusal(1), refusal(2), refusal(3), refusal(4)]);
    const failed = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect(failed).toMatchObject({ status: 'failed', providerDeploymentId: null, error: { code: 'PROVIDER_ERROR', message: 'busy 3' } });
    expect(alpha.calls.deploy).toHaveLength(3);
    expect(updates).toEqual([failed]);

    alpha.calls.deploy.length = 0;
    alpha.control.deploy = async () => {
      throw new ProviderError({ provider: 'alpha', message: 'invalid configuration', status: 422 });
    };
    const refused = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production' });
    expect(refused).toMatchObject({ status: 'failed', error: { code: 'PROVIDER_ERROR', message: 'invalid configuration' } });
    expect(alpha.calls.deploy).toHaveLength(1);

    alpha.calls.deploy.length = 0;
    alpha.control.deploy = async () => {
      throw new Error('kaboom');
    };
    const crashed = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production' });
    expect(crashed.error).toEqual({ code: 'INTERNAL', message: 'Deployment provider alpha failed: kaboom' });
    expect(alpha.calls.deploy).toHaveLength(1);
  });

  it('gives a provider that takes files the files, and no git source without a git-hosted storage or a mirror', async () => {
    const { scope, alpha, project, v2 } = kit();
    await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview' });
    const source = alpha.calls.deploy[0]?.source;
    expect(source?.git).toBeNull();
    const files = Object.fromEntries(((await source?.getFiles()) ?? []).map((file) => [file.path, new TextDecoder().decode(file.content as Uint8Array)]));
    expect(files['index.html']).toContain('<h1>second</h1>');
  });

  it('names the source mirror when a git-only provider refuses a version without git, trimming the provider’s full stop', async () => {
    const { scope, gitonly, project, v1 } = kit();
    gitonly.control.deploy = async () => {
      throw new UnsupportedError({ message: 'gitonly builds git commits only; store the project in git. \n', details: { provider: 'gitonly' } });
    };
    const failed = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'gitonly' });
    expect(failed.error).toEqual({
      code: 'UNSUPPORTED',
      message:
        'gitonly builds git commits only; store the project in git. Alternatively, configure createVector({ sourceMirror }) (e.g. createGitHubSourceMirror from @vector/storage-github) to publish each version as a git commit the provider can build.',
    });
    expect(gitonly.calls.deploy).toHaveLength(1);
  });

  it('leaves other refusals as they are: from a provider that takes files, or that is not about the source', async () => {
    const { scope, alpha, gitonly, project, v1, v2 } = kit();
    alpha.control.deploy = async () => {
      throw new UnsupportedError({ message: 'alpha cannot run this framework.' });
    };
    expect((await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' })).error).toEqual({ code: 'UNSUPPORTED', message: 'alpha cannot run this framework.' });
    gitonly.control.deploy = async () => {
      throw new ProviderError({ provider: 'gitonly', message: 'no git source.', status: 400 });
    };
    expect((await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview', provider: 'gitonly' })).error).toEqual({ code: 'PROVIDER_ERROR', message: 'no git source.' });
  });
});

describeEachDatabase('starting a deployment from git-hosted storage', (database) => {
  let git = gitStorage();
  const kit = useDeploymentKit(database, { extra: { gitonly: { sources: ['git'] } }, options: () => {
    git = gitStorage();
    return { storage: [git.storage], sourceMirror: testMirror().mirror };
  } });

  it('builds the commit the storage names, without the mirror, even for a provider that takes files', async () => {
    const { scope, alpha, gitonly, project, v1 } = kit();
    const built = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'gitonly' });
    expect(built.status).toBe('building');
    expect(gitonly.calls.deploy[0]?.source.git).toEqual(storedCommit);
    await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production' });
    expect(alpha.calls.deploy[0]?.source.git).toEqual(storedCommit);
    expect(git.described).toEqual([
      { projectId: project.id, ref: v1.storageRef },
      { projectId: project.id, ref: v1.storageRef },
    ]);
  });

  it('asks the storage once per deployment, however often the provider is asked', async () => {
    const { scope, gitonly, project, v1 } = kit();
    const busy = () => new ProviderError({ provider: 'gitonly', message: 'busy', status: 503, retryAfterMs: 1 });
    deployCalls(gitonly, [busy(), busy()]);
    expect((await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'gitonly' })).status).toBe('building');
    expect(gitonly.calls.deploy).toHaveLength(3);
    expect(git.described).toHaveLength(1);
  });

  it('keeps a git-only provider’s refusal as it is when the version has a git source', async () => {
    const { scope, gitonly, project, v1 } = kit();
    gitonly.control.deploy = async () => {
      throw new UnsupportedError({ message: 'gitonly cannot build monorepos' });
    };
    expect((await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'gitonly' })).error).toEqual({ code: 'UNSUPPORTED', message: 'gitonly cannot build monorepos' });
  });
});

describeEachDatabase('starting a deployment when the storage cannot say where the version is', (database) => {
  const kit = useDeploymentKit(database, { extra: { gitonly: { sources: ['git'] } }, options: () => ({ storage: [gitStorage(new UnsupportedError({ message: 'this branch is not in git.' })).storage] }) });

  it('fails with the storage’s refusal, unexplained', async () => {
    const { scope, gitonly, project, v1 } = kit();
    const failed = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'gitonly' });
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'UNSUPPORTED', message: 'this branch is not in git.' } });
    expect(gitonly.calls.deploy).toEqual([]);
  });
});

describeEachDatabase('starting a deployment through a source mirror', (database) => {
  let mirror = testMirror();
  const kit = useDeploymentKit(database, { extra: { gitonly: { sources: ['git'] } }, options: () => {
    mirror = testMirror();
    return { sourceMirror: mirror.mirror };
  } });

  it('does not name the mirror in a git-only provider’s refusal when one is configured', async () => {
    const { scope, gitonly, project, v1 } = kit();
    gitonly.control.deploy = async () => {
      throw new UnsupportedError({ message: 'gitonly cannot build this commit.' });
    };
    const failed = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'gitonly' });
    expect(failed.error).toEqual({ code: 'UNSUPPORTED', message: 'gitonly cannot build this commit.' });
    expect(mirror.published).toEqual([v1.id]);
    expect(gitonly.calls.deploy[0]?.source.git).toEqual({ repositoryUrl: 'https://github.com/mirrors/apps', owner: 'mirrors', repository: 'apps', branch: 'main', commitSha: 'c'.repeat(40) });
  });

  it('gives a provider that takes files no mirrored commit', async () => {
    const { scope, alpha, project, v1 } = kit();
    await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect(alpha.calls.deploy[0]?.source.git).toBeNull();
    expect(mirror.published).toEqual([]);
  });
});

describeEachDatabase('starting a deployment through a mirror that answers nonsense', (database) => {
  const kit = useDeploymentKit(database, { extra: { gitonly: { sources: ['git'] } }, options: () => ({ sourceMirror: testMirror({ repositoryUrl: 'https://github.com/mirrors/apps', owner: 'mirrors', repository: 'apps', branch: 'main', commitSha: 'HEAD' }).mirror }) });

  it('fails the deployment, naming the field the mirror got wrong', async () => {
    const { scope, gitonly, project, v1 } = kit();
    const failed = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'gitonly' });
    expect(failed.error).toEqual({ code: 'INTERNAL', message: 'Source mirror test-mirror returned an invalid git source: commitSha a full commit SHA' });
    expect(gitonly.calls.deploy).toEqual([]);
  });
});

describeEachDatabase('the data variables of a deployment', (database) => {
  const kit = useDeploymentKit(database, { extra: { gitonly: { sources: ['git'] } }, options: () => ({ dataApiUrl: 'https://vector.example/data/v1' }) });

  it('gives each deployment the data API URL and its own token, over variables of the same name, without storing them', async () => {
    const { vector, scope, alpha, project, v1, v2 } = kit();
    const first = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', env: { MODE: 'x', VECTOR_DATA_URL: 'mine' } });
    const second = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production' });
    const [a, b] = alpha.calls.deploy.map((input) => input.env);
    const token = a?.VECTOR_DATA_TOKEN as string;
    expect(a).toEqual({ MODE: 'x', VECTOR_DATA_URL: 'https://vector.example/data/v1', VECTOR_DATA_TOKEN: token, VITE_VECTOR_DATA_URL: 'https://vector.example/data/v1', VITE_VECTOR_DATA_TOKEN: token });
    expect(token).toMatch(/^vdt_/);
    expect(b?.VECTOR_DATA_TOKEN).not.toBe(token);
    expect(b?.VITE_VECTOR_DATA_TOKEN).toBe(b?.VECTOR_DATA_TOKEN);
    expect(first.envKeys).toEqual(['MODE', 'VECTOR_DATA_URL']);
    expect(second.envKeys).toEqual([]);
    await expect(vector.runtimeData(token)).resolves.toBeDefined();
    await expect(vector.runtimeData(b?.VECTOR_DATA_TOKEN as string)).resolves.toBeDefined();
  });
});

describeEachDatabase('the data variables of a deployment, from a function', (database) => {
  const setting: { url: string | undefined } = { url: 'https://late.example/data/v1' };
  const kit = useDeploymentKit(database, { extra: { gitonly: { sources: ['git'] } }, options: () => ({ dataApiUrl: () => setting.url }) });

  it('reads the URL at each deploy, and gives none while it has none', async () => {
    const { scope, alpha, project, v1, v2 } = kit();
    setting.url = 'https://late.example/data/v1';
    await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', env: { MODE: 'x' } });
    setting.url = undefined;
    await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview', env: { MODE: 'y' } });
    const [a, b] = alpha.calls.deploy.map((input) => input.env);
    expect(Object.keys(a ?? {}).sort()).toEqual(['MODE', 'VECTOR_DATA_TOKEN', 'VECTOR_DATA_URL', 'VITE_VECTOR_DATA_TOKEN', 'VITE_VECTOR_DATA_URL']);
    expect(a?.VECTOR_DATA_URL).toBe('https://late.example/data/v1');
    expect(b).toEqual({ MODE: 'y' });
  });
});

describeEachDatabase('the data variables of a deployment without a data API', (database) => {
  const kit = useDeploymentKit(database, { extra: { gitonly: { sources: ['git'] } } });

  it('gives only the caller’s variables', async () => {
    const { scope, alpha, project, v1 } = kit();
    await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', env: { MODE: 'x' } });
    expect(alpha.calls.deploy[0]?.env).toEqual({ MODE: 'x' });
  });
});
