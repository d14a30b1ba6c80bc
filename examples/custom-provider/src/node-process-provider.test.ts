import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeText, type DeploymentProvider, type SourceFile } from '@vector/core';
import { deploymentProviderConformance } from '@vector/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNodeProcessProvider } from './index.js';

const temporaryProvider = async () => {
  const workDirectory = await mkdtemp(join(tmpdir(), 'vector-node-process-'));
  return { provider: createNodeProcessProvider({ workDirectory }), cleanup: () => rm(workDirectory, { recursive: true, force: true }) };
};

// The whole deployment contract, fetching each live URL (checkUrl) to see the deployed page.
deploymentProviderConformance({ name: 'node process (example)', create: temporaryProvider, checkUrl: true, pollIntervalMs: 20 });

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('node process provider specifics', () => {
  let provider: DeploymentProvider;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ provider, cleanup } = await temporaryProvider());
    await provider.init?.();
  });
  afterEach(async () => {
    await provider.dispose?.();
    await cleanup();
  });

  const deploy = (files: SourceFile[], secrets: Record<string, string> = {}) =>
    provider.deploy({
      deploymentId: randomUUID(),
      idempotencyKey: randomUUID(),
      project: { id: 'p1', organizationId: 'o1', name: 'App' },
      version: { id: 'v1', number: 1, storageRef: 'ref' },
      environment: 'preview',
      source: { git: null, getFiles: async () => files },
      env: { GREETING: 'hello from env' },
      secrets,
    });

  const waitUntil = async (id: string, statuses: string[]) => {
    for (let attempt = 0; attempt < 400; attempt += 1) {
      const state = await provider.getStatus({ providerDeploymentId: id });
      if (statuses.includes(state.status)) return state;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`deployment ${id} never reached ${statuses.join('/')}`);
  };

  const serverJs = `import { createServer } from 'node:http';
console.log('pid ' + process.pid + ' secret ' + process.env.API_KEY);
console.error('a warning on stderr');
createServer((request, response) => response.end(process.env.GREETING)).listen(Number(process.env.PORT), process.env.HOST);
`;

  it('runs server.js with env and secrets, captures stdout/stderr, and leaves no process after destroy', async () => {
    const deployed = await deploy([{ path: 'server.js', content: encodeText(serverJs) }, { path: 'package.json', content: encodeText('{"type":"module"}') }], { API_KEY: 's3cr3t-value' });
    const live = await waitUntil(deployed.providerDeploymentId, ['live', 'failed']);
    expect(live.status, JSON.stringify(live.error)).toBe('live');
    expect(await (await fetch(live.url as string)).text()).toBe('hello from env');

    const { entries } = await provider.getLogs({ providerDeploymentId: deployed.providerDeploymentId, cursor: null });
    const pidLine = entries.find((entry) => entry.message.startsWith('pid '));
    expect(pidLine?.message).toMatch(/^pid \d+ secret \[redacted\]$/);
    expect(entries).toContainEqual(expect.objectContaining({ level: 'error', source: 'runtime', message: 'a warning on stderr' }));
    const pid = Number(pidLine?.message.split(' ')[1]);
    expect(isAlive(pid)).toBe(true);

    await provider.destroy({ providerDeploymentId: deployed.providerDeploymentId });
    expect(isAlive(pid)).toBe(false);
    await expect(fetch(live.url as string)).rejects.toThrow();
  });

  it('stops every process on dispose', async () => {
    const deployed = await deploy([{ path: 'server.js', content: encodeText(serverJs) }, { path: 'package.json', content: encodeText('{"type":"module"}') }]);
    await waitUntil(deployed.providerDeploymentId, ['live']);
    const { entries } = await provider.getLogs({ providerDeploymentId: deployed.providerDeploymentId, cursor: null });
    const pid = Number(entries.find((entry) => entry.message.startsWith('pid '))?.message.split(' ')[1]);
    await provider.dispose?.();
    expect(isAlive(pid)).toBe(false);
  });

  it('fails a deployment whose app crashes on start, with its stderr in the logs', async () => {
    const deployed = await deploy([{ path: 'server.js', content: encodeText("throw new Error('boom at start');\n") }]);
    const state = await waitUntil(deployed.providerDeploymentId, ['failed', 'live']);
    expect(state).toMatchObject({ status: 'failed', error: { code: 'PROCESS_EXITED' } });
    const { entries } = await provider.getLogs({ providerDeploymentId: deployed.providerDeploymentId, cursor: null });
    expect(entries.some((entry) => entry.level === 'error' && entry.message.includes('boom at start'))).toBe(true);
  });

  it('serves static sites from their own directory only', async () => {
    const deployed = await deploy([{ path: 'index.html', content: encodeText('<h1>static</h1>') }, { path: 'docs/index.html', content: encodeText('docs') }]);
    const live = await waitUntil(deployed.providerDeploymentId, ['live']);
    const base = live.url as string;
    expect(await (await fetch(base)).text()).toBe('<h1>static</h1>');
    expect(await (await fetch(new URL('docs/', base))).text()).toBe('docs');
    expect((await fetch(new URL('missing.txt', base))).status).toBe(404);
    expect((await fetch(`${base}..%2f..%2fpackage.json`)).status).not.toBe(200);
  });
});
