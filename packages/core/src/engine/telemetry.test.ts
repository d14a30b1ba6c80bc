import { context, propagation, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createScriptedAgent } from '../reference/index.js';
import type { AgentEvent } from '../schemas/agent-event.js';
import { describeEachDatabase } from '../testing/test-databases.js';
import { type EngineFixture, useEngine } from '../testing/engine-fixture.js';

const MESSAGE = 'Please build the launch page for Project Nightingale';
const FILE_CONTENT = 'const launchCode = "zebra-quartz-1187";';
const SECRET = 'sk-live-telemetry-secret-4242';

// A model call, a tool call and a file: the spans should report the numbers, never the text.
function createTracedAgent() {
  return createScriptedAgent({
    type: 'traced',
    script: async function* (): AsyncIterable<AgentEvent> {
      yield { type: 'step', kind: 'model', name: 'plan', model: 'gpt-4o-mini', durationMs: 120, usage: { promptTokens: 321, completionTokens: 45, totalTokens: 366 }, output: { echo: MESSAGE } };
      yield { type: 'step', kind: 'tool', name: 'write_file', durationMs: 7, output: { content: FILE_CONTENT } };
      yield { type: 'result', changes: [{ type: 'write', path: 'src/launch.js', content: FILE_CONTENT }], commitMessage: 'Add the launch page', summary: 'Done', validationStatus: 'not_run' };
    },
  });
}

const exporter = new InMemorySpanExporter();

beforeAll(() => {
  // What an embedder's SDK setup does: a provider, a context manager, the W3C propagator.
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});

afterAll(() => {
  trace.disable();
  context.disable();
  propagation.disable();
});

/** Posts MESSAGE inside a parent span (as the server's HTTP span would be) and waits for the job. */
async function postInsideParent(fixture: EngineFixture) {
  const { scope } = fixture;
  const project = await scope.projects.create({ name: 'Traced' });
  const session = await scope.agent.createSession({ projectId: project.id, agentType: 'traced' });
  const tracer = trace.getTracer('test');
  const { job, parentSpanId, traceId } = await tracer.startActiveSpan('POST /messages', async (parent) => {
    try {
      const posted = await scope.agent.postMessage({ sessionId: session.id, content: MESSAGE });
      return { job: posted.job, parentSpanId: parent.spanContext().spanId, traceId: parent.spanContext().traceId };
    } finally {
      parent.end();
    }
  });
  const done = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
  expect(done.status).toBe('complete');
  return { project, job, parentSpanId, traceId };
}

function attributeValues(spans: ReadableSpan[]): string[] {
  return spans.flatMap((span) => [...Object.values(span.attributes), ...span.events.flatMap((event) => Object.values(event.attributes ?? {}))].map((value) => JSON.stringify(value)));
}

