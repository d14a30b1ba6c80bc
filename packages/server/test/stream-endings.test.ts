import { createEventBus, createMemoryStorage, createScriptedAgent, createStaticProvider, createVector, type AgentJobEvent, type Deployment, type DeploymentLog, type Vector, type VectorDatabaseConnection, type VectorEventBus, type VectorEvents, type VectorScope } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { afterEach, expect, it } from 'vitest';
import { buildServer, type EventFeed } from '../src/index.js';
import { jobsWithLiveStreams } from '../src/sse/stream-job-events.js';
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

/** The engine's bus, with a switch that drops every event (as a lost LISTEN connection does), or only events of the types given. */
function droppableBus() {
  const bus = createEventBus();
  let dropping: (type: string) => boolean = () => false;
  const events = { ...bus, emit: (type: never, event?: never) => (dropping(type) ? undefined : bus.emit(type, event as never)) } as VectorEventBus;
  return { events, drop: (value: boolean | Array<keyof VectorEvents>) => (dropping = typeof value === 'boolean' ? () => value : (type) => (value as string[]).includes(type)) };
}

/**
 * `vector` with its scopes' `method` of `api` (e.g. `agent`, `listJobEvents`) counted while
 * `counting` is set; the first call counted waits, its answer read, until `release()`.
 */
function heldReads(api: 'agent' | 'deployments', method: string) {
  const state = { counting: false, holding: false, calls: 0 };
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const wrap = (vector: Vector): Vector =>
    replaceMethods(vector, {
      [api]: {
        [method]: async (original: Original, args: unknown[]) => {
          if (!state.counting) return original(...args);
          state.calls += 1;
          const hold = state.holding;
          state.holding = false;
          const answer = await original(...args);
          if (hold) await released;
          return answer;
        },
      },
    });
  return { wrap, state, release: () => release() };
}

/** An {@link EventFeed} the test drives. */
function fakeFeed() {
  const listeners = new Set<() => void>();
  let healthy = true;
  const feed: EventFeed = { isHealthy: () => healthy, onResync: (listener) => (listeners.add(listener), () => listeners.delete(listener)) };
  return { feed, setHealthy: (value: boolean) => (healthy = value), resync: () => listeners.forEach((listener) => listener()), get listeners() { return listeners.size; } };
}

/** A scope API's own method, bound to it. */
type Original = (...args: unknown[]) => Promise<unknown>;
/** Stands in for a method: gets the method itself, the call's arguments and the unwrapped scope. */
type Replacement = (original: Original, args: unknown[], scope: VectorScope) => Promise<unknown>;

/**
 * `vector`, with the named methods of its scopes' `agent` and `deployments` APIs replaced (to make
 * their reads fail, hold or race); every other member is the scope's own.
 */
