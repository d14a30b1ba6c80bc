import { describeEachDatabase } from '@vector/core/testing';
import type { Kysely } from 'kysely';
import { expect, it } from 'vitest';
import { createStreamTokens } from '../src/auth/stream-tokens.js';
import type { ServerDatabase } from '../src/index.js';
import { useServer } from './server-fixture.js';
import { readSse } from './sse-client.js';

const logLines: string[] = [];

describeEachDatabase('stream tokens and the end of a job stream', (database) => {
  const get = useServer(database, { logger: { level: 'info', stream: { write: (line: string) => void logLines.push(line) } } });

  /** A finished job of organization A. */
  async function finishedJob() {
    const { call, vector, organizationId } = get();
    const project = (await call('POST', '/v1/projects', { name: 'p' })).json;
    const session = (await call('POST', `/v1/projects/${project.id}/sessions`, {})).json;
    const posted = (await call('POST', `/v1/sessions/${session.id}/messages`, { content: 'hi' })).json;
    await vector.scope({ organizationId, actor: { type: 'system', id: 'test' } }).agent.waitForJob(posted.job.id, { timeoutMs: 10_000 });
    return posted.job.id as string;
  }
  const events = (jobId: string, token: string, headers: Record<string, string> = {}) =>
    get().app.inject({ method: 'GET', url: `/v1/jobs/${jobId}/events?access_token=${encodeURIComponent(token)}`, headers: { accept: 'application/json', ...headers } });

  it("opens that job's event stream only, for ten minutes, and never reaches the logs", async () => {
    const { call, app, key, otherKey } = get();
    const jobId = await finishedJob();
    const otherJobId = await finishedJob();
    const minted = await call('POST', `/v1/jobs/${jobId}/stream-token`);
    expect(minted.status).toBe(201);
    const lifetime = Date.parse(minted.json.expiresAt) - Date.now();
    expect(lifetime).toBeGreaterThan(9 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(10 * 60_000);
    const token = minted.json.token as string;

    const read = await events(jobId, token);
    expect(read.statusCode).toBe(200);
    expect(read.json().items.at(-1).data.type).toBe('done');
    // Nowhere else: another job's stream, the job itself, other routes, or as a bearer token.
    expect((await events(otherJobId, token)).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: `/v1/jobs/${jobId}?access_token=${token}` })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: `/v1/jobs/${jobId}/steps?access_token=${token}` })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: `/v1/jobs/${jobId}/events`, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } })).statusCode).toBe(401);
    // A bad token is refused even beside a good header; a tampered one is refused.
    const tampered = `${token.slice(0, -3)}${token.endsWith('A') ? 'B' : 'A'}AA`;
    expect((await events(jobId, tampered)).statusCode).toBe(401);
    expect((await events(jobId, 'garbage', { authorization: `Bearer ${key}` })).statusCode).toBe(401);
    // Another organization cannot mint one for the job.
    expect((await call('POST', `/v1/jobs/${jobId}/stream-token`, undefined, otherKey)).status).toBe(404);
    // The URL's token is redacted in the request logs.
    const logged = logLines.filter((line) => line.includes(`/v1/jobs/${jobId}/events`));
    expect(logged.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toContain(token);
    expect(logged.some((line) => line.includes('access_token=[redacted]'))).toBe(true);
  });

  it('refuses an expired token', async () => {
    const { call, vector } = get();
    const jobId = await finishedJob();
    // Made eleven minutes ago with the server's own key (the same database).
    const earlier = createStreamTokens(vector.db as Kysely<ServerDatabase>, () => new Date(Date.now() - 11 * 60_000));
    const organization = (await call('GET', '/v1/organization')).json;
    const stale = await earlier.issue({ organizationId: organization.id, stream: { kind: 'job', id: jobId }, actor: { type: 'api_key', id: 'k' } });
    expect((await events(jobId, stale.token)).statusCode).toBe(401);
    const fresh = createStreamTokens(vector.db as Kysely<ServerDatabase>);
    expect((await events(jobId, (await fresh.issue({ organizationId: organization.id, stream: { kind: 'job', id: jobId }, actor: { type: 'api_key', id: 'k' } })).token)).statusCode).toBe(200);
  });

  it('answers 204 to a reconnect once the job is over and the client has every event', async () => {
    const { app, key } = get();
    const jobId = await finishedJob();
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const authorization = `Bearer ${key}`;
    // A first request gets every event, ending with `done`.
    const first = await readSse(`${base}/v1/jobs/${jobId}/events`, { headers: { authorization }, signal: AbortSignal.timeout(8_000) });
    expect(first.status).toBe(200);
    const last = first.frames.at(-1);
    expect(last?.event).toBe('done');
    // At or past the terminal event: 204, no stream.
    for (const lastEventId of [last?.id ?? '', String(Number(last?.id) + 5)]) {
      const again = await readSse(`${base}/v1/jobs/${jobId}/events`, { headers: { authorization, 'last-event-id': lastEventId }, signal: AbortSignal.timeout(8_000) });
      expect({ lastEventId, status: again.status, frames: again.frames }).toEqual({ lastEventId, status: 204, frames: [] });
    }
    // One short of the end still gets what it lacks.
    const behind = await readSse(`${base}/v1/jobs/${jobId}/events`, { headers: { authorization, 'last-event-id': String(Number(last?.id) - 1) }, signal: AbortSignal.timeout(8_000) });
    expect(behind.frames.map((frame) => frame.event)).toEqual(['done']);
  });

  it("opens a deployment's log stream in a browser's way (EventSource, no header), that deployment's only", async () => {
    const { call, app, otherKey } = get();
    const jobId = await finishedJob();
    const job = (await call('GET', `/v1/jobs/${jobId}`)).json;
    const deployment = (await call('POST', `/v1/projects/${job.projectId}/deployments`, { environment: 'preview' })).json;
    // (A second preview of the same version would be the same deployment, reused.)
    const other = (await call('POST', `/v1/projects/${job.projectId}/deployments`, { environment: 'production' })).json;
    expect(other.id).not.toBe(deployment.id);
    const minted = await call('POST', `/v1/deployments/${deployment.id}/stream-token`);
    expect(minted.status).toBe(201);
    const token = minted.json.token as string;
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    // What EventSource sends: Accept text/event-stream and the token in the URL, nothing else.
    const stream = await readSse(`${base}/v1/deployments/${deployment.id}/logs?access_token=${encodeURIComponent(token)}`, { signal: AbortSignal.timeout(8_000) });
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    // Not another deployment's logs, not the deployment itself, not a job's events.
    expect((await app.inject({ method: 'GET', url: `/v1/deployments/${other.id}/logs?access_token=${token}` })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: `/v1/deployments/${deployment.id}?access_token=${token}` })).statusCode).toBe(401);
    expect((await events(jobId, token)).statusCode).toBe(401);
    // Nor does a job's token open the deployment's logs.
    const jobToken = (await call('POST', `/v1/jobs/${jobId}/stream-token`)).json.token as string;
    expect((await app.inject({ method: 'GET', url: `/v1/deployments/${deployment.id}/logs?access_token=${jobToken}` })).statusCode).toBe(401);
    // Another organization cannot mint one.
    expect((await call('POST', `/v1/deployments/${deployment.id}/stream-token`, undefined, otherKey)).status).toBe(404);
  });
});
