import { createEventBus, createMemoryStorage, createScriptedAgent, createStaticProvider, createVector, type Vector, type VectorDatabaseConnection, type VectorEventBus } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { afterEach, expect, it } from 'vitest';
import { buildServer, type EventFeed } from '../src/index.js';
import { bootstrapOrganization, sampleFiles } from './server-fixture.js';
import { readSse, type SseFrame } from './sse-client.js';

/** An agent that reports progress, then waits for `release()` before finishing. */
function gatedAgent() {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const agent = createScriptedAgent({
    script: async function* () {
      yield { type: 'intent', intent: 'edit', detail: 'start' };
      yield { type: 'log', level: 'info', message: 'working' };
      await gate;
      yield { type: 'result', changes: [{ type: 'write', path: 'a.md', content: 'x' }], commitMessage: 'c', summary: 's', validationStatus: 'not_run' };
    },
  });
  return { agent, release };
}

/** An agent that logs `one`, waits for `next()`, logs `two`, waits for `next()` again, then finishes. */
function steppedAgent() {
  const gates: Array<() => void> = [];
  const gate = () => new Promise<void>((resolve) => gates.push(resolve));
  const agent = createScriptedAgent({
    script: async function* () {
      yield { type: 'log', level: 'info', message: 'one' };
      await gate();
      yield { type: 'log', level: 'info', message: 'two' };
      await gate();
      yield { type: 'log', level: 'info', message: 'three' };
      await gate();
      yield { type: 'result', changes: [{ type: 'write', path: 'a.md', content: 'x' }], commitMessage: 'c', summary: 's', validationStatus: 'not_run' };
    },
  });
  return { agent, next: () => gates.shift()?.(), release: () => gates.splice(0).forEach((open) => open()) };
}

/** The engine's bus, with a switch that drops every event (as a lost LISTEN connection does). */
function droppableBus() {
  const bus = createEventBus();
  let dropping = false;
  const events = { ...bus, emit: (type: never, event?: never) => (dropping ? undefined : bus.emit(type, event as never)) } as VectorEventBus;
  return { events, drop: (value: boolean) => (dropping = value) };
}

/** An {@link EventFeed} the test drives. */
function fakeFeed() {
  const listeners = new Set<() => void>();
  let healthy = true;
  const feed: EventFeed = { isHealthy: () => healthy, onResync: (listener) => (listeners.add(listener), () => listeners.delete(listener)) };
  return { feed, setHealthy: (value: boolean) => (healthy = value), resync: () => listeners.forEach((listener) => listener()), get listeners() { return listeners.size; } };
}

/** `vector`, with each scope it hands out passed through `wrap` (to make its reads fail or race). */
function wrapScope(vector: Vector, wrap: (scope: ReturnType<Vector['scope']>) => ReturnType<Vector['scope']>): Vector {
  return new Proxy(vector, {
    get(target, property, receiver) {
      if (property !== 'scope') return Reflect.get(target, property, receiver);
      return (...args: Parameters<Vector['scope']>) => wrap(target.scope(...args));
    },
  });
}

