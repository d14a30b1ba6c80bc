import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeText } from '@vector/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { useFakeOpenAIServer } from '../../agent-codegen/test/fake-openai-server.js';
import { viteReactApp } from '../../provider-local/test/sample-apps.js';
import { clickCounter, inChromium, skipWithoutChromium } from '../../../test-support/chromium.js';
import { buildCliUnlessBuilt, type CliProcess, startCli } from './cli-process.js';

// The README's promise, as a user meets it: `pnpm start` (the built CLI, embedded defaults)
// with an OpenAI-compatible model configured; a message over HTTP becomes a version that the
// build check passed, and its preview opens in a browser at its *.preview.localhost URL.
const fake = useFakeOpenAIServer();
let cli: CliProcess | null = null;
const directories: string[] = [];

beforeAll(buildCliUnlessBuilt, 300_000);

afterAll(async () => {
  await cli?.stop();
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

it('message → version → preview in a browser, from `pnpm start` with a model configured', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'vector-promise-'));
  directories.push(cwd);
  cli = startCli({ cwd, env: { PORT: '0', HOST: '127.0.0.1', VECTOR_PREVIEW_PORT: '0', OPENAI_API_KEY: fake.apiKey, OPENAI_BASE_URL: fake.baseURL, VECTOR_MODEL: 'test-model', LOG_LEVEL: 'info' } });
  const [, base] = await cli.waitFor(/Vector API on (http:\/\/127\.0\.0\.1:\d+)/);
  const [, previewPort] = await cli.waitFor(/Vector previews on http:\/\/\{id\}\.preview\.localhost:(\d+)\//);
  const call = async (method: string, path: string, body?: unknown, key?: string) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await response.json()) as any;
  };

  const app = Object.fromEntries(viteReactApp().map((file) => [file.path, decodeText(file.content)]));
  fake.enqueue(
    { text: 'generate' },
    { text: 'Summary of the change.\n1. Write the counter app' },
    { text: 'Writing the app.', toolCalls: Object.entries(app).map(([path, content]) => ({ name: 'write_file', arguments: { path, content } })) },
    { toolCalls: [{ name: 'finish', arguments: { commit_message: 'Create the counter app', summary: 'I created the counter.' } }] },
  );
  const organization = await call('POST', '/v1/organizations', { name: 'Promise' });
  const key = organization.apiKey.key as string;
  const project = await call('POST', '/v1/projects', { name: 'counter' }, key);
  const session = await call('POST', `/v1/projects/${project.id}/sessions`, {}, key);
  const posted = await call('POST', `/v1/sessions/${session.id}/messages`, { content: 'Build me a counter' }, key);
  let job = posted.job;
  for (let attempt = 0; attempt < 1200 && !['complete', 'failed', 'cancelled'].includes(job.status); attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    job = await call('GET', `/v1/jobs/${job.id}`, undefined, key);
  }
  expect(job.status, JSON.stringify(job.error)).toBe('complete');
  const version = await call('GET', `/v1/versions/${job.resultVersionId}`, undefined, key);
  expect(version).toMatchObject({ number: 1, validationStatus: 'passed', validationCheck: 'build' });

  let deployment = await call('POST', `/v1/projects/${project.id}/deployments`, { environment: 'preview', versionId: version.id }, key);
  for (let attempt = 0; attempt < 1200 && !['live', 'failed'].includes(deployment.status); attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    deployment = await call('GET', `/v1/deployments/${deployment.id}`, undefined, key);
  }
  expect(deployment.status, JSON.stringify(deployment.error)).toBe('live');
  expect(deployment.url).toBe(`http://${new URL(deployment.url).hostname}:${previewPort}/`);

  if (skipWithoutChromium()) return;
  await inChromium(deployment.url, (page) => clickCounter(page));
}, 400_000);
