import { createScriptedAgent } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { readSse } from './sse-client.js';
import { sampleFiles, useServer } from './server-fixture.js';

// The scripted demo agent, slowed a little so the SSE client attaches while the job runs.
const agents = [createScriptedAgent({ delayMs: 15 })];

describeEachDatabase('end to end over HTTP', (database) => {
  const get = useServer(database, { agents });
  let baseUrl = '';
  beforeEach(async () => {
    baseUrl = await get().app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(() => {
    baseUrl = '';
  });

  it('org → project → message → job events over SSE → version → preview → URL answers', async () => {
    const { key } = get();
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
      return { status: response.status, json: (await response.json()) as any };
    };
    const getJson = async (path: string) => (await fetch(`${baseUrl}${path}`, { headers: auth })).json() as Promise<any>;

    const organization = await post('/v1/organizations', { name: 'E2E Corp' });
    expect(organization.status).toBe(201);
    const orgKey = organization.json.apiKey.key as string;
    auth.authorization = `Bearer ${orgKey}`;

    const project = await post('/v1/projects', { name: 'site' });
    expect(project.status).toBe(201);
    const v1 = await post(`/v1/projects/${project.json.id}/versions`, { parentVersionId: null, files: sampleFiles('hello from v1'), message: 'import', source: 'import' });
    expect(v1.status).toBe(201);
    const session = await post(`/v1/projects/${project.json.id}/sessions`, { title: 'build it' });
    expect(session.status).toBe(201);
    const posted = await post(`/v1/sessions/${session.json.id}/messages`, { content: 'Add a note please' });
    expect(posted.status).toBe(202);
    const jobId = posted.json.job.id as string;

    const stream = await readSse(`${baseUrl}/v1/jobs/${jobId}/events`, { headers: { authorization: auth.authorization } });
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/text\/event-stream/);
    const sequences = stream.frames.map((frame) => Number(frame.id));
    expect(sequences).toEqual(sequences.map((_, index) => index + 1));
    const last = JSON.parse(stream.frames.at(-1)?.data ?? '{}');
    expect(last.data.type).toBe('done');
    expect(stream.frames.some((frame) => frame.event === 'file_changed')).toBe(true);

    // Resuming with Last-Event-ID replays only what came after.
    const resumed = await readSse(`${baseUrl}/v1/jobs/${jobId}/events`, { headers: { authorization: auth.authorization, 'last-event-id': String(sequences.length - 2) } });
    expect(resumed.frames.map((frame) => Number(frame.id))).toEqual([sequences.length - 1, sequences.length]);

    const versionId = last.data.versionId as string;
    const version = await getJson(`/v1/versions/${versionId}`);
    expect(version).toMatchObject({ number: 2, source: 'ai_generation', jobId });
    const files = await getJson(`/v1/versions/${versionId}/files`);
    expect(files.items.some((file: { path: string }) => file.path.startsWith('notes/'))).toBe(true);

    const deployment = await post(`/v1/projects/${project.json.id}/deployments`, { environment: 'preview', versionId });
    expect(deployment.status).toBe(202);
    let live = deployment.json;
    for (let attempt = 0; attempt < 200 && live.status !== 'live' && live.status !== 'failed'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      live = await getJson(`/v1/deployments/${deployment.json.id}`);
    }
    expect(live.status).toBe('live');
    const page = await fetch(live.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('hello from v1');

    const logs = await getJson(`/v1/deployments/${deployment.json.id}/logs`);
    expect(logs.items.length).toBeGreaterThan(0);
    const destroyed = await fetch(`${baseUrl}/v1/deployments/${deployment.json.id}`, { method: 'DELETE', headers: { authorization: auth.authorization } });
    expect(((await destroyed.json()) as { status: string }).status).toBe('destroyed');
  });

  it('streams live events to a client attached before the job runs, and another org gets 404', async () => {
    const { call, key, otherKey } = get();
    const project = (await call('POST', '/v1/projects', { name: 'p' })).json;
    await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: null, files: sampleFiles(), message: 'first' });
    const session = (await call('POST', `/v1/projects/${project.id}/sessions`, {})).json;
    const posted = (await call('POST', `/v1/sessions/${session.id}/messages`, { content: 'hi' })).json;
    const foreign = await readSse(`${baseUrl}/v1/jobs/${posted.job.id}/events`, { headers: { authorization: `Bearer ${otherKey}` } });
    expect(foreign.status).toBe(404);
    const clients = await Promise.all([1, 2, 3].map(() => readSse(`${baseUrl}/v1/jobs/${posted.job.id}/events`, { headers: { authorization: `Bearer ${key}` } })));
    for (const client of clients) {
      const ids = client.frames.map((frame) => Number(frame.id));
      expect(ids).toEqual(ids.map((_, index) => index + 1));
      expect(client.frames.at(-1)?.event).toBe('done');
    }
  });

  it('closes open SSE streams when the server closes', async () => {
    const { call, key, app } = get();
    const project = (await call('POST', '/v1/projects', { name: 'p' })).json;
    const deployment = await call('POST', `/v1/projects/${project.id}/deployments`, { environment: 'preview' });
    // No version yet: 409/422/400 are all fine, we only need a live stream; use a job instead.
    expect(deployment.status).toBeGreaterThanOrEqual(400);
    await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: null, files: sampleFiles(), message: 'first' });
    const live = (await call('POST', `/v1/projects/${project.id}/deployments`, { environment: 'preview' })).json;
    const reading = readSse(`${baseUrl}/v1/deployments/${live.id}/logs`, { headers: { authorization: `Bearer ${key}` } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await app.close();
    const result = await reading;
    expect(result.status).toBe(200);
    expect(result.frames.some((frame) => frame.event === 'status')).toBe(true);
  });
});
