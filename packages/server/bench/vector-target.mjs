// The server under test, in its own process: the built @vector/server on an SQLite file with
// internal storage and rate limiting on (a limit never reached), plus an agent the bench releases.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScriptedAgent, createSqliteDatabase, createStaticProvider, createVector } from '@vector/core';
import { buildServer } from '@vector/server';
import { createInternalStorage } from '@vector/storage-internal';
import { clock, serveParent } from './bench-target.mjs';

const settings = await new Promise((resolve) => process.once('message', resolve));

// `tracing: 'memory'`: an OpenTelemetry SDK registered before the engine and the server, as an
// embedder would, with production's batch processor feeding an in-memory exporter (emptied every
// second). Without it, every span is the API's no-op.
let spansRecorded = 0;
if (settings.tracing === 'memory') {
  const { context, propagation, trace } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const { BatchSpanProcessor, InMemorySpanExporter, TracerProvider } = await import('@opentelemetry/sdk-trace');
  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter })] }));
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  setInterval(() => {
    spansRecorded += exporter.getFinishedSpans().length;
    exporter.reset();
  }, 1_000).unref();
}

// Each job's agent waits for the bench to release it (once every client is attached), then emits.
const gates = new Map();
const gateOf = (jobId) => {
  if (!gates.has(jobId)) {
    let open = () => undefined;
    const opened = new Promise((resolve) => {
      open = resolve;
    });
    gates.set(jobId, { opened, open });
  }
  return gates.get(jobId);
};
const benchAgent = createScriptedAgent({
  type: 'bench',
  delayMs: settings.sseDelayMs,
  script: async function* (context) {
    await gateOf(context.job.id).opened;
    for (let index = 0; index < settings.sseEvents; index += 1) yield { type: 'log', level: 'info', message: `step ${index} of the benchmark job` };
    yield { type: 'result', changes: [], commitMessage: 'bench', summary: 'done', validationStatus: 'not_run' };
  },
});

const directory = mkdtempSync(join(tmpdir(), 'vector-bench-'));
const database = createSqliteDatabase({ path: join(directory, 'vector.db') });
const vector = createVector({
  database,
  storage: [createInternalStorage({ database })],
  providers: [createStaticProvider()],
  agents: [createScriptedAgent(), benchAgent],
});
// Job events are stamped when the engine emits them, which is after they are committed. Only the
// agent's log events count: the earlier status event is replayed, not pushed live.
const emitted = new Map();
vector.events.on('job.event', ({ jobId, event }) => {
  if (event.data.type !== 'log') return;
  if (!emitted.has(jobId)) emitted.set(jobId, []);
  emitted.get(jobId).push([event.sequence, clock()]);
});
// `tracing: 'off'`: the server without its OpenTelemetry plugin at all (`telemetry: false`).
const app = buildServer({ vector, rateLimit: { max: 1_000_000_000, windowMs: 60_000 }, docs: false, ...(settings.tracing === 'off' ? { telemetry: false } : {}) });
await vector.start();
const url = await app.listen({ port: 0, host: '127.0.0.1', backlog: 2048 });

async function requestJson(method, path, { key, body } = {}) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

const { apiKey } = await requestJson('POST', '/v1/organizations', { body: { name: 'Bench' } });
const key = apiKey.key;
const project = await requestJson('POST', '/v1/projects', { key, body: { name: 'bench' } });
const files = Array.from({ length: settings.files }, (_, index) => ({
  path: `src/components/component-${String(index).padStart(2, '0')}.tsx`,
  content: `export function Component${index}() {\n  return <div>${'x'.repeat(400)}</div>;\n}\n`,
}));
const version = await requestJson('POST', `/v1/projects/${project.id}/versions`, { key, body: { parentVersionId: null, files, message: 'bench' } });
const filesPath = `/v1/versions/${version.id}/files`;
const filesBody = JSON.stringify(await requestJson('GET', filesPath, { key }));

serveParent(
  { url, key, filesPath, filesBody },
  {
    // A job of the bench agent, waiting to be released.
    async job() {
      const session = await requestJson('POST', `/v1/projects/${project.id}/sessions`, { key, body: { agentType: 'bench' } });
      const posted = await requestJson('POST', `/v1/sessions/${session.id}/messages`, { key, body: { content: 'bench' } });
      gateOf(posted.job.id);
      return posted.job.id;
    },
    release({ jobId }) {
      gateOf(jobId).open();
      return true;
    },
    emitted: ({ jobId }) => emitted.get(jobId) ?? [],
    // Spans the in-memory exporter has received so far (with `tracing: 'memory'`).
    spans: () => spansRecorded,
    streams: () => app.server.connections ?? null,
    async close() {
      await app.close();
      await vector.dispose();
      await database.destroy();
      rmSync(directory, { recursive: true, force: true });
      setImmediate(() => process.exit(0));
      return true;
    },
  },
);
