import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStorage, createScriptedAgent, createSqliteDatabase, createVector, type SourceFile, decodeText } from '@vector/core';
import { createLocalProvider, type LocalProvider } from '@vector/provider-local';
import type { FastifyInstance } from 'fastify';
import { testBuildCacheDir } from '../../../test-support/chromium.js';
import { buildServer, createPreviewGateway } from '../src/index.js';

/** The server as the CLI runs it with local builds, on loopback ports of its own. */
export interface LocalPreviewStack {
  /** `http://127.0.0.1:<port>` of the API. */
  baseUrl: string;
  /** The gateway's port: previews are `http://<id>.preview.localhost:<previewPort>/`. */
  previewPort: number;
  provider: LocalProvider;
  /** An owner key of a fresh organization. */
  key: string;
  /** JSON over HTTP to the API with the key. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** Uploads `files` as a project's first version and answers the project id. */
  uploadProject(name: string, files: SourceFile[]): Promise<string>;
  /** Deploys the project's current version as a preview and waits until it is live or failed. */
  deployPreview(projectId: string, timeoutMs?: number): Promise<any>;
  /** Destroys every deployment it made, closes both listeners, the engine and the provider, removes the state. */
  close(): Promise<void>;
}

/**
 * Starts the API and the preview gateway over a local provider whose state lives in a fresh
 * directory under the system temp dir (outside any Node project), with the dependency cache
 * shared by every test run on this machine.
 */
export async function startLocalPreviewStack(): Promise<LocalPreviewStack> {
  const stateRoot = await mkdtemp(join(tmpdir(), 'vector-server-previews-'));
  // As in main.ts: the gateway listens first, so its port is in the provider's public URL.
  let provider: LocalProvider | undefined;
  const gateway: FastifyInstance = createPreviewGateway({
    baseUrl: 'http://{id}.preview.localhost/',
    source: {
      resolveUpstream: (id) => provider?.resolveUpstream(id) ?? null,
      getStatus: async (input) => (provider ? provider.getStatus(input) : { status: 'pending' }),
    },
  });
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  const previewPort = (gateway.server.address() as AddressInfo).port;
  const local = createLocalProvider({ stateDir: join(stateRoot, 'deployments'), cacheDir: testBuildCacheDir, publicUrl: `http://{id}.preview.localhost:${previewPort}/` });
  provider = local;
  const database = createSqliteDatabase({ path: ':memory:' });
  // Deployments reach their data on this API, whose port is known once it listens (as in main.ts).
  let dataApiUrl: string | undefined;
  const vector = createVector({ database, storage: [createMemoryStorage()], providers: [local], agents: [createScriptedAgent()], deploymentPollIntervalMs: 50, dataApiUrl: () => dataApiUrl });
  const app = buildServer({ vector, rateLimit: false });
  await vector.start();
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  dataApiUrl = `${baseUrl}/data/v1`;
  const deployments: string[] = [];

  let key = '';
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null };
  };
  const organization = await api('POST', '/v1/organizations', { name: 'Previews' });
  if (organization.status !== 201) throw new Error(`bootstrap failed: ${organization.status}`);
  key = organization.json.apiKey.key;

  return {
    baseUrl,
    previewPort,
    provider: local,
    key,
    api,
    async uploadProject(name, files) {
      const project = await api('POST', '/v1/projects', { name });
      const version = await api('POST', `/v1/projects/${project.json.id}/versions`, { parentVersionId: null, files: files.map((file) => ({ path: file.path, content: decodeText(file.content) })), message: 'upload', source: 'import' });
      if (version.status !== 201) throw new Error(`upload failed: ${version.status} ${JSON.stringify(version.json)}`);
      return project.json.id as string;
    },
    async deployPreview(projectId, timeoutMs = 120_000) {
      const created = await api('POST', `/v1/projects/${projectId}/deployments`, { environment: 'preview' });
      if (created.status !== 202) throw new Error(`deploy failed: ${created.status} ${JSON.stringify(created.json)}`);
      deployments.push(created.json.id);
      const deadline = Date.now() + timeoutMs;
      let deployment = created.json;
      while (deployment.status !== 'live' && deployment.status !== 'failed') {
        if (Date.now() > deadline) throw new Error(`deployment still ${deployment.status} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        deployment = (await api('GET', `/v1/deployments/${created.json.id}`)).json;
      }
      return deployment;
    },
    async close() {
      for (const id of deployments) await api('DELETE', `/v1/deployments/${id}`).catch(() => undefined);
      await app.close();
      await gateway.close();
      await vector.dispose();
      await database.destroy();
      await rm(stateRoot, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
