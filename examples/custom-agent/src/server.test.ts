import { buildServer } from '@vector/server';
import { createMemoryStorage, createSqliteDatabase, createVector, type Vector, type VectorDatabaseConnection } from '@vector/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFormatterAgent } from './index.js';

// The formatter registered on the reference server, driven over HTTP like any client would.
let database: VectorDatabaseConnection;
let vector: Vector;
let app: ReturnType<typeof buildServer>;
let baseUrl: string;

beforeAll(async () => {
  database = createSqliteDatabase({ path: ':memory:' });
  vector = createVector({ database, storage: [createMemoryStorage()], agents: [createFormatterAgent()], jobHeartbeatMs: 50 });
  app = buildServer({ vector, rateLimit: false, docs: false });
  await vector.start();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});

afterAll(async () => {
  await app?.close();
  await vector?.dispose();
  await database?.destroy();
});

async function call<T>(method: string, path: string, key: string | null, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

it('formats a project through the server: message → job → new version', async () => {
  const { apiKey } = await call<{ apiKey: { key: string } }>('POST', '/v1/organizations', null, { name: 'Acme' });
  const key = apiKey.key;
  const project = await call<{ id: string }>('POST', '/v1/projects', key, { name: 'Messy app' });
  const v1 = await call<{ id: string }>('POST', `/v1/projects/${project.id}/versions`, key, {
    parentVersionId: null,
    message: 'Upload',
    files: [
      { path: 'index.js', content: 'console.log(1);   \r\n' },
      { path: 'package.json', content: '{"name":"app","dependencies":{"zod":"4","diff":"9"}}' },
    ],
  });
  const session = await call<{ id: string; agentType: string }>('POST', `/v1/projects/${project.id}/sessions`, key, { agentType: 'formatter' });
  expect(session.agentType).toBe('formatter');
  const { job } = await call<{ job: { id: string } }>('POST', `/v1/sessions/${session.id}/messages`, key, { content: 'Please tidy up' });

  let status = 'queued';
  for (let attempt = 0; attempt < 400 && (status === 'queued' || status === 'running'); attempt += 1) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 25));
    ({ status } = await call<{ status: string }>('GET', `/v1/jobs/${job.id}`, key));
  }
  expect(status).toBe('complete');

  const versions = await call<{ items: Array<{ id: string; number: number; parentId: string | null; source: string }> }>('GET', `/v1/projects/${project.id}/versions`, key);
  const v2 = versions.items.find((version) => version.number === 2);
  expect(v2).toMatchObject({ parentId: v1.id, source: 'ai_generation' });
  const diff = await call<{ items: Array<{ path: string; status: string }> }>('GET', `/v1/versions/${v2?.id}/diff`, key);
  expect(diff.items.map((file) => [file.path, file.status])).toEqual([['index.js', 'modified'], ['package.json', 'modified']]);
  const manifest = await call<{ content: string }>('GET', `/v1/versions/${v2?.id}/files/package.json`, key);
  expect(manifest.content).toBe('{\n  "name": "app",\n  "dependencies": {\n    "diff": "9",\n    "zod": "4"\n  }\n}\n');

  const messages = await call<{ items: Array<{ role: string; content: string }> }>('GET', `/v1/sessions/${session.id}/messages`, key);
  expect(messages.items.at(-1)).toMatchObject({ role: 'assistant' });
  expect(messages.items.at(-1)?.content).toContain('index.js: converted CRLF line endings to LF; trimmed trailing whitespace on 1 line');
});