describeEachDatabase('telemetry', (database) => {
  beforeEach(() => exporter.reset());

  describe('with the defaults', () => {
    const engine = useEngine(database, { agents: () => [createTracedAgent()] });

    it('records the job in the trace of the request that posted it', async () => {
      const fixture = engine();
      const { project, job, parentSpanId, traceId } = await postInsideParent(fixture);

      // The worker starts from the stored context, not from whatever context it runs in.
      const row = await fixture.database.db.selectFrom('vector_agent_jobs').select('trace_context').where('id', '=', job.id).executeTakeFirstOrThrow();
      expect(JSON.parse(row.trace_context ?? '{}')).toMatchObject({ traceparent: `00-${traceId}-${parentSpanId}-01` });

      const spans = exporter.getFinishedSpans();
      const run = spans.find((span) => span.name === 'vector.job.run');
      expect(run).toBeDefined();
      expect(run?.parentSpanContext?.spanId).toBe(parentSpanId);
      expect(run?.attributes).toMatchObject({ 'vector.job.id': job.id, 'vector.project.id': project.id, 'vector.organization.id': fixture.organizationId, 'vector.agent.type': 'traced', 'vector.job.attempt': 1 });
      expect(run?.status.code).not.toBe(SpanStatusCode.ERROR);
      // One trace: the request's.
      expect(new Set(spans.map((span) => span.spanContext().traceId))).toEqual(new Set([traceId]));

      const model = spans.find((span) => span.name === 'chat gpt-4o-mini');
      expect(model?.parentSpanContext?.spanId).toBe(run?.spanContext().spanId);
      expect(model?.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 321, 'gen_ai.usage.output_tokens': 45 });
      expect(model?.attributes['vector.cost_usd']).toBeGreaterThan(0);
      // Reported after the fact: the span covers the step's duration.
      expect(model ? (model.duration[0] * 1e3 + model.duration[1] / 1e6) : 0).toBeCloseTo(120, -1);

      const tool = spans.find((span) => span.name === 'vector.tool write_file');
      expect(tool?.parentSpanContext?.spanId).toBe(run?.spanContext().spanId);

      const write = spans.find((span) => span.name === 'vector.version.write');
      expect(write?.spanContext().traceId).toBe(traceId);
      expect(write?.parentSpanContext?.spanId).toBe(run?.spanContext().spanId);
      expect(write?.attributes).toMatchObject({ 'vector.project.id': project.id, 'vector.version.source': 'ai_generation', 'vector.version.number': 1, 'vector.version.file_count': 1 });
      const save = spans.find((span) => span.name === 'vector.storage.saveVersion');
      expect(save?.parentSpanContext?.spanId).toBe(write?.spanContext().spanId);
    });

    it('starts a job posted outside any span in a trace of its own', async () => {
      const fixture = engine();
      const project = await fixture.scope.projects.create({ name: 'Untraced' });
      const session = await fixture.scope.agent.createSession({ projectId: project.id, agentType: 'traced' });
      const { job } = await fixture.scope.agent.postMessage({ sessionId: session.id, content: 'hi' });
      await fixture.scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
      const row = await fixture.database.db.selectFrom('vector_agent_jobs').select('trace_context').where('id', '=', job.id).executeTakeFirstOrThrow();
      expect(row.trace_context).toBeNull();
      const run = exporter.getFinishedSpans().find((span) => span.name === 'vector.job.run');
      expect(run?.parentSpanContext).toBeUndefined();
    });

    it('marks a failed job span with the error code', async () => {
      const fixture = engine();
      const project = await fixture.scope.projects.create({ name: 'Failing' });
      const session = await fixture.scope.agent.createSession({ projectId: project.id, agentType: 'traced' });
      // The session's agent is no longer registered: the job fails.
      await fixture.database.db.updateTable('vector_agent_sessions').set({ agent_type: 'gone' }).where('id', '=', session.id).execute();
      const { job } = await fixture.scope.agent.postMessage({ sessionId: session.id, content: 'again' });
      const done = await fixture.scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
      expect(done.status).toBe('failed');
      const run = exporter.getFinishedSpans().find((span) => span.name === 'vector.job.run');
      expect(run?.status).toMatchObject({ code: SpanStatusCode.ERROR, message: done.error?.code });
      expect(run?.attributes).toMatchObject({ 'vector.job.status': 'failed', 'error.type': done.error?.code });
    });

    it('puts no message text, file content or secret into any span', async () => {
      const fixture = engine();
      const { project } = await postInsideParent(fixture);
      const [version] = (await fixture.scope.versions.list(project.id)).items;
      if (!version) throw new Error('the job wrote no version');
      const deployment = await fixture.scope.deployments.create({ projectId: project.id, versionId: version.id, environment: 'preview', secrets: { API_KEY: SECRET } });
      const spans = exporter.getFinishedSpans();
      const started = spans.find((span) => span.name === 'vector.deployment.start');
      expect(started?.attributes).toMatchObject({ 'vector.deployment.id': deployment.id, 'vector.deployment.environment': 'preview', 'vector.deployment.status': deployment.status });

      const values = attributeValues(spans);
      expect(values.length).toBeGreaterThan(10);
      for (const needle of [MESSAGE, 'Nightingale', FILE_CONTENT, 'zebra-quartz', SECRET]) {
        expect(values.filter((value) => value.includes(needle))).toEqual([]);
      }
    });
  });

  describe('with recordPrompts', () => {
    const engine = useEngine(database, { agents: () => [createTracedAgent()], overrides: { telemetry: { recordPrompts: true } } });

    it('adds the user message to model spans, and only to them', async () => {
      await postInsideParent(engine());
      const spans = exporter.getFinishedSpans();
      const model = spans.find((span) => span.name === 'chat gpt-4o-mini');
      expect(String(model?.attributes['gen_ai.input.messages'])).toContain(MESSAGE);
      const others = spans.filter((span) => span !== model);
      expect(attributeValues(others).filter((value) => value.includes(MESSAGE))).toEqual([]);
      expect(attributeValues(spans).filter((value) => value.includes(FILE_CONTENT))).toEqual([]);
    });
  });
});
