import { createMemoryStorage, createSqliteDatabase, createVector } from '@vector/core';
import { expect, it } from 'vitest';
import { startInOrganization } from '../../../test-support/engine-in-organization.js';
import { useTemporaryDirectories } from '../../../test-support/temporary-directories.js';
import { createNodeProcessProvider } from './index.js';

const temporaryDirectory = useTemporaryDirectories();

it('deploys a version through the engine and tears it down on destroy', async () => {
  const workDirectory = await temporaryDirectory('vector-node-engine-');
  const database = createSqliteDatabase({ path: ':memory:' });
  const vector = createVector({
    database,
    storage: [createMemoryStorage()],
    providers: [createNodeProcessProvider({ workDirectory })],
    deploymentPollIntervalMs: 20,
  });
  const { scope: acme, stop } = await startInOrganization(vector, database, { type: 'user', id: 'alice' });
  try {
    const project = await acme.projects.create({ name: 'Site' });
    await acme.versions.create({ projectId: project.id, parentVersionId: null, message: 'one', files: [{ path: 'index.html', content: '<h1>from a node process</h1>' }] });

    const created = await acme.deployments.create({ projectId: project.id, environment: 'preview' });
    const live = await acme.deployments.waitForDeployment(created.id, { timeoutMs: 20_000 });
    expect(live).toMatchObject({ status: 'live', provider: 'node-process' });
    expect(await (await fetch(live.url as string)).text()).toBe('<h1>from a node process</h1>');
    await acme.deployments.refresh(live.id);
    expect((await acme.deployments.listLogs(live.id)).some((log) => log.message.includes('listening on'))).toBe(true);

    const destroyed = await acme.deployments.destroy(live.id);
    expect(destroyed.status).toBe('destroyed');
    await expect(fetch(live.url as string)).rejects.toThrow();
  } finally {
    await stop();
  }
});
