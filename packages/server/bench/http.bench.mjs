// Benchmark of @vector/server against a bare Fastify baseline, in one run (loopback only).
//
//   pnpm -r --filter '@vector/server...' build && pnpm --filter @vector/server bench
//
// (a) GET /v1/versions/:id/files (a 50-file version) versus a bare route answering the same
//     JSON body: requests/s and p99 latency, measured with autocannon.
// (b) SSE fan-out: 100 clients on one job's GET /v1/jobs/:id/events while a scripted agent
//     emits 200 events, versus a bare Fastify SSE route pushing the same frames to 100
//     clients: delivery latency (event persisted → frame received, p50/p99) and events/s.
//
// It measures; it never asserts. Numbers depend on the machine and on what else runs.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createScriptedAgent, createSqliteDatabase, createStaticProvider, createVector } from '@vector/core';
import { buildServer } from '@vector/server';
import { createInternalStorage } from '@vector/storage-internal';
import autocannon from 'autocannon';
import Fastify from 'fastify';

const settings = {
  files: 50,
  httpSeconds: Number(process.env.BENCH_SECONDS ?? 8),
  httpConnections: 10,
  sseClients: 100,
  sseEvents: 200,
  sseDelayMs: 5,
};

const directory = mkdtempSync(join(tmpdir(), 'vector-bench-'));
const closers = [];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// A deadline that does not keep the process alive once everything else is done.
const deadline = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

function percentile(sorted, fraction) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

