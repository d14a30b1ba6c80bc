import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { type EverythingServer, startEverythingServer } from '../../../../../test-support/mcp-everything.js';
import { digestStepInput } from '../../helpers/step-replay.js';
import { createMemoryStorage } from '../../reference/index.js';
import type { AgentToolResult } from '../../plugins/agent.js';
import type { Project } from '../../schemas/project.js';
import { type EngineFixture, useEngine } from '../../testing/engine-fixture.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { createEngineContext, type EngineContext } from '../engine-context.js';
import { createInProcessQueue } from '../jobs/in-process-queue.js';
import { createEngineTelemetry } from '../telemetry/engine-telemetry.js';
import { createPriceTable } from '../usage/model-prices.js';
import { createJobToolbox, type JobToolbox } from './job-toolbox.js';
import { createNetworkGuard, type NetworkGuard } from './network-guard.js';
import { createSecretBox } from './secret-box.js';

let everything: EverythingServer;
beforeAll(async () => {
  everything = await startEverythingServer({ resolveFrom: import.meta.url });
}, 30_000);
afterAll(() => everything?.stop());

// What went over the wire to the MCP server: each request's JSON-RPC method and the signal that
// ends it (the SDK's transport aborts it when the session closes). `fetch` itself is untouched.
const traffic: Array<{ method: string | null; signal: AbortSignal | null }> = [];
const realFetch = globalThis.fetch;
beforeEach(() => {
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    if (String(input instanceof Request ? input.url : input).startsWith(everything.url)) {
      let method: string | null = null;
      try {
        method = typeof init?.body === 'string' ? ((JSON.parse(init.body) as { method?: string }).method ?? null) : null;
      } catch {
        method = null;
      }
      traffic.push({ method, signal: init?.signal ?? null });
    }
    return realFetch(input, init);
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  traffic.length = 0;
});
const sessionsOpened = () => traffic.filter((request) => request.method === 'initialize').length;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  for (let waited = 0; !check() && waited < timeoutMs; waited += 20) await sleep(20);
  expect(check()).toBe(true);
}

