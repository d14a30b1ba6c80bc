import { createScriptedAgent } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { beforeEach, expect, it } from 'vitest';
import { readSse } from './sse-client.js';
import { sampleFiles, useServer } from './server-fixture.js';

/** `from + 1 … to`. */
const after = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => from + 1 + index);

// Browsers' EventSource cannot set headers on its first request, so a page resumes with the query
// parameter; these requests send no Last-Event-ID header at all.
describeEachDatabase('resuming streams by query parameter', (database) => {
  const server = useServer(database, { agents: [createScriptedAgent({ delayMs: 5 })] });
  let base = '';
  let authorization = '';
  beforeEach(async () => {
    base = await server().app.listen({ port: 0, host: '127.0.0.1' });
    authorization = `Bearer ${server().key}`;
  });

  async function call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
    const response = await server().call(method, path, body);
    if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.json)}`);
    return response.json;
  }

  async function projectWithVersion() {
    const project = await call('POST', '/v1/projects', { name: 'resume' });
    const version = await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: null, files: sampleFiles(), message: 'first' });
    return { project, version };
  }

  it('replays only the job events after ?lastEventId=, as SSE and as JSON', async () => {
    const { project } = await projectWithVersion();
    const session = await call('POST', `/v1/projects/${project.id}/sessions`, {});
    const posted = await call('POST', `/v1/sessions/${session.id}/messages`, { content: 'add a note' });
    const events = `${base}/v1/jobs/${posted.job.id}/events`;
    // The whole stream, which ends with the job.
    const full = await readSse(events, { headers: { authorization }, signal: AbortSignal.timeout(20_000) });
    const last = full.frames.length;
    expect(full.frames.map((frame) => Number(frame.id))).toEqual(after(0, last));
    expect(last).toBeGreaterThanOrEqual(4);
    const resumeFrom = Math.floor(last / 2);

    const resumed = await readSse(`${events}?lastEventId=${resumeFrom}`, { headers: { authorization }, signal: AbortSignal.timeout(20_000) });
    expect(resumed.status).toBe(200);
    expect(resumed.frames.map((frame) => Number(frame.id))).toEqual(after(resumeFrom, last));
    expect(resumed.frames.map((frame) => frame.data)).toEqual(full.frames.slice(resumeFrom).map((frame) => frame.data));
    // One short of the end: the last event, and nothing else; at the end: nothing more to say (204).
    const oneShort = await readSse(`${events}?lastEventId=${last - 1}`, { headers: { authorization }, signal: AbortSignal.timeout(20_000) });
    expect(oneShort.frames.map((frame) => Number(frame.id))).toEqual([last]);
    expect((await readSse(`${events}?lastEventId=${last}`, { headers: { authorization }, signal: AbortSignal.timeout(20_000) })).status).toBe(204);

    const json = await server().app.inject({ method: 'GET', url: `/v1/jobs/${posted.job.id}/events?lastEventId=${resumeFrom}`, headers: { authorization, accept: 'application/json' } });
    expect(json.statusCode).toBe(200);
    expect((json.json() as { items: Array<{ sequence: number }> }).items.map((event) => event.sequence)).toEqual(after(resumeFrom, last));
  });

  it('returns only the deployment log lines after ?afterSequence=, as JSON and as SSE', async () => {
    const { project, version } = await projectWithVersion();
    const deployment = await call('POST', `/v1/projects/${project.id}/deployments`, { environment: 'preview', versionId: version.id });
    let current = deployment;
    for (let attempt = 0; attempt < 400 && current.status !== 'live' && current.status !== 'failed'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      current = await call('GET', `/v1/deployments/${deployment.id}`);
    }
    expect(current.status).toBe('live');
    // Destroyed, so its log is complete and its stream ends by itself.
    expect((await call('DELETE', `/v1/deployments/${deployment.id}`)).status).toBe('destroyed');
    const logs = `/v1/deployments/${deployment.id}/logs`;
    const all = (await call('GET', logs)).items as Array<{ sequence: number; message: string }>;
    const last = all.length;
    expect(all.map((line) => line.sequence)).toEqual(after(0, last));
    expect(last).toBeGreaterThanOrEqual(2);
    const resumeFrom = Math.floor(last / 2);

    const json = (await call('GET', `${logs}?afterSequence=${resumeFrom}`)).items as Array<{ sequence: number; message: string }>;
    expect(json).toEqual(all.slice(resumeFrom));

    const stream = await readSse(`${base}${logs}?afterSequence=${resumeFrom}`, { headers: { authorization }, signal: AbortSignal.timeout(20_000) });
    expect(stream.status).toBe(200);
    const lines = stream.frames.filter((frame) => frame.event === 'log');
    expect(lines.map((frame) => Number(frame.id))).toEqual(after(resumeFrom, last));
    expect(lines.map((frame) => (JSON.parse(frame.data) as { message: string }).message)).toEqual(all.slice(resumeFrom).map((line) => line.message));
  });

  it('keeps each deployment’s log stream to its own lines and status, reports each status once, and ends it only when that deployment ends', async () => {
    // Two projects' deployments: the streams must not mix them up.
    const live = async () => {
      const { project, version } = await projectWithVersion();
      const created = await call('POST', `/v1/projects/${project.id}/deployments`, { environment: 'preview', versionId: version.id });
      for (let attempt = 0; attempt < 400 && (await call('GET', `/v1/deployments/${created.id}`)).status !== 'live'; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 25));
      return { id: created.id as string, again: () => call('POST', `/v1/projects/${project.id}/deployments`, { environment: 'preview', versionId: version.id }) };
    };
    const deployments = [await live(), await live()];
    const ids = deployments.map((deployment) => deployment.id);
    const frames = ids.map(() => new Array<{ event?: string; data: string }>());
    const ended = ids.map(() => false);
    const readers = ids.map((id, index) =>
      readSse(`${base}/v1/deployments/${id}/logs`, { headers: { authorization }, onFrame: (frame) => frames[index]?.push(frame), signal: AbortSignal.timeout(20_000) }).then((result) => {
        ended[index] = true;
        return result;
      }),
    );
    const statuses = (index: number) => (frames[index] ?? []).filter((frame) => frame.event === 'status').map((frame) => (JSON.parse(frame.data) as { status: string }).status);
    for (let attempt = 0; attempt < 400 && !(statuses(0).length > 0 && statuses(1).length > 0); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 25));
    expect([statuses(0), statuses(1)]).toEqual([['live'], ['live']]);
    // Asking for the same preview again extends it: an update, but no new status to report.
    expect((await deployments[0]?.again())?.id).toBe(ids[0]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(statuses(0)).toEqual(['live']);
    // The first ends; the second's stream stays open and hears nothing of it.
    await call('DELETE', `/v1/deployments/${ids[0]}`);
    await readers[0];
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ended).toEqual([true, false]);
    expect([statuses(0), statuses(1)]).toEqual([['live', 'destroyed'], ['live']]);
    await call('DELETE', `/v1/deployments/${ids[1]}`);
    await readers[1];
    expect(statuses(1)).toEqual(['live', 'destroyed']);
    ids.forEach((id, index) => {
      const logs = (frames[index] ?? []).filter((frame) => frame.event === 'log').map((frame) => JSON.parse(frame.data) as { deploymentId: string; sequence: number });
      expect(logs.length).toBeGreaterThan(0);
      expect(logs.every((log) => log.deploymentId === id)).toBe(true);
      expect(logs.map((log) => log.sequence)).toEqual(after(0, logs.length));
    });
  });
});