async function requestJson(base, method, path, { key, body } = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

function runAutocannon(url, headers) {
  return autocannon({ url, headers, connections: settings.httpConnections, duration: settings.httpSeconds, pipelining: 1 });
}

// ---- the real server --------------------------------------------------------------------

// Job events are stamped when the engine emits them, which is after they are committed.
const emittedAt = new Map();
let releaseAgent = () => undefined;
const agentGate = new Promise((resolve) => {
  releaseAgent = resolve;
});
const benchAgent = createScriptedAgent({
  type: 'bench',
  delayMs: settings.sseDelayMs,
  script: async function* () {
    await agentGate;
    for (let index = 0; index < settings.sseEvents; index += 1) yield { type: 'log', level: 'info', message: `step ${index} of the benchmark job` };
    yield { type: 'result', changes: [], commitMessage: 'bench', summary: 'done', validationStatus: 'not_run' };
  },
});

const database = createSqliteDatabase({ path: join(directory, 'vector.db') });
const vector = createVector({
  database,
  storage: [createInternalStorage({ database })],
  providers: [createStaticProvider()],
  agents: [createScriptedAgent(), benchAgent],
});
// Only the agent's log events count: the earlier status event is replayed, not pushed live.
vector.events.on('job.event', ({ event }) => {
  if (event.data.type === 'log') emittedAt.set(event.sequence, performance.now());
});
// A limit high enough never to trigger, so its bookkeeping is still measured.
const app = buildServer({ vector, rateLimit: { max: 1_000_000_000, windowMs: 60_000 }, docs: false });
await vector.start();
const vectorBase = await app.listen({ port: 0, host: '127.0.0.1' });
closers.push(async () => {
  await app.close();
  await vector.dispose();
  await database.destroy();
});

const { apiKey } = await requestJson(vectorBase, 'POST', '/v1/organizations', { body: { name: 'Bench' } });
const key = apiKey.key;
const project = await requestJson(vectorBase, 'POST', '/v1/projects', { key, body: { name: 'bench' } });
const files = Array.from({ length: settings.files }, (_, index) => ({
  path: `src/components/component-${String(index).padStart(2, '0')}.tsx`,
  content: `export function Component${index}() {\n  return <div>${'x'.repeat(400)}</div>;\n}\n`,
}));
const version = await requestJson(vectorBase, 'POST', `/v1/projects/${project.id}/versions`, { key, body: { parentVersionId: null, files, message: 'bench' } });
const filesPath = `/v1/versions/${version.id}/files`;
const filesBody = await requestJson(vectorBase, 'GET', filesPath, { key });

// ---- the bare baseline ------------------------------------------------------------------

const bare = Fastify({ logger: false });
const bareBody = JSON.stringify(filesBody);
bare.get('/files', async (_request, reply) => reply.type('application/json').send(bareBody));
const sseClientsBare = new Set();
bare.get('/events', (request, reply) => {
  reply.hijack();
  reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  reply.raw.write(': stream opened\n\n');
  sseClientsBare.add(reply.raw);
  request.raw.on('close', () => sseClientsBare.delete(reply.raw));
});
const bareBase = await bare.listen({ port: 0, host: '127.0.0.1' });
closers.push(() => bare.close());

// ---- (a) GET version files ----------------------------------------------------------------

process.stdout.write(`(a) GET version files: ${settings.files} files, ${Buffer.byteLength(bareBody)} B body, ${settings.httpConnections} connections, ${settings.httpSeconds}s each\n`);
const bareHttp = await runAutocannon(`${bareBase}/files`, {});
const vectorHttp = await runAutocannon(`${vectorBase}${filesPath}`, { authorization: `Bearer ${key}` });
if (vectorHttp.non2xx > 0 || vectorHttp.errors > 0) process.stdout.write(`   warning: the Vector route answered ${vectorHttp.non2xx} non-2xx and ${vectorHttp.errors} errors\n`);

// ---- (b) SSE fan-out --------------------------------------------------------------------

/** Opens `count` SSE clients; resolves once every one has its headers. */
async function openClients(url, headers, count) {
  const clients = [];
  const connected = [];
  for (let index = 0; index < count; index += 1) {
    const received = new Map();
    const client = { received, frames: 0, ended: null };
    client.ended = new Promise((resolveEnd) => {
      connected.push(
        new Promise((resolveConnected, reject) => {
          const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (response) => {
            if (response.statusCode !== 200) reject(new Error(`SSE answered ${response.statusCode}`));
            resolveConnected();
            response.setEncoding('utf8');
            let buffer = '';
            response.on('data', (chunk) => {
              const now = performance.now();
              buffer += chunk;
              let end = buffer.indexOf('\n\n');
              while (end >= 0) {
                const block = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                end = buffer.indexOf('\n\n');
                const match = /^id: (\d+)$/m.exec(block);
                if (match) {
                  received.set(Number(match[1]), now);
                  client.frames += 1;
                }
              }
            });
            response.on('end', resolveEnd);
            response.on('error', resolveEnd);
          });
          request.on('error', reject);
          client.destroy = () => request.destroy();
        }),
      );
    });
    clients.push(client);
  }
  await Promise.all(connected);
  return clients;
}

function deliveryStats(clients, sentAt, sequences) {
  const latencies = [];
  let firstSent = Number.POSITIVE_INFINITY;
  let lastReceived = 0;
  let delivered = 0;
  for (const sequence of sequences) {
    const sent = sentAt.get(sequence);
    if (sent === undefined) continue;
    firstSent = Math.min(firstSent, sent);
    for (const client of clients) {
      const at = client.received.get(sequence);
      if (at === undefined) continue;
      delivered += 1;
      latencies.push(at - sent);
      lastReceived = Math.max(lastReceived, at);
    }
  }
  latencies.sort((a, b) => a - b);
  const expected = sequences.length * clients.length;
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), eventsPerSecond: delivered / ((lastReceived - firstSent) / 1000), delivered, expected };
}

process.stdout.write(`(b) SSE fan-out: ${settings.sseClients} clients, ${settings.sseEvents} events ${settings.sseDelayMs} ms apart\n`);