describeEachDatabase('a job toolbox', (database) => {
  const engine = useEngine(database, { overrides: { connectors: { allowPrivateHosts: ['127.0.0.1'] } } });

  /** A toolbox on the fixture's database, with its own limits, network guard, tracer and job signal. */
  interface Harness {
    fixture: EngineFixture;
    project: Project;
    context: EngineContext;
    toolbox: JobToolbox;
    job: AbortController;
    jobId: string;
    spans: () => ReadableSpan[];
    /** While true, the network guard refuses every request (as it would an address it does not allow). */
    refuse: { on: boolean };
    warnings: string[];
  }
  const open: JobToolbox[] = [];
  afterEach(async () => {
    for (const toolbox of open.splice(0)) await toolbox.close();
  });

  async function harness(options: { callTimeoutMs?: number; maxResultBytes?: number; connectorName?: string } = {}): Promise<Harness> {
    const fixture = engine();
    const project = await fixture.scope.projects.create({ name: 'Tools' });
    const connector = await fixture.scope.connectors.create({ projectId: project.id, name: 'everything', url: everything.url });
    // Names are validated on the way in (at most 31 characters); an older row may hold any.
    if (options.connectorName) await fixture.vector.db.updateTable('vector_mcp_connectors').set({ name: options.connectorName }).where('id', '=', connector.id).execute();
    const refuse = { on: false };
    const allowing = createNetworkGuard(['127.0.0.1']);
    const guard: NetworkGuard = { ...allowing, check: async (url) => (refuse.on ? { code: 'BLOCKED_ADDRESS', message: 'the test refuses this address' } : allowing.check(url)) };
    const exporter = new InMemorySpanExporter();
    const context = createEngineContext({
      db: fixture.vector.db,
      dialect: fixture.vector.dialect,
      events: fixture.vector.events,
      storage: new Map([['memory', createMemoryStorage()]]),
      defaultStorage: 'memory',
      providers: new Map(),
      defaultProvider: null,
      agents: new Map(),
      defaultAgent: null,
      sourceMirror: null,
      queue: createInProcessQueue(),
      settings: {
        previewTtlSeconds: 86_400,
        jobBudget: { maxSteps: 50, maxTokens: 500_000, maxCostUsd: null },
        deploymentPollIntervalMs: 1000,
        deploymentMaxPollIntervalMs: 30_000,
        deploymentMaxPollFailures: 10,
        reaperIntervalMs: 60_000,
        jobHeartbeatMs: 3000,
        jobStaleAfterMs: 10_000,
        jobSweepIntervalMs: 5000,
        jobCancelGraceMs: 5000,
        fileListingCacheEntries: 0,
        roles: ['api'],
        connectors: { allowPrivateHosts: ['127.0.0.1'], stdio: [], callTimeoutMs: options.callTimeoutMs ?? 20_000, maxResultBytes: options.maxResultBytes ?? 300 },
      },
      prices: createPriceTable(),
      telemetry: createEngineTelemetry({ tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }) }),
      secretBox: createSecretBox([]),
      networkGuard: guard,
      now: () => new Date(),
    });
    const job = new AbortController();
    const jobId = context.newId();
    const toolbox = createJobToolbox(context, { id: jobId, organizationId: fixture.organizationId, projectId: project.id, sessionId: 'session-1', actor: { type: 'agent', id: 'tools' }, signal: job.signal });
    open.push(toolbox);
    const warnings: string[] = [];
    fixture.vector.events.on('warning', (event) => warnings.push(`${event.code}: ${event.message}`));
    // Only what the toolbox sends counts (not the health check that registering made).
    traffic.length = 0;
    return { fixture, project, context, toolbox, job, jobId, spans: () => exporter.getFinishedSpans(), refuse, warnings };
  }

  async function auditRows(fixture: EngineFixture) {
    return (await fixture.scope.audit.list({ action: 'connector.call' })).items;
  }

  it('names tools <connector>__<tool>, cut to 64 characters, and calls them by that name', async () => {
    const name = `c${'o'.repeat(59)}`;
    const { toolbox } = await harness({ connectorName: name });
    const names = (await toolbox.list()).map((tool) => tool.name);
    expect(names).toContain(`${name}__ec`);
    expect(names.every((toolName) => toolName.length <= 64)).toBe(true);
    expect(await toolbox.call({ name: `${name}__ec`, arguments: { message: 'long' } })).toMatchObject({ ok: true, content: 'Echo: long' });
  });

  it('returns a result of exactly the byte limit whole, and says how much a longer one was cut', async () => {
    const { toolbox } = await harness({ maxResultBytes: 300 });
    const exact = await toolbox.call({ name: 'everything__echo', arguments: { message: 'x'.repeat(294) } });
    expect(exact).toMatchObject({ ok: true, content: `Echo: ${'x'.repeat(294)}`, truncated: false });
    const longer = await toolbox.call({ name: 'everything__echo', arguments: { message: 'x'.repeat(295) } });
    expect(longer).toMatchObject({ ok: true, content: `Echo: ${'x'.repeat(294)}\n[cut: the result was 301 bytes; the limit is 300]`, truncated: true });
  });

  it('drops only the character broken by the cut, at the end, and keeps a replacement character the result had', async () => {
    const { toolbox } = await harness({ maxResultBytes: 300 });
    // "Echo: " (6 bytes) + U+FFFD (3) + 290 × "x" = 299 bytes; the cut falls inside "€" (3 bytes).
    const message = `\uFFFD${'x'.repeat(290)}€ and more`;
    const result = await toolbox.call({ name: 'everything__echo', arguments: { message } });
    const total = Buffer.byteLength(`Echo: ${message}`);
    expect(result).toMatchObject({ ok: true, truncated: true, content: `Echo: \uFFFD${'x'.repeat(290)}\n[cut: the result was ${total} bytes; the limit is 300]` });
  });

  it('opens one connection per connector for the whole job, and close() ends it', async () => {
    const { toolbox } = await harness();
    await toolbox.list();
    expect((await toolbox.call({ name: 'everything__echo', arguments: { message: 'one' } })).ok).toBe(true);
    expect((await toolbox.call({ name: 'everything__echo', arguments: { message: 'two' } })).ok).toBe(true);
    expect(sessionsOpened()).toBe(1);
    expect(traffic.some((request) => request.signal?.aborted)).toBe(false);
    await toolbox.close();
    expect(traffic.length).toBeGreaterThan(0);
    expect(traffic.every((request) => request.signal?.aborted === true)).toBe(true);
    // A call after close() opens a new connection.
    expect(await toolbox.call({ name: 'everything__echo', arguments: { message: 'three' } })).toMatchObject({ ok: true, content: 'Echo: three' });
    expect(sessionsOpened()).toBe(2);
  });

  it('closes a connection that failed a call, opens another on the next call, and tries again after a failed open', async () => {
    const { toolbox, refuse, fixture } = await harness();
    await toolbox.list();
    const before = traffic.length;
    refuse.on = true;
    const failed = await toolbox.call({ name: 'everything__echo', arguments: { message: 'refused' } });
    expect(failed).toEqual({ ok: false, content: 'The tool call failed: the test refuses this address', truncated: false, error: { code: 'BLOCKED_ADDRESS', message: 'the test refuses this address' }, durationMs: expect.any(Number) });
    // The broken connection was closed.
    await until(() => traffic.slice(0, before).every((request) => request.signal?.aborted === true));
    // Opening again fails while the guard refuses (here in a call its caller had already given up,
    // so nothing else forgets the failed connection)...
    const gaveUp = new AbortController();
    gaveUp.abort(new Error('given up'));
    await expect(toolbox.call({ name: 'everything__echo', arguments: { message: 'still refused' }, signal: gaveUp.signal })).rejects.toThrow();
    refuse.on = false;
    // ...and is tried again once it does not.
    expect(await toolbox.call({ name: 'everything__echo', arguments: { message: 'back' } })).toMatchObject({ ok: true, content: 'Echo: back' });
    expect(sessionsOpened()).toBe(2);
    const rows = await auditRows(fixture);
    expect(rows.map((row) => (row.data as { error?: { code: string } }).error?.code ?? 'ok').sort()).toEqual(['BLOCKED_ADDRESS', 'CANCELLED', 'ok']);
  });

  it('leaves out a connector it cannot reach, with a warning, and rethrows when the job was cancelled', async () => {
    const first = await harness();
    first.refuse.on = true;
    expect(await first.toolbox.list()).toEqual([]);
    expect(first.warnings).toEqual([`CONNECTOR_UNAVAILABLE: Connector everything is left out of job ${first.jobId}: BLOCKED_ADDRESS: the test refuses this address`]);

    const second = await harness();
    second.job.abort(new Error('job cancelled'));
    await expect(second.toolbox.list()).rejects.toThrow();
    expect(second.warnings).toEqual([]);
  });

  it('ends a call that outlasts the timeout as TIMEOUT and keeps the connection', async () => {
    const { toolbox, fixture } = await harness({ callTimeoutMs: 600 });
    await toolbox.list();
    const slow = await toolbox.call({ name: 'everything__trigger-long-running-operation', arguments: { duration: 10, steps: 5 } });
    expect(slow).toEqual({ ok: false, content: 'The tool call failed: The tool did not answer within 600 ms', truncated: false, error: { code: 'TIMEOUT', message: 'The tool did not answer within 600 ms' }, durationMs: expect.any(Number) });
    expect(slow.durationMs).toBeGreaterThanOrEqual(500);
    expect(slow.durationMs).toBeLessThan(8_000);
    expect(await toolbox.call({ name: 'everything__echo', arguments: { message: 'after' } })).toMatchObject({ ok: true, content: 'Echo: after' });
    expect(sessionsOpened()).toBe(1);
    expect(traffic.some((request) => request.signal?.aborted)).toBe(false);
    expect((await auditRows(fixture)).map((row) => (row.data as { error?: { code: string } }).error?.code ?? 'ok').sort()).toEqual(['TIMEOUT', 'ok']);
  });

  it('sends arguments that are not a plain object as {}', async () => {
    const { toolbox, fixture } = await harness();
    for (const value of [['a'], null, 'text', 7]) {
      await toolbox.call({ name: 'everything__echo', arguments: value as unknown as Record<string, unknown> });
    }
    await toolbox.call({ name: 'everything__echo', arguments: { message: 'plain' } });
    const digests = (await auditRows(fixture)).map((row) => (row.data as { argumentsDigest: string }).argumentsDigest);
    expect(digests.sort()).toEqual([...Array(4).fill(digestStepInput({})), digestStepInput({ message: 'plain' })].sort());
  });

  it('answers a tool it does not know with UNKNOWN_TOOL, audited under the name split at the first __', async () => {
    const { toolbox, fixture, jobId, spans } = await harness();
    const result = await toolbox.call({ name: 'other__some__tool', arguments: {} });
    expect(result).toEqual({ ok: false, content: 'No tool named other__some__tool is available to this job.', truncated: false, error: { code: 'UNKNOWN_TOOL', message: 'No tool named other__some__tool' }, durationMs: expect.any(Number) });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.durationMs).toBeLessThan(10_000);
    const [row] = await auditRows(fixture);
    expect(row).toMatchObject({ entityType: 'connector', entityId: 'other', data: { connector: 'other', tool: 'some__tool', jobId, ok: false, error: { code: 'UNKNOWN_TOOL', message: 'No tool named other__some__tool' } } });
    const [span] = spans();
    expect(span?.attributes).toEqual({ 'vector.job.id': jobId, 'vector.connector.name': 'other', 'vector.tool.name': 'some__tool', 'vector.mcp.ok': false, 'error.type': 'UNKNOWN_TOOL' });
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'UNKNOWN_TOOL' });
  });

  it('records each call as an ended vector.mcp.call client span: connector, tool and outcome', async () => {
    const { toolbox, jobId, spans } = await harness();
    const ok: AgentToolResult = await toolbox.call({ name: 'everything__echo', arguments: { message: 'traced' } });
    expect(ok.durationMs).toBeGreaterThanOrEqual(0);
    expect(ok.durationMs).toBeLessThan(10_000);
    await toolbox.call({ name: 'everything__get-sum', arguments: { a: 'two', b: 3 } });
    const [first, second] = spans();
    expect(first).toMatchObject({ name: 'vector.mcp.call', kind: SpanKind.CLIENT, ended: true });
    expect(first?.attributes).toEqual({ 'vector.job.id': jobId, 'vector.connector.name': 'everything', 'vector.tool.name': 'echo', 'vector.mcp.ok': true });
    expect(first?.status.code).toBe(SpanStatusCode.UNSET);
    expect(second?.attributes).toEqual({ 'vector.job.id': jobId, 'vector.connector.name': 'everything', 'vector.tool.name': 'get-sum', 'vector.mcp.ok': false, 'error.type': 'TOOL_ERROR' });
    expect(second?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'TOOL_ERROR' });
  });

  it('marks the span failed when a call throws (the job was cancelled before it)', async () => {
    const { toolbox, job, spans } = await harness();
    job.abort(new Error('job cancelled'));
    await expect(toolbox.call({ name: 'everything__echo', arguments: { message: 'late' } })).rejects.toThrow();
    const [span] = spans();
    expect(span).toMatchObject({ name: 'vector.mcp.call', ended: true });
    expect(span?.attributes['error.type']).toBe('INTERNAL');
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'INTERNAL' });
  });

  it('cancels a call through its own signal: audited as CANCELLED and rethrown', async () => {
    const { toolbox, fixture, spans } = await harness();
    await toolbox.list();
    const stop = new AbortController();
    const reason = new Error('the agent gave up');
    const started = Date.now();
    const call = toolbox.call({ name: 'everything__trigger-long-running-operation', arguments: { duration: 10, steps: 5 }, signal: stop.signal });
    await sleep(200);
    stop.abort(reason);
    // The SDK's error, which names the reason.
    await expect(call).rejects.toThrow('the agent gave up');
    expect(Date.now() - started).toBeLessThan(8_000);
    const [row] = await auditRows(fixture);
    expect(row?.data).toMatchObject({ tool: 'trigger-long-running-operation', ok: false, error: { code: 'CANCELLED', message: 'The job was cancelled' } });
    expect(spans()[0]?.attributes).toMatchObject({ 'vector.tool.name': 'trigger-long-running-operation', 'vector.mcp.ok': false });
  });

  it("throws the job's abort reason when the job is cancelled during a call", async () => {
    const { toolbox, job, fixture } = await harness();
    await toolbox.list();
    const stop = new AbortController();
    const call = toolbox.call({ name: 'everything__trigger-long-running-operation', arguments: { duration: 10, steps: 5 }, signal: stop.signal });
    await sleep(200);
    const jobReason = new Error('the job was cancelled by its user');
    // The call's own signal ends it first (so the SDK rejects with that reason); the job's reason wins.
    stop.abort(new Error('the call was stopped'));
    job.abort(jobReason);
    await expect(call).rejects.toBe(jobReason);
    const [row] = await auditRows(fixture);
    expect(row?.data).toMatchObject({ ok: false, error: { code: 'CANCELLED', message: 'The job was cancelled' } });
  });
});
