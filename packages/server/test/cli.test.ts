import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callCli, startCli, useCliProcesses, useProcessSchema } from './cli-process.js';
import { previewRequest } from './preview-request.js';
import { readSse } from './sse-client.js';

const databaseUrl = process.env.TEST_DATABASE_URL;
// Both suites run the built CLI (`pnpm start` = build + `node dist/main.js`), as a user would.
const { running, scratchDirectory } = useCliProcesses('vector-cli-');
const api = callCli;

describe('the vector-server CLI', () => {
  it('comes up with no services (embedded SQLite), serves, and exits 0 on SIGTERM with the port closed', async () => {
    const cwd = scratchDirectory();
    const cli = startCli({ cwd, env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', VECTOR_PREVIEW_PORT: '0' } });
    running.push(cli);
    const [, base] = await cli.waitFor(/Vector API on (http:\/\/127\.0\.0\.1:\d+)/);
    expect(base).toBeDefined();
    expect(cli.output.join('\n')).toMatch(/scripted DEMO agent/);
    expect(existsSync(join(cwd, '.vector', 'vector.db'))).toBe(true);
    // Local builds are the default: the preview gateway listens on a port of its own, and the
    // builds live under the user's cache (HOME is the scratch directory here).
    const [, previewPort] = await cli.waitFor(/Vector previews on http:\/\/\{id\}\.preview\.localhost:(\d+)\/ .*builds in (\S+)\)/);
    expect(cli.output.join('\n')).toContain(`builds in ${join(cwd, '.cache', 'vector', 'servers')}`);

    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    const organization = await api(base as string, 'POST', '/v1/organizations', { body: { name: 'CLI' } });
    expect(organization.status).toBe(201);
    const key = organization.json.apiKey.key as string;
    const projects = await api(base as string, 'GET', '/v1/projects', { key });
    expect(projects).toEqual({ status: 200, json: { items: [], nextCursor: null } });

    // A static site, built and served by the local provider, answers through the gateway.
    const project = (await api(base as string, 'POST', '/v1/projects', { key, body: { name: 'site' } })).json;
    await api(base as string, 'POST', `/v1/projects/${project.id}/versions`, { key, body: { parentVersionId: null, files: [{ path: 'index.html', content: '<h1>served by the CLI</h1>' }], message: 'v1' } });
    const deployment = (await api(base as string, 'POST', `/v1/projects/${project.id}/deployments`, { key, body: { environment: 'preview' } })).json;
    expect(deployment.provider).toBe('local');
    let live = deployment;
    for (let attempt = 0; attempt < 300 && live.status !== 'live' && live.status !== 'failed'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      live = (await api(base as string, 'GET', `/v1/deployments/${deployment.id}`, { key })).json;
    }
    expect(live.status).toBe('live');
    const url = new URL(live.url as string);
    expect(url.hostname).toMatch(/^[a-z0-9]+\.preview\.localhost$/);
    expect(url.port).toBe(previewPort);
    const page = await previewRequest({ port: Number(previewPort), host: url.host });
    expect(page.status).toBe(200);
    expect(page.body).toContain('served by the CLI');

    expect(await cli.stop()).toEqual({ code: 0, signal: null });
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    await expect(previewRequest({ port: Number(previewPort), host: url.host })).rejects.toThrow();
    expect(cli.output.join('\n')).toMatch(/SIGTERM: shutting down/);
    // The API key never reaches the log.
    expect(cli.output.join('\n')).not.toContain(organization.json.apiKey.key);
  });

  it('refuses to start with an invalid environment, naming the variable', async () => {
    const cli = startCli({ cwd: scratchDirectory(), env: { PORT: 'eighty', VECTOR_ROLE: 'worker' } });
    running.push(cli);
    const status = await cli.exited;
    expect(status.code).toBe(1);
    const output = cli.output.join('\n');
    expect(output).toContain('Invalid environment');
    expect(output).toMatch(/PORT: /);
    expect(output).toMatch(/VECTOR_ROLE: /);
  });

  it('says in one line why it could not start when PostgreSQL is unreachable or the database missing, with no stack trace', async () => {
    const refused = startCli({ cwd: scratchDirectory(), env: { DATABASE_URL: 'postgres://vector:secret-pw@127.0.0.1:1/none', VECTOR_LOCAL_BUILDS: 'false', PORT: '0' } });
    running.push(refused);
    expect((await refused.exited).code).toBe(1);
    expect(refused.errors).toHaveLength(1);
    expect(refused.errors[0]).toMatch(/^vector-server: could not start: .*ECONNREFUSED.* \(PostgreSQL at 127\.0\.0\.1:1, DATABASE_URL\): is the database running and reachable\?$/);
    expect(refused.output.join('\n')).not.toContain('secret-pw');
    if (!databaseUrl) return;
    const missing = new URL(databaseUrl);
    missing.pathname = `/vs_missing_${randomBytes(3).toString('hex')}`;
    const absent = startCli({ cwd: scratchDirectory(), env: { DATABASE_URL: missing.toString(), VECTOR_LOCAL_BUILDS: 'false', PORT: '0' } });
    running.push(absent);
    expect((await absent.exited).code).toBe(1);
    expect(absent.errors).toHaveLength(1);
    expect(absent.errors[0]).toMatch(/^vector-server: could not start: database "vs_missing_\w+" does not exist \(PostgreSQL at .+, DATABASE_URL\): create the database/);
  });

  it('refuses separate api and worker processes while local builds are on, naming the way out', async () => {
    const cli = startCli({ cwd: scratchDirectory(), env: { VECTOR_ROLE: 'api', DATABASE_URL: 'postgres://vector@127.0.0.1:1/none' } });
    running.push(cli);
    expect((await cli.exited).code).toBe(1);
    const output = cli.output.join('\n');
    expect(output).toMatch(/Invalid environment: VECTOR_ROLE: local builds \(VECTOR_LOCAL_BUILDS, on by default\) need VECTOR_ROLE=all/);
    expect(output).toContain('VECTOR_LOCAL_BUILDS=false');
  });
});

/** A TCP port something else already listens on, and how to free it. */
async function busyPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return { port: address.port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function isJsonObject(line: string): boolean {
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
}

describe('the vector-server CLI at start', () => {
  it.each(['PORT', 'VECTOR_PREVIEW_PORT'])('answers a %s already in use with one line on stderr and exit code 1, no stack trace', async (variable) => {
    const busy = await busyPort();
    try {
      const ports = { PORT: '0', VECTOR_PREVIEW_PORT: '0', [variable]: String(busy.port) };
      const cli = startCli({ cwd: scratchDirectory(), env: { HOST: '127.0.0.1', LOG_LEVEL: 'info', ...ports } });
      running.push(cli);
      expect((await cli.exited).code).toBe(1);
      const expected = `vector-server: port ${busy.port} on 127.0.0.1 is already in use (${variable}); stop the other process or choose another port`;
      expect(cli.errors.filter((line) => line.startsWith('vector-server:'))).toEqual([expected]);
      expect(cli.errors.at(-1)).toBe(expected);
      const output = cli.output.join('\n');
      expect(output).not.toMatch(/^\s+at /m);
      expect(output).not.toContain('EADDRINUSE');
      expect(output).not.toContain('Vector API on');
    } finally {
      await busy.close();
    }
  });

  it('logs the model and base URL the codegen agent uses, never the key nor a password in the URL (JSON lines when not on a terminal)', async () => {
    const key = 'sk-cli-test-key-secret';
    const common = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', VECTOR_LOCAL_BUILDS: 'false', OPENAI_API_KEY: key };
    const configured = startCli({ cwd: scratchDirectory(), env: { ...common, OPENAI_BASE_URL: 'http://proxyuser:proxy-pass-secret@127.0.0.1:9/v1?token=query-secret', VECTOR_MODEL: 'cli-test-model' } });
    const aliased = startCli({ cwd: scratchDirectory(), env: { ...common, VECTOR_MODEL_BASE_URL: 'http://127.0.0.1:9/v1', VECTOR_AGENT_MODEL: 'old-name-model' } });
    const defaults = startCli({ cwd: scratchDirectory(), env: common });
    running.push(configured, aliased, defaults);
    await configured.waitFor(/Codegen agent: model cli-test-model at http:\/\/127\.0\.0\.1:9\/v1"/);
    await aliased.waitFor(/Codegen agent: model old-name-model at http:\/\/127\.0\.0\.1:9\/v1"/);
    await defaults.waitFor(/Codegen agent: model gpt-4\.1-mini \(default\) at https:\/\/api\.openai\.com\/v1 \(default\)"/);
    for (const cli of [configured, aliased, defaults]) {
      await cli.waitFor(/Vector API on http/);
      expect(await cli.stop()).toEqual({ code: 0, signal: null });
      const output = cli.output.join('\n');
      for (const secret of [key, 'proxy-pass-secret', 'query-secret']) expect(output).not.toContain(secret);
      expect(output).not.toMatch(/scripted DEMO agent/);
      expect(cli.output.filter((line) => line.trim() !== '').every(isJsonObject)).toBe(true);
    }
  });

  it('writes human-readable lines with LOG_FORMAT=pretty, secrets still redacted', async () => {
    const cli = startCli({ cwd: scratchDirectory(), env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', VECTOR_LOCAL_BUILDS: 'false', LOG_FORMAT: 'pretty', OPENAI_API_KEY: 'sk-pretty-key-secret' } });
    running.push(cli);
    const [, base] = await cli.waitFor(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: Vector API on (http:\/\/127\.0\.0\.1:\d+)/);
    const organization = await api(base as string, 'POST', '/v1/organizations', { body: { name: 'Pretty' } });
    const apiKey = organization.json.apiKey.key as string;
    expect((await api(`${base}`, 'GET', `/v1/projects?access_token=${apiKey}`, { key: apiKey })).status).toBe(200);
    expect(await cli.stop()).toEqual({ code: 0, signal: null });
    const output = cli.output.join('\n');
    expect(cli.errors.join('\n')).toMatch(/^\[[\d:.]+\] WARN: VECTOR_BOOTSTRAP_TOKEN is not set/m);
    expect(output).toMatch(/INFO: Codegen agent: model gpt-4\.1-mini \(default\)/);
    expect(output).toMatch(/INFO: incoming request/);
    expect(output).toContain('access_token=[redacted]');
    expect(cli.output.some(isJsonObject)).toBe(false);
    expect(output).not.toContain(apiKey);
    expect(output).not.toContain('sk-pretty-key-secret');
  });
});

// Two real OS processes on one PostgreSQL schema: an api process (HTTP only) and a worker.
describe.skipIf(!databaseUrl)('the vector-server CLI as separate api and worker processes on PostgreSQL', () => {
  const schema = useProcessSchema('vc', databaseUrl, running);

  it('runs a job posted to the api process on the worker process, streaming its events from the api process', async () => {
    // Local deployments live in the process that built them, so split roles deploy elsewhere.
    const shared = { DATABASE_URL: databaseUrl as string, DATABASE_SCHEMA: schema, LOG_LEVEL: 'info', VECTOR_LOCAL_BUILDS: 'false' };
    const apiProcess = startCli({ cwd: scratchDirectory(), env: { ...shared, VECTOR_ROLE: 'api', PORT: '0', HOST: '127.0.0.1' } });
    running.push(apiProcess);
    const [, base] = await apiProcess.waitFor(/Vector API on (http:\/\/127\.0\.0\.1:\d+).*role: api/);
    const workerProcess = startCli({ cwd: scratchDirectory(), env: { ...shared, VECTOR_ROLE: 'worker' } });
    running.push(workerProcess);
    await workerProcess.waitFor(/Vector worker started/);
    const url = base as string;

    const { json: created } = await api(url, 'POST', '/v1/organizations', { body: { name: 'Processes' } });
    const key = created.apiKey.key as string;
    const project = (await api(url, 'POST', '/v1/projects', { key, body: { name: 'p' } })).json;
    await api(url, 'POST', `/v1/projects/${project.id}/versions`, { key, body: { parentVersionId: null, files: [{ path: 'index.html', content: '<h1>hi</h1>' }], message: 'v1' } });
    const session = (await api(url, 'POST', `/v1/projects/${project.id}/sessions`, { key, body: {} })).json;
    const posted = await api(url, 'POST', `/v1/sessions/${session.id}/messages`, { key, body: { content: 'from another process' } });
    expect(posted.status).toBe(202);
    const jobId = posted.json.job.id as string;

    const stream = await readSse(`${url}/v1/jobs/${jobId}/events`, { headers: { authorization: `Bearer ${key}` } });
    expect(stream.status).toBe(200);
    const ids = stream.frames.map((frame) => Number(frame.id));
    expect(ids).toEqual(ids.map((_, index) => index + 1));
    expect(stream.frames.at(-1)?.event).toBe('done');
    const job = (await api(url, 'GET', `/v1/jobs/${jobId}`, { key })).json;
    expect(job.status).toBe('complete');
    const files = (await api(url, 'GET', `/v1/versions/${job.resultVersionId}/files`, { key })).json;
    expect(files.items.map((file: { path: string }) => file.path)).toContain('notes/1.md');

    // The worker took the job; the api process (no worker role) never did.
    expect(workerProcess.output.join('\n')).toContain(`worker took job ${jobId}`);
    expect(apiProcess.output.join('\n')).not.toContain('worker took job');

    expect(await apiProcess.stop()).toEqual({ code: 0, signal: null });
    expect(await workerProcess.stop()).toEqual({ code: 0, signal: null });
  });
});