// Bare: the same frames, pushed from memory with the same pacing.
const bareClients = await openClients(`${bareBase}/events`, {}, settings.sseClients);
const bareSentAt = new Map();
const sampleEvent = { jobId: 'j'.repeat(26), sequence: 0, createdAt: new Date().toISOString(), data: { type: 'log', level: 'info', message: 'step 000 of the benchmark job' } };
for (let sequence = 1; sequence <= settings.sseEvents; sequence += 1) {
  if (sequence > 1) await sleep(settings.sseDelayMs);
  const frame = `id: ${sequence}\nevent: log\ndata: ${JSON.stringify({ ...sampleEvent, sequence })}\n\n`;
  bareSentAt.set(sequence, performance.now());
  for (const raw of sseClientsBare) raw.write(frame);
}
for (const raw of sseClientsBare) raw.end();
await Promise.all(bareClients.map((client) => client.ended));
const bareSequences = Array.from({ length: settings.sseEvents }, (_, index) => index + 1);
const bareSse = deliveryStats(bareClients, bareSentAt, bareSequences);

// Vector: a real job; the agent waits until every client is attached, then emits.
const session = await requestJson(vectorBase, 'POST', `/v1/projects/${project.id}/sessions`, { key, body: { agentType: 'bench' } });
const posted = await requestJson(vectorBase, 'POST', `/v1/sessions/${session.id}/messages`, { key, body: { content: 'bench' } });
const vectorClients = await openClients(`${vectorBase}/v1/jobs/${posted.job.id}/events`, { authorization: `Bearer ${key}` }, settings.sseClients);
releaseAgent();
const finished = await Promise.race([Promise.all(vectorClients.map((client) => client.ended)).then(() => true), deadline(60_000).then(() => false)]);
if (!finished) {
  process.stdout.write('   warning: the Vector SSE streams did not all end within 60 s\n');
  for (const client of vectorClients) client.destroy?.();
}
const vectorSequences = [...emittedAt.keys()];
const vectorSse = deliveryStats(vectorClients, emittedAt, vectorSequences);

for (const close of closers.reverse()) await close();
rmSync(directory, { recursive: true, force: true });

// ---- report -----------------------------------------------------------------------------

// autocannon's percentiles have whole-millisecond resolution.
const p99Of = (result) => (result.latency.p99 === 0 ? '<1' : result.latency.p99);
const round = (value, digits = 1) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : value);
const rows = [
  { scenario: 'GET version files', target: 'bare Fastify', 'req/s': round(bareHttp.requests.average, 0), 'mean ms': round(bareHttp.latency.average, 2), 'p99 ms': p99Of(bareHttp) },
  { scenario: 'GET version files', target: '@vector/server', 'req/s': round(vectorHttp.requests.average, 0), 'mean ms': round(vectorHttp.latency.average, 2), 'p99 ms': p99Of(vectorHttp) },
  { scenario: 'SSE fan-out', target: 'bare Fastify', 'events/s': round(bareSse.eventsPerSecond, 0), 'p50 ms': round(bareSse.p50, 2), 'p99 ms': round(bareSse.p99, 2), delivered: `${bareSse.delivered}/${bareSse.expected}` },
  { scenario: 'SSE fan-out', target: '@vector/server', 'events/s': round(vectorSse.eventsPerSecond, 0), 'p50 ms': round(vectorSse.p50, 2), 'p99 ms': round(vectorSse.p99, 2), delivered: `${vectorSse.delivered}/${vectorSse.expected}` },
];
console.table(rows);
const ratio = (value, base) => round(value / base, 2);
console.table([
  { ratio: 'files req/s (vector / bare)', value: ratio(vectorHttp.requests.average, bareHttp.requests.average) },
  { ratio: 'files mean latency (vector / bare)', value: ratio(vectorHttp.latency.average, bareHttp.latency.average) },
  { ratio: 'files p99 (vector / bare)', value: bareHttp.latency.p99 === 0 ? `n/a (bare < 1 ms, vector ${vectorHttp.latency.p99} ms)` : ratio(vectorHttp.latency.p99, bareHttp.latency.p99) },
  { ratio: 'SSE events/s (vector / bare)', value: ratio(vectorSse.eventsPerSecond, bareSse.eventsPerSecond) },
  { ratio: 'SSE p50 delivery (vector / bare)', value: ratio(vectorSse.p50, bareSse.p50) },
  { ratio: 'SSE p99 delivery (vector / bare)', value: ratio(vectorSse.p99, bareSse.p99) },
]);