const until = async (check: () => Promise<boolean> | boolean, what: string) => {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describeEachDatabase('SSE streams always end after the job or deployment does', (database) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  });

  async function start(options: { vector?: (vector: Vector) => Vector; events?: VectorEventBus; eventFeed?: EventFeed; agent?: { agent: ReturnType<typeof createScriptedAgent>; release: () => void } } = {}) {
    const connection: VectorDatabaseConnection = await database.create();
    const gated = options.agent ?? gatedAgent();
    const vector = createVector({ database: connection, storage: [createMemoryStorage()], providers: [createStaticProvider()], agents: [gated.agent], deploymentPollIntervalMs: 20, jobHeartbeatMs: 50, ...(options.events ? { events: options.events } : {}) });
    const app = buildServer({ vector: options.vector ? options.vector(vector) : vector, rateLimit: false, ...(options.eventFeed ? { eventFeed: options.eventFeed } : {}) });
    cleanup.push(async () => {
      gated.release();
      await app.close();
      await vector.dispose();
      await connection.destroy();
    });
    await vector.start();
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const { key } = await bootstrapOrganization(app, 'Streams');
    const authorization = `Bearer ${key}`;
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, { method, headers: { authorization, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return response.json() as Promise<any>;
    };
    const project = await call('POST', '/v1/projects', { name: 'p' });
    return { vector, base, authorization, call, project, release: gated.release };
  }

  async function runningJob(server: Awaited<ReturnType<typeof start>>, projectId: string = server.project.id) {
    const session = await server.call('POST', `/v1/projects/${projectId}/sessions`, {});
    const posted = await server.call('POST', `/v1/sessions/${session.id}/messages`, { content: 'hi' });
    const jobId = posted.job.id as string;
    await until(async () => (await server.call('GET', `/v1/jobs/${jobId}/events`)).items?.length >= 2, 'the job to report progress');
    return jobId;
  }

  it('delivers each live event to every stream of its job as it happens, and keeps serving the others when one client leaves', async () => {
    const stepped = steppedAgent();
    const server = await start({ agent: stepped });
    const session = await server.call('POST', `/v1/projects/${server.project.id}/sessions`, {});
    const jobId = (await server.call('POST', `/v1/sessions/${session.id}/messages`, { content: 'hi' })).job.id as string;
    await until(async () => (await server.call('GET', `/v1/jobs/${jobId}/events`)).items?.some((event: { data: { message?: string } }) => event.data.message === 'one'), 'the first log line');
    const listenersBefore = server.vector.events.all.get('job.event')?.length ?? 0;
    const logs = [new Array<string>(), new Array<string>()];
    const leaving = new AbortController();
    const readers = logs.map((seen, index) =>
      readSse(`${server.base}/v1/jobs/${jobId}/events`, {
        headers: { authorization: server.authorization },
        signal: index === 0 ? AbortSignal.any([leaving.signal, AbortSignal.timeout(8_000)]) : AbortSignal.timeout(8_000),
        onFrame: (frame) => {
          if (frame.event === 'log') seen.push(JSON.parse(frame.data).data.message);
        },
      }),
    );
    await until(() => logs.every((seen) => seen.includes('one')), 'both streams to replay the first line');
    // One bus listener serves every stream of the engine, however many are open.
    expect(server.vector.events.all.get('job.event')?.length).toBeLessThanOrEqual(listenersBefore + 1);
    // The job is still running: only a live delivery can bring `two` now.
    stepped.next();
    await until(() => logs.every((seen) => seen.includes('two')), 'both streams to get the live line');
    expect((await server.call('GET', `/v1/jobs/${jobId}`)).status).toBe('running');
    leaving.abort();
    await readers[0];
    stepped.next();
    await until(() => logs[1]?.includes('three') === true, 'the remaining stream to get the next live line');
    expect(logs[0]).toEqual(['one', 'two']);
    stepped.release();
    const { frames } = await (readers[1] as Promise<{ frames: SseFrame[] }>);
    expect(frames.at(-1)?.event).toBe('done');
    expect(logs[1]).toEqual(['one', 'two', 'three']);
  });

  it('ends a job stream whose Last-Event-ID is beyond the last event once the job is done', async () => {
    const server = await start();
    const jobId = await runningJob(server);
    const subscribers = () => server.vector.events.all.get('job.event')?.length ?? 0;
    const before = subscribers();
    const reading = readSse(`${server.base}/v1/jobs/${jobId}/events`, { headers: { authorization: server.authorization, 'last-event-id': '999' }, signal: AbortSignal.timeout(8_000) });
    await until(() => subscribers() > before, 'the stream to subscribe');
    server.release();
    const { frames } = await reading;
    expect(frames.at(-1)?.event).toBe('done');
    // Only events after the job's real last one at connection time: none of the two it had.
    expect(frames.every((frame) => Number(frame.id) > 2)).toBe(true);
    // A finished job with an id past its end answers 204 at once (browsers stop reconnecting).
    const again = await readSse(`${server.base}/v1/jobs/${jobId}/events`, { headers: { authorization: server.authorization, 'last-event-id': '999' }, signal: AbortSignal.timeout(8_000) });
    expect(again.status).toBe(204);
    expect(again.frames).toEqual([]);
  });

  it('streams two jobs at once, several clients each: every stream carries its own job only, in order, to the end', async () => {
    const server = await start();
    // A project's jobs run one at a time: two running at once are two projects' jobs.
    const other = await server.call('POST', '/v1/projects', { name: 'Second' });
    const jobs = [await runningJob(server), await runningJob(server, other.id as string)];
    const readers = jobs.flatMap((jobId) =>
      [0, 1, 2].map(async () => ({ jobId, ...(await readSse(`${server.base}/v1/jobs/${jobId}/events`, { headers: { authorization: server.authorization }, signal: AbortSignal.timeout(8_000) })) })),
    );
    await until(async () => (await Promise.all(jobs.map((jobId) => server.call('GET', `/v1/jobs/${jobId}/events`)))).every((page) => page.items.length >= 2), 'both jobs to be running');
    server.release();
    for (const { jobId, frames } of await Promise.all(readers)) {
      expect(frames.at(-1)?.event).toBe('done');
      expect(frames.filter((frame) => frame.event === 'log')).toHaveLength(1);
      const ids = frames.map((frame) => Number(frame.id));
      expect(ids).toEqual(ids.map((_, index) => index + 1));
      expect(frames.every((frame) => JSON.parse(frame.data).jobId === jobId)).toBe(true);
    }
  });

  it('re-reads missed job events after the event feed resyncs, and readiness reports the gap', async () => {
    const bus = droppableBus();
    const feed = fakeFeed();
    const server = await start({ events: bus.events, eventFeed: feed.feed });
    const jobId = await runningJob(server);
    const seen: SseFrame[] = [];
    const reading = readSse(`${server.base}/v1/jobs/${jobId}/events`, { headers: { authorization: server.authorization }, onFrame: (frame) => seen.push(frame), signal: AbortSignal.timeout(8_000) });
    await until(() => seen.length >= 2 && feed.listeners > 0, 'the replayed events');
    // Events are lost from here on: the job finishes unseen.
    bus.drop(true);
    feed.setHealthy(false);
    server.release();
    await until(async () => (await server.call('GET', `/v1/jobs/${jobId}`)).status === 'complete', 'the job to complete');
    const notReady = await fetch(`${server.base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'unavailable', checks: { database: 'ok', events: 'reconnecting' } });
    expect(seen.map((frame) => frame.event)).not.toContain('done');
    bus.drop(false);
    feed.setHealthy(true);
    feed.resync();
    const { frames } = await reading;
    expect(frames.at(-1)?.event).toBe('done');
    const ids = frames.map((frame) => Number(frame.id));
    expect(ids).toEqual(ids.map((_, index) => index + 1));
    expect((await fetch(`${server.base}/readyz`)).status).toBe(200);
    expect(feed.listeners).toBe(0);
  });

  it('ends a stream whose reads fail: a job stream with an error event saying to reconnect, a log stream at once', async () => {
    const state = { failing: false };
    // Reads of job events and deployment logs fail while `failing` is set (as with the database away).
    const failingReads = (vector: Vector): Vector =>
      wrapScope(vector, (scope) => {
        const failing = <T extends object>(api: T, method: string) =>
          new Proxy(api, {
            get(object, name) {
              const value = Reflect.get(object, name);
              if (typeof value !== 'function') return value;
              if (name !== method) return value.bind(object);
              return (...callArgs: unknown[]) => (state.failing ? Promise.reject(new Error('database away')) : (value as (...a: unknown[]) => unknown).apply(object, callArgs));
            },
          });
        return new Proxy(scope, {
          get(scopeTarget, scopeProperty) {
            if (scopeProperty === 'agent') return failing(scopeTarget.agent, 'listJobEvents');
            if (scopeProperty === 'deployments') return failing(scopeTarget.deployments, 'listLogs');
            return Reflect.get(scopeTarget, scopeProperty);
          },
        });
      });
    const server = await start({ vector: failingReads });
    await server.call('POST', `/v1/projects/${server.project.id}/versions`, { parentVersionId: null, files: sampleFiles(), message: 'v1' });
    const deployment = await server.call('POST', `/v1/projects/${server.project.id}/deployments`, {});
    await until(async () => (await server.call('GET', `/v1/deployments/${deployment.id}`)).status === 'live', 'the deployment to go live');
    const jobId = await runningJob(server);
    state.failing = true;
    const job = await readSse(`${server.base}/v1/jobs/${jobId}/events`, { headers: { authorization: server.authorization }, signal: AbortSignal.timeout(8_000) });
    expect(job.status).toBe(200);
    expect(job.frames).toEqual([{ event: 'error', data: JSON.stringify({ error: { code: 'INTERNAL', message: 'The event stream failed; reconnect with Last-Event-ID' } }) }]);
    const logs = await readSse(`${server.base}/v1/deployments/${deployment.id}/logs`, { headers: { authorization: server.authorization }, signal: AbortSignal.timeout(8_000) });
    expect(logs.status).toBe(200);
    expect(logs.frames.filter((frame) => frame.event === 'log')).toEqual([]);
    // Both ended by the server while the job runs and the deployment is live.
    state.failing = false;
    expect((await server.call('GET', `/v1/jobs/${jobId}`)).status).toBe('running');
    expect((await server.call('GET', `/v1/deployments/${deployment.id}`)).status).toBe('live');
  });

  it('reports a deployment status that changed between the route read and the subscription', async () => {
    let armed = false;
    // Reproduces the race: the route's read sees the deployment live, and it is destroyed
    // (and the event emitted) before the stream subscribes.
    const racing = (vector: Vector): Vector =>
      wrapScope(vector, (scope) =>
        new Proxy(scope, {
          get(scopeTarget, scopeProperty) {
            if (scopeProperty !== 'deployments') return Reflect.get(scopeTarget, scopeProperty);
            return new Proxy(scopeTarget.deployments, {
              get(deployments, name) {
                if (name !== 'get' || !armed) return Reflect.get(deployments, name);
                return async (id: string) => {
                  armed = false;
                  const stale = await deployments.get(id);
                  await deployments.destroy(id);
                  return stale;
                };
              },
            });
          },
        }),
      );
    const server = await start({ vector: racing });
    await server.call('POST', `/v1/projects/${server.project.id}/versions`, { parentVersionId: null, files: sampleFiles(), message: 'v1' });
    const deployment = await server.call('POST', `/v1/projects/${server.project.id}/deployments`, {});
    await until(async () => (await server.call('GET', `/v1/deployments/${deployment.id}`)).status === 'live', 'the deployment to go live');
    armed = true;
    const { frames } = await readSse(`${server.base}/v1/deployments/${deployment.id}/logs`, { headers: { authorization: server.authorization }, signal: AbortSignal.timeout(8_000) });
    expect(armed).toBe(false);
    const statuses = frames.filter((frame) => frame.event === 'status').map((frame) => JSON.parse(frame.data).status);
    expect(statuses.at(-1)).toBe('destroyed');
    expect(statuses).not.toContain('building');
  });
});
