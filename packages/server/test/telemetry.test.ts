import type { AddressInfo } from 'node:net';
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { AggregationTemporality, type DataPoint, type Histogram, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { type AgentEvent, createScriptedAgent } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { readSse } from './sse-client.js';
import { useServer } from './server-fixture.js';

const PROMPT = 'Build the members page for Operation Bluebird';
const FILE_CONTENT = 'export const vaultCode = "walrus-ember-5521";';
const SECRET = 'sk-live-otel-deploy-secret-8842';
const METRICS_TOKEN = 'metrics-scrape-token-0123456789';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN_ID = '00f067aa0ba902b7';
const traceparent = `00-${TRACE_ID}-${CLIENT_SPAN_ID}-01`;

// One model call (priced: gpt-4o-mini at the engine's default prices), one tool call, one file.
const tracedAgent = createScriptedAgent({
  type: 'traced',
  script: async function* (): AsyncIterable<AgentEvent> {
    yield { type: 'step', kind: 'model', name: 'plan', model: 'gpt-4o-mini', durationMs: 40, usage: { promptTokens: 1000, completionTokens: 500, totalTokens: 1500 }, output: { echo: PROMPT } };
    yield { type: 'step', kind: 'tool', name: 'write_file', durationMs: 3, output: { content: FILE_CONTENT } };
    yield { type: 'result', changes: [{ type: 'write', path: 'src/members.js', content: FILE_CONTENT }], commitMessage: 'Members page', summary: 'Done', validationStatus: 'not_run' };
  },
});
const slowAgent = createScriptedAgent({
  type: 'slow',
  script: async function* (context): AsyncIterable<AgentEvent> {
    yield { type: 'text_delta', text: 'thinking' };
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    if (context.signal.aborted) return;
    yield { type: 'result', changes: [{ type: 'write', path: 'slow.md', content: 'slow' }], commitMessage: 'slow', summary: 'Done', validationStatus: 'not_run' };
  },
});
const failingAgent = createScriptedAgent({
  type: 'failing',
  script: async function* (): AsyncIterable<AgentEvent> {
    yield { type: 'step', kind: 'model', name: 'plan', model: 'gpt-4o-mini', durationMs: 5, usage: { promptTokens: 10, completionTokens: 0, totalTokens: 10 } };
    throw new Error('the model went away');
  },
});

const spans = new InMemorySpanExporter();
const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
let metricReader: PeriodicExportingMetricReader;
let prometheus: PrometheusExporter;
let meterProvider: MeterProvider;

beforeAll(() => {
  // What the CLI's tracing set-up registers globally besides the provider (passed explicitly here).
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(async () => {
  context.disable();
  propagation.disable();
  await tracerProvider.shutdown();
});

/** The metric points recorded so far, by instrument name. */
async function collectMetrics(): Promise<Map<string, DataPoint<number | Histogram>[]>> {
  metricExporter.reset();
  await metricReader.forceFlush();
  const points = new Map<string, DataPoint<number | Histogram>[]>();
  for (const resource of metricExporter.getMetrics()) {
    for (const scope of resource.scopeMetrics) for (const metric of scope.metrics) points.set(metric.descriptor.name, [...(points.get(metric.descriptor.name) ?? []), ...(metric.dataPoints as DataPoint<number | Histogram>[])]);
  }
  return points;
}

function valueOf(points: Map<string, DataPoint<number | Histogram>[]>, name: string, attributes: Record<string, unknown> = {}): number | Histogram | undefined {
  return points.get(name)?.find((point) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value))?.value;
}

function attributeTexts(all: ReadableSpan[]): string[] {
  return all.flatMap((span) => [span.name, ...Object.values(span.attributes), ...span.events.flatMap((event) => [event.name, ...Object.values(event.attributes ?? {})])].map((value) => JSON.stringify(value)));
}

describeEachDatabase('OpenTelemetry on the reference server', (database) => {
  beforeEach(() => {
    // A fresh pipeline per test, so each test's figures are its own.
    metricReader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
    prometheus = new PrometheusExporter({ preventServerStart: true });
    meterProvider = new MeterProvider({ readers: [metricReader, prometheus] });
    spans.reset();
  });

  const get = useServer(database, {
    agents: [tracedAgent, failingAgent, slowAgent],
    engine: { telemetry: { tracerProvider, get meterProvider() { return meterProvider; } } },
    get telemetry() {
      return { tracerProvider, meterProvider };
    },
    get metrics() {
      return { exporter: prometheus, token: METRICS_TOKEN };
    },
  });

  it('puts one message and the deploy of its version in the client’s trace, with GenAI model spans, and counts it all', async () => {
    const { app, key } = get();
    const base = await app.listen({ port: 0, host: '127.0.0.1' }).then(() => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { status: response.status, json: (await response.json().catch(() => null)) as any };
    };
    const project = (await call('POST', '/v1/projects', { name: 'Traced' })).json;
    const session = (await call('POST', `/v1/projects/${project.id}/sessions`, { agentType: 'traced' })).json;

    // The client's own trace: the message and, later, the deploy of what it made.
    const posted = await call('POST', `/v1/sessions/${session.id}/messages`, { content: PROMPT }, { traceparent });
    expect(posted.status).toBe(202);
    const jobId = posted.json.job.id as string;
    // Follow the job live: one SSE client while it runs.
    const token = (await call('POST', `/v1/jobs/${jobId}/stream-token`, {})).json.token as string;
    const stream = await readSse(`${base}/v1/jobs/${jobId}/events?access_token=${token}`);
    expect(stream.frames.at(-1)?.event).toBe('done');
    const job = (await call('GET', `/v1/jobs/${jobId}`)).json;
    expect(job.status).toBe('complete');
    const deployed = await call('POST', `/v1/projects/${project.id}/deployments`, { environment: 'preview', versionId: job.resultVersionId, env: { PUBLIC_NAME: 'bluebird' }, secrets: { API_TOKEN: SECRET } }, { traceparent });
    expect(deployed.status).toBe(202);
    for (let waited = 0; waited < 10_000; waited += 20) {
      if ((await call('GET', `/v1/deployments/${deployed.json.id}`)).json.status === 'live') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // A job that fails, outside any client trace.
    const failingSession = (await call('POST', `/v1/projects/${project.id}/sessions`, { agentType: 'failing' })).json;
    const failing = (await call('POST', `/v1/sessions/${failingSession.id}/messages`, { content: 'try' })).json;
    for (let waited = 0; waited < 10_000 && (await call('GET', `/v1/jobs/${failing.job.id}`)).json.status !== 'failed'; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));

    // --- The trace.
    const finished = spans.getFinishedSpans();
    const inTrace = finished.filter((span) => span.spanContext().traceId === TRACE_ID);
    const byId = new Map(inTrace.map((span) => [span.spanContext().spanId, span]));
    const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
    const ancestors = (span: ReadableSpan): string[] => {
      const names: string[] = [];
      for (let parent = byId.get(parentOf(span) ?? ''); parent; parent = byId.get(parentOf(parent) ?? '')) names.push(parent.name);
      return names;
    };
    const messageSpan = inTrace.find((span) => span.name === 'POST /v1/sessions/:sessionId/messages');
    expect(messageSpan, finished.map((span) => span.name).join(', ')).toBeDefined();
    expect(messageSpan?.kind).toBe(1); // SERVER
    expect(parentOf(messageSpan as ReadableSpan)).toBe(CLIENT_SPAN_ID);
    expect(messageSpan?.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/v1/sessions/:sessionId/messages', 'http.response.status_code': 202 });
    const run = inTrace.find((span) => span.name === 'vector.job.run');
    expect(run?.attributes).toMatchObject({ 'vector.job.id': jobId, 'vector.agent.type': 'traced' });
    expect(ancestors(run as ReadableSpan)).toContain('POST /v1/sessions/:sessionId/messages');
    const chat = inTrace.find((span) => span.name === 'chat gpt-4o-mini');
    expect(parentOf(chat as ReadableSpan)).toBe(run?.spanContext().spanId);
    expect(chat?.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 500 });
    expect(chat?.attributes['vector.cost_usd']).toBeCloseTo((1000 * 0.15 + 500 * 0.6) / 1_000_000, 12);
    expect(ancestors(inTrace.find((span) => span.name === 'vector.tool write_file') as ReadableSpan)).toContain('vector.job.run');
    const write = inTrace.find((span) => span.name === 'vector.version.write');
    expect(write?.attributes).toMatchObject({ 'vector.version.id': job.resultVersionId, 'vector.version.source': 'ai_generation' });
    expect(ancestors(write as ReadableSpan)).toContain('vector.job.run');
    const deploySpan = inTrace.find((span) => span.name === 'vector.deployment.start');
    expect(deploySpan?.attributes).toMatchObject({ 'vector.deployment.id': deployed.json.id, 'vector.deployment.environment': 'preview' });
    expect(ancestors(deploySpan as ReadableSpan)).toContain('POST /v1/projects/:projectId/deployments');
    // The provider and storage calls made for them are spans of their own, named by method.
    const providerDeploy = inTrace.find((span) => span.name === 'vector.provider.deploy');
    expect(providerDeploy?.attributes).toMatchObject({ 'vector.deployment.provider': 'static' });
    expect(parentOf(providerDeploy as ReadableSpan)).toBe(deploySpan?.spanContext().spanId);
    const storageCalls = inTrace.filter((span) => span.name.startsWith('vector.storage.') && span.name !== 'vector.storage.saveVersion');
    expect(storageCalls.length).toBeGreaterThan(0);
    expect(storageCalls.every((span) => span.attributes['vector.storage.backend'] === 'memory')).toBe(true);
    // saveVersion keeps its one span, the engine's (with its counts), not a second one per call.
    expect(inTrace.filter((span) => span.name === 'vector.storage.saveVersion')).toHaveLength(1);
    // The failing job is a trace of its own, marked failed with its code.
    const failedRun = finished.find((span) => span.name === 'vector.job.run' && span.attributes['vector.job.id'] === failing.job.id);
    expect(failedRun?.spanContext().traceId).not.toBe(TRACE_ID);
    expect(failedRun?.status.code).toBe(2); // ERROR

    // --- Privacy: no prompt, file content, secret, API key or stream token in any span.
    const texts = attributeTexts(finished).join('\n');
    for (const forbidden of [PROMPT, 'Operation Bluebird', FILE_CONTENT, 'walrus-ember', SECRET, key, token, 'bluebird']) expect(texts).not.toContain(forbidden);
    expect(texts).toContain('/v1/jobs/'); // the stream's path is there, its query is not

    // --- The metrics.
    const points = await collectMetrics();
    expect(valueOf(points, 'vector.jobs.started', { 'vector.agent.type': 'traced' })).toBe(1);
    expect(valueOf(points, 'vector.jobs.started', { 'vector.agent.type': 'failing' })).toBe(1);
    expect(valueOf(points, 'vector.jobs.completed', { 'vector.agent.type': 'traced' })).toBe(1);
    expect(valueOf(points, 'vector.jobs.failed', { 'vector.agent.type': 'failing' })).toBe(1);
    expect(valueOf(points, 'vector.jobs.completed', { 'vector.agent.type': 'failing' })).toBeUndefined();
    expect((valueOf(points, 'vector.job.queue_wait', { 'vector.agent.type': 'traced' }) as Histogram).count).toBe(1);
    const duration = valueOf(points, 'vector.job.duration', { 'vector.agent.type': 'traced', 'vector.job.status': 'complete' }) as Histogram;
    expect(duration.count).toBe(1);
    expect(duration.sum).toBeGreaterThan(0);
    const input = valueOf(points, 'gen_ai.client.token.usage', { 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.token.type': 'input' }) as Histogram;
    expect([input.count, input.sum]).toEqual([2, 1010]);
    expect((valueOf(points, 'gen_ai.client.token.usage', { 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.token.type': 'output' }) as Histogram).sum).toBe(500);
    expect(valueOf(points, 'vector.model.cost', { 'gen_ai.request.model': 'gpt-4o-mini' })).toBeCloseTo((1010 * 0.15 + 500 * 0.6) / 1_000_000, 12);
    expect(valueOf(points, 'vector.deployments', { 'vector.deployment.status': 'pending', 'vector.deployment.environment': 'preview' })).toBe(1);
    expect(valueOf(points, 'vector.deployments', { 'vector.deployment.status': 'live', 'vector.deployment.provider': 'static' })).toBe(1);
    expect((valueOf(points, 'vector.deployment.build.duration', { 'vector.deployment.status': 'live' }) as Histogram).count).toBe(1);
    expect(valueOf(points, 'vector.sse.clients')).toBe(0);
    const posts = valueOf(points, 'http.server.request.duration', { 'http.route': '/v1/sessions/:sessionId/messages', 'http.request.method': 'POST', 'http.response.status_code': 202 }) as Histogram;
    expect(posts.count).toBe(2);
    // No metric carries an id or a value a user typed.
    const labels = JSON.stringify([...points.values()].flat().map((point) => point.attributes));
    for (const forbidden of [jobId, project.id, PROMPT, SECRET, key]) expect(labels).not.toContain(forbidden);
  });

  it('counts open SSE clients while they are connected', async () => {
    const { app, key, call } = get();
    expect(app.hasPlugin('@fastify/otel')).toBe(true);
    const base = await app.listen({ port: 0, host: '127.0.0.1' }).then(() => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
    const project = (await call('POST', '/v1/projects', { name: 'Streams' })).json;
    const session = (await call('POST', `/v1/projects/${project.id}/sessions`, { agentType: 'slow' })).json;
    const posted = (await call('POST', `/v1/sessions/${session.id}/messages`, { content: 'take your time' })).json;
    const controller = new AbortController();
    const open = [0, 1].map(() => readSse(`${base}/v1/jobs/${posted.job.id}/events`, { headers: { authorization: `Bearer ${key}` }, signal: controller.signal }).catch(() => null));
    let clients: number | Histogram | undefined;
    for (let waited = 0; waited < 5_000 && clients !== 2; waited += 20) {
      clients = valueOf(await collectMetrics(), 'vector.sse.clients');
      if (clients !== 2) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(clients).toBe(2);
    controller.abort();
    await Promise.all(open);
    for (let waited = 0; waited < 5_000 && clients !== 0; waited += 20) {
      clients = valueOf(await collectMetrics(), 'vector.sse.clients');
      if (clients !== 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(clients).toBe(0);

    // A job cancelled while it waits its turn counts as cancelled without ever starting; so does the running one.
    const waiting = (await call('POST', `/v1/sessions/${session.id}/messages`, { content: 'after that' })).json;
    expect((await call('POST', `/v1/jobs/${waiting.job.id}/cancel`, {})).json.status).toBe('cancelled');
    await call('POST', `/v1/jobs/${posted.job.id}/cancel`, {});
    for (let waited = 0; waited < 10_000 && (await call('GET', `/v1/jobs/${posted.job.id}`)).json.status !== 'cancelled'; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    const points = await collectMetrics();
    expect(valueOf(points, 'vector.jobs.cancelled', { 'vector.agent.type': 'slow' })).toBe(2);
    expect(valueOf(points, 'vector.jobs.started', { 'vector.agent.type': 'slow' })).toBe(1);
  });

  it('answers /metrics in Prometheus text format with the metrics token only', async () => {
    const { app, key, call } = get();
    const project = (await call('POST', '/v1/projects', { name: 'Scraped' })).json;
    const session = (await call('POST', `/v1/projects/${project.id}/sessions`, { agentType: 'traced' })).json;
    const posted = (await call('POST', `/v1/sessions/${session.id}/messages`, { content: PROMPT })).json;
    for (let waited = 0; waited < 10_000 && (await call('GET', `/v1/jobs/${posted.job.id}`)).json.status !== 'complete'; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));

    // An organization's API key, even its owner's, is not the metrics token.
    for (const authorization of [undefined, `Bearer ${key}`, 'Bearer wrong-token-of-good-length']) {
      const refused = await app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
      expect(refused.statusCode).toBe(401);
      expect(refused.json().error.code).toBe('UNAUTHORIZED');
    }
    const scraped = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraped.statusCode).toBe(200);
    expect(scraped.headers['content-type']).toMatch(/^text\/plain/);
    const text = scraped.body;
    expect(text).toMatch(/^# HELP vector_jobs_started_total Agent job attempts started$/m);
    expect(text).toMatch(/^# TYPE vector_jobs_started_total counter$/m);
    expect(text).toMatch(/^vector_jobs_started_total\{vector_agent_type="traced"(,[^}]*)?\} 1$/m);
    expect(text).toMatch(/^vector_jobs_completed_total\{vector_agent_type="traced"(,[^}]*)?\} 1$/m);
    expect(text).toMatch(/^gen_ai_client_token_usage_sum\{[^}]*gen_ai_token_type="input"[^}]*\} 1000$/m);
    expect(text).toMatch(/^vector_job_duration_count\{[^}]*\} 1$/m);
    expect(text).toMatch(/^http_server_request_duration_bucket\{[^}]*http_route="\/v1\/sessions\/:sessionId\/messages"[^}]*\} \d+$/m);
    expect(text).toMatch(/^# TYPE vector_sse_clients gauge$/m);
    expect(text).not.toContain(PROMPT);
  });
});

describeEachDatabase('the reference server without metrics', (database) => {
  const get = useServer(database);
  it('answers /metrics 404, with or without a token, and adds no per-request instrumentation without an SDK', async () => {
    const { app, key } = get();
    // No tracer provider given or registered globally: no span plugin, no per-request cost.
    expect(app.hasPlugin('@fastify/otel')).toBe(false);
    for (const headers of [{}, { authorization: `Bearer ${key}` }, { authorization: `Bearer ${METRICS_TOKEN}` }]) {
      const response = await app.inject({ method: 'GET', url: '/metrics', headers });
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('NOT_FOUND');
    }
  });
});

describeEachDatabase('log lines inside a traced request', (database) => {
  const lines: Array<Record<string, unknown>> = [];
  beforeEach(() => {
    lines.length = 0;
  });
  const get = useServer(database, {
    logger: { level: 'info', stream: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } },
    get telemetry() {
      return { tracerProvider };
    },
  });

  it('carry the trace and span ids of the request’s span', async () => {
    const { call, app, key } = get();
    const project = (await call('POST', '/v1/projects', { name: 'Logged' })).json;
    lines.length = 0;
    const response = await app.inject({ method: 'GET', url: `/v1/projects/${project.id}`, headers: { authorization: `Bearer ${key}`, traceparent } });
    expect(response.statusCode).toBe(200);
    const completed = lines.find((line) => line.msg === 'request completed');
    expect(completed).toMatchObject({ trace_id: TRACE_ID, trace_flags: '01' });
    expect(completed?.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(completed?.span_id).not.toBe(CLIENT_SPAN_ID);
    const span = spans.getFinishedSpans().find((finished) => finished.spanContext().traceId === TRACE_ID && finished.name === 'GET /v1/projects/:projectId');
    expect(span).toBeDefined();
    // Lines logged outside any span carry no ids.
    lines.length = 0;
    app.log.info('outside');
    expect(lines[0]).not.toHaveProperty('trace_id');
  });
});