function replaceMethods(vector: Vector, replacements: Partial<Record<'agent' | 'deployments', Record<string, Replacement>>>): Vector {
  const own = <T extends object>(table: T, key: PropertyKey) => (typeof key === 'string' && Object.hasOwn(table, key) ? (table as Record<string, unknown>)[key] : undefined);
  const wrapScope = (scope: VectorScope): VectorScope =>
    new Proxy(scope, {
      get(scopeTarget, scopeProperty) {
        const api = Reflect.get(scopeTarget, scopeProperty) as object;
        const methods = own(replacements, scopeProperty) as Record<string, Replacement> | undefined;
        if (methods === undefined) return api;
        return new Proxy(api, {
          get(object, name) {
            const member = Reflect.get(object, name);
            if (typeof member !== 'function') return member;
            const original: Original = (...args) => member.apply(object, args);
            const replace = own(methods, name) as Replacement | undefined;
            return replace ? (...args: unknown[]) => replace(original, args, scopeTarget) : original;
          },
        });
      },
    });
  return new Proxy(vector, {
    get(target, property, receiver) {
      if (property !== 'scope') return Reflect.get(target, property, receiver);
      return (...args: Parameters<Vector['scope']>) => wrapScope(target.scope(...args));
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
    // Warnings and errors the server logs, parsed (without the console, which warns when it is not built).
    const logs: Array<{ level: number; msg: string; err?: { message: string }; jobId?: string; deploymentId?: string }> = [];
    const app = buildServer({ vector: options.vector ? options.vector(vector) : vector, rateLimit: false, console: false, logger: { level: 'warn', stream: { write: (line) => logs.push(JSON.parse(line)) } }, ...(options.eventFeed ? { eventFeed: options.eventFeed } : {}) });
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
    /** A live deployment of a first version. */
    const liveDeployment = async () => {
      await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: null, files: sampleFiles(), message: 'v1' });
      const deployment = await call('POST', `/v1/projects/${project.id}/deployments`, {});
      await until(async () => (await call('GET', `/v1/deployments/${deployment.id}`)).status === 'live', 'the deployment to go live');
      return (await call('GET', `/v1/deployments/${deployment.id}`)) as Deployment;
    };
    /** How many listeners the bus has for `type` (each open stream holds one for its updates). */
    const listening = (type: keyof VectorEvents) => vector.events.all.get(type)?.length ?? 0;
    return { vector, base, authorization, call, project, release: gated.release, logs, liveDeployment, listening };
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
    const updatesBefore = server.listening('job.updated');
    expect(jobsWithLiveStreams(server.vector.events)).toBe(0);
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
    expect(jobsWithLiveStreams(server.vector.events)).toBe(1);
    leaving.abort();
    await readers[0];
    await until(() => server.listening('job.updated') === updatesBefore + 1, 'the server to see the first client leave');
    expect(jobsWithLiveStreams(server.vector.events)).toBe(1);
    stepped.next();
    await until(() => logs[1]?.includes('three') === true, 'the remaining stream to get the next live line');
    expect(logs[0]).toEqual(['one', 'two']);
    stepped.release();
    const { frames } = await (readers[1] as Promise<{ frames: SseFrame[] }>);
    expect(frames.at(-1)?.event).toBe('done');
    expect(logs[1]).toEqual(['one', 'two', 'three']);
    // Both streams gone, the job's live route is gone too.
    await until(() => server.listening('job.updated') === updatesBefore, 'the server to see the stream end');
    expect(jobsWithLiveStreams(server.vector.events)).toBe(0);
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
    const failing = (original: Original, args: unknown[]) => (state.failing ? Promise.reject(new Error('database away')) : original(...args));
    const failingReads = (vector: Vector): Vector => replaceMethods(vector, { agent: { listJobEvents: failing }, deployments: { listLogs: failing } });
    const server = await start({ vector: failingReads });
    await server.call('POST', `/v1/projects/${server.project.id}/versions`, { parentVersionId: null, files: sampleFiles(), message: 'v1' });
    const deployment = await server.call('POST', `/v1/projects/${server.project.id}/deployments`, {});
    await until(async () => (await server.call('GET', `/v1/deployments/${deployment.id}`)).status === 'live', 'the deployment to go live');
    const jobId = await runningJob(server);
    state.failing = true;
    const patience = AbortSignal.timeout(8_000);
    const job = await readSse(`${server.base}/v1/jobs/${jobId}/events`, { headers: { authorization: server.authorization }, signal: patience });
    expect(job.status).toBe(200);
    expect(job.frames).toEqual([{ event: 'error', data: JSON.stringify({ error: { code: 'INTERNAL', message: 'The event stream failed; reconnect with Last-Event-ID' } }) }]);
    const logs = await readSse(`${server.base}/v1/deployments/${deployment.id}/logs`, { headers: { authorization: server.authorization }, signal: patience });
    expect(logs.status).toBe(200);
    expect(logs.frames.filter((frame) => frame.event === 'log')).toEqual([]);
    // The server ended both (the client did not give up waiting), and said why in its log.
    expect(patience.aborted).toBe(false);
    const warnings = server.logs.filter((line) => line.level === 40).map((line) => ({ msg: line.msg, error: line.err?.message, jobId: line.jobId, deploymentId: line.deploymentId }));
    expect(warnings).toEqual([
      { msg: 'job event stream failed', error: 'database away', jobId, deploymentId: undefined },
      { msg: 'deployment log stream failed', error: 'database away', jobId: undefined, deploymentId: deployment.id },
    ]);
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
      replaceMethods(vector, {
        deployments: {
          get: async (original: Original, args: unknown[], scope: VectorScope) => {
            if (!armed) return original(...args);
            armed = false;
            const stale = await original(...args);
            await scope.deployments.destroy(args[0] as string);
            return stale;
          },
        },
      });
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

  it('logs nothing for a read that fails after the client left', async () => {
    const reads = { skip: Number.POSITIVE_INFINITY, held: false };
    let fail: () => void = () => undefined;
    // The stream's read of the job or deployment (the second read, after the route's) waits for `fail()` and then fails.
    const held = async (original: Original, args: unknown[]) => {
      reads.skip -= 1;
      if (reads.skip !== -1) return original(...args);
      reads.held = true;
      await new Promise<void>((resolve) => (fail = resolve));
      throw new Error('database away');
    };
    const slowReads = (vector: Vector): Vector => replaceMethods(vector, { agent: { getJob: held }, deployments: { get: held } });
    const server = await start({ vector: slowReads });
    const deployment = await server.liveDeployment();
    const jobId = await runningJob(server);
    for (const [path, type] of [[`/v1/jobs/${jobId}/events`, 'job.updated'], [`/v1/deployments/${deployment.id}/logs`, 'deployment.updated']] as const) {
      const before = server.listening(type);
      Object.assign(reads, { skip: 1, held: false });
      const leaving = new AbortController();
      const reading = readSse(`${server.base}${path}`, { headers: { authorization: server.authorization }, signal: leaving.signal });
      await until(() => reads.held && server.listening(type) > before, 'the stream’s read');
      leaving.abort();
      // The client may leave before the response's headers reach it.
      await reading.catch(() => null);
      await until(() => server.listening(type) === before, 'the server to see the client leave');
      fail();
      // Whatever the failure leads to happens before the next request is served.
      await server.call('GET', `/v1/projects/${server.project.id}`);
    }
    expect(server.logs.filter((line) => line.level >= 40)).toEqual([]);
  });

  it('reports each new deployment state once, whatever order the bus delivers updates in', async () => {
    const server = await start();
    const live = await server.liveDeployment();
    const statuses: Array<{ status: string; url: string | null; error?: { code: string } | null }> = [];
    const patience = AbortSignal.timeout(8_000);
    const reading = readSse(`${server.base}/v1/deployments/${live.id}/logs`, {
      headers: { authorization: server.authorization },
      signal: patience,
      onFrame: (frame) => {
        if (frame.event === 'status') statuses.push(JSON.parse(frame.data));
      },
    });
    await until(() => statuses.length === 1, 'the current status');
    const at = (milliseconds: number) => new Date(Date.parse(live.updatedAt) + milliseconds).toISOString();
    const update = (changes: Partial<Deployment>) => server.vector.events.emit('deployment.updated', { organizationId: live.organizationId, projectId: live.projectId, deployment: { ...live, ...changes } });
    // Newer, but nothing a client sees changed: no event.
    update({ updatedAt: at(1) });
    update({ updatedAt: at(2), url: 'https://moved.example' });
    // Stamped the same moment as the last one: still news (timestamps are coarse).
    update({ updatedAt: at(2), url: 'https://same-moment.example' });
    update({ updatedAt: at(3), url: 'https://same-moment.example', error: { code: 'PROVIDER_ERROR', message: 'flaky' } });
    // Older than what was reported: the bus delivered it late.
    update({ updatedAt: at(-1), status: 'building', url: null, error: null });
    await server.call('DELETE', `/v1/deployments/${live.id}`);
    await reading;
    expect(patience.aborted).toBe(false);
    expect(statuses.map((each) => [each.status, each.url, each.error?.code])).toEqual([
      ['live', live.url, live.error?.code],
      ['live', 'https://moved.example', live.error?.code],
      ['live', 'https://same-moment.example', live.error?.code],
      ['live', 'https://same-moment.example', 'PROVIDER_ERROR'],
      ['destroyed', expect.anything(), undefined],
    ]);
  });

  it('follows a live deployment’s new log lines as they come, and only its own', async () => {
    const server = await start();
    const live = await server.liveDeployment();
    const stored = (await server.call('GET', `/v1/deployments/${live.id}/logs`)).items as Array<{ sequence: number; message: string }>;
    const lines: Array<{ sequence: number; message: string }> = [];
    const patience = AbortSignal.timeout(8_000);
    const reading = readSse(`${server.base}/v1/deployments/${live.id}/logs`, {
      headers: { authorization: server.authorization },
      signal: patience,
      onFrame: (frame) => {
        if (frame.event === 'log') lines.push(JSON.parse(frame.data));
      },
    });
    await until(() => lines.length === stored.length, 'the stored lines');
    const last = stored.at(-1) as DeploymentLog;
    const line = (deploymentId: string, message: string) => server.vector.events.emit('deployment.log', { organizationId: live.organizationId, projectId: live.projectId, deploymentId, log: { ...last, deploymentId, sequence: last.sequence + 1, source: 'runtime', message } });
    // Nothing else happens to the deployment: only the live path can bring these.
    line('dep_someone_else', 'another deployment’s line');
    line(live.id, 'a runtime line');
    await until(() => lines.some((each) => each.message === 'a runtime line'), 'the live line');
    expect(lines.map((each) => each.message)).toEqual([...stored.map((each) => each.message), 'a runtime line']);
    await server.call('DELETE', `/v1/deployments/${live.id}`);
    await reading;
    expect(patience.aborted).toBe(false);
  });

  it('re-reads the deployment after the event feed resyncs, and ends the log stream if it was destroyed meanwhile', async () => {
    const bus = droppableBus();
    const feed = fakeFeed();
    const server = await start({ events: bus.events, eventFeed: feed.feed });
    const live = await server.liveDeployment();
    const statuses: string[] = [];
    const patience = AbortSignal.timeout(8_000);
    const reading = readSse(`${server.base}/v1/deployments/${live.id}/logs`, {
      headers: { authorization: server.authorization },
      signal: patience,
      onFrame: (frame) => {
        if (frame.event === 'status') statuses.push(JSON.parse(frame.data).status);
      },
    });
    await until(() => statuses.length === 1 && feed.listeners > 0, 'the current status');
    bus.drop(true);
    await server.call('DELETE', `/v1/deployments/${live.id}`);
    expect((await server.call('GET', `/v1/deployments/${live.id}`)).status).toBe('destroyed');
    expect(statuses).toEqual(['live']);
    bus.drop(false);
    feed.resync();
    await reading;
    expect(patience.aborted).toBe(false);
    expect(statuses).toEqual(['live', 'destroyed']);
    expect(feed.listeners).toBe(0);
  });

  it('stops reading history for a client that left while a read was under way', async () => {
    for (const [api, method, type] of [['deployments', 'listLogs', 'deployment.updated'], ['agent', 'listJobEvents', 'job.updated']] as const) {
      const reads = heldReads(api, method);
      const server = await start({ vector: reads.wrap });
      const path = type === 'job.updated' ? `/v1/jobs/${await runningJob(server)}/events` : `/v1/deployments/${(await server.liveDeployment()).id}/logs`;
      const before = server.listening(type);
      Object.assign(reads.state, { counting: true, holding: true });
      const leaving = new AbortController();
      const reading = readSse(`${server.base}${path}`, { headers: { authorization: server.authorization }, signal: leaving.signal });
      await until(() => reads.state.calls === 1, 'the first read');
      leaving.abort();
      // The client may leave before the response's headers reach it.
      await reading.catch(() => null);
      await until(() => server.listening(type) === before, 'the server to see the client leave');
      reads.release();
      // The held page is not empty: a stream still reading would ask for the next one now.
      await server.call('GET', path.replace(/\/(events|logs)$/, ''));
      expect(reads.state.calls).toBe(1);
    }
  });

  it('ends a job stream once the job is over even when its terminal event is neither delivered nor found', async () => {
    const bus = droppableBus();
    const hidden = new Set(['done', 'failed', 'cancelled']);
    // A history without the terminal event (as after a partial restore), and no live events.
    const withoutEnd = (vector: Vector): Vector =>
      replaceMethods(vector, {
        agent: { listJobEvents: async (original: Original, args: unknown[]) => ((await original(...args)) as AgentJobEvent[]).filter((event) => !hidden.has(event.data.type)) },
      });
    const server = await start({ events: bus.events, vector: withoutEnd });
    const jobId = await runningJob(server);
    const seen: SseFrame[] = [];
    const patience = AbortSignal.timeout(8_000);
    const reading = readSse(`${server.base}/v1/jobs/${jobId}/events`, { headers: { authorization: server.authorization }, onFrame: (frame) => seen.push(frame), signal: patience });
    await until(() => seen.length >= 2, 'the replayed events');
    bus.drop(['job.event']);
    server.release();
    const { frames } = await reading;
    expect(patience.aborted).toBe(false);
    expect((await server.call('GET', `/v1/jobs/${jobId}`)).status).toBe('complete');
    expect(frames.map((frame) => frame.event)).not.toContain('done');
  });

  it('ends a job stream with its terminal event even when no job update arrives', async () => {
    const bus = droppableBus();
    const server = await start({ events: bus.events });
    const jobId = await runningJob(server);
    bus.drop(['job.updated']);
    const seen: SseFrame[] = [];
    const patience = AbortSignal.timeout(8_000);
    const reading = readSse(`${server.base}/v1/jobs/${jobId}/events`, { headers: { authorization: server.authorization }, onFrame: (frame) => seen.push(frame), signal: patience });
    await until(() => seen.length >= 2, 'the replayed events');
    server.release();
    const { frames } = await reading;
    expect(patience.aborted).toBe(false);
    expect(frames.at(-1)?.event).toBe('done');
  });

  it('reads nothing for job updates that do not end its job', async () => {
    const stepped = steppedAgent();
    const reads = heldReads('agent', 'getJob');
    const server = await start({ agent: stepped, vector: reads.wrap });
    const session = await server.call('POST', `/v1/projects/${server.project.id}/sessions`, {});
    const jobId = (await server.call('POST', `/v1/sessions/${session.id}/messages`, { content: 'hi' })).job.id as string;
    await until(async () => (await server.call('GET', `/v1/jobs/${jobId}/events`)).items?.some((event: { data: { message?: string } }) => event.data.message === 'one'), 'the first log line');
    const job = await server.call('GET', `/v1/jobs/${jobId}`);
    const messages: string[] = [];
    const patience = AbortSignal.timeout(8_000);
    const reading = readSse(`${server.base}/v1/jobs/${jobId}/events`, {
      headers: { authorization: server.authorization },
      signal: patience,
      onFrame: (frame) => {
        if (frame.event === 'log') messages.push(JSON.parse(frame.data).data.message);
      },
    });
    await until(() => messages.includes('one'), 'the replayed line');
    reads.state.counting = true;
    const updated = (changes: Record<string, unknown>) => server.vector.events.emit('job.updated', { organizationId: job.organizationId, projectId: job.projectId, job: { ...job, ...changes } });
    updated({ status: 'running' });
    updated({ id: 'job_someone_else', status: 'complete' });
    // Delivered after anything those updates would have queued.
    stepped.next();
    await until(() => messages.includes('two'), 'the next live line');
    expect(reads.state.calls).toBe(0);
    reads.state.counting = false;
    stepped.next();
    await until(() => messages.includes('three'), 'the last line');
    stepped.release();
    await reading;
    expect(patience.aborted).toBe(false);
  });

  it('replays to a reconnect after a finished job only what the client lacks, without reading the job again', async () => {
    const reads = heldReads('agent', 'getJob');
    const server = await start({ vector: reads.wrap });
    const jobId = await runningJob(server);
    server.release();
    await until(async () => (await server.call('GET', `/v1/jobs/${jobId}`)).status === 'complete', 'the job to complete');
    reads.state.counting = true;
    const { frames } = await readSse(`${server.base}/v1/jobs/${jobId}/events`, { headers: { authorization: server.authorization, 'last-event-id': '1' }, signal: AbortSignal.timeout(8_000) });
    expect(Number(frames[0]?.id)).toBe(2);
    expect(frames.at(-1)?.event).toBe('done');
    // The route's own look-up only: the replay delivered the end, so the stream had nothing to ask.
    expect(reads.state.calls).toBe(1);
  });

  it('answers 204 to a reconnect past the end of a finished job with an odd number of events', async () => {
    const stepped = steppedAgent();
    const server = await start({ agent: stepped });
    const session = await server.call('POST', `/v1/projects/${server.project.id}/sessions`, {});
    const jobId = (await server.call('POST', `/v1/sessions/${session.id}/messages`, { content: 'hi' })).job.id as string;
    await until(async () => {
      stepped.release();
      return (await server.call('GET', `/v1/jobs/${jobId}`)).status === 'complete';
    }, 'the job to complete');
    const events = (await server.call('GET', `/v1/jobs/${jobId}/events`)).items as unknown[];
    // With an even number, reading the history two events at a time would land on the last one too.
    expect(events.length % 2).toBe(1);
    const again = await readSse(`${server.base}/v1/jobs/${jobId}/events`, { headers: { authorization: server.authorization, 'last-event-id': '999' }, signal: AbortSignal.timeout(8_000) });
    expect(again.status).toBe(204);
  });
});
