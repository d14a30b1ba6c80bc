// Benchmark of @vector/server against bare Fastify, in one run, over loopback only. Each server
// runs in its own process (so its RSS is its own); this process generates the load.
//
//   pnpm -r --filter '@vector/server...' build && pnpm --filter @vector/server bench
//
// (a) GET /v1/versions/:id/files (a 50-file version) versus a bare route answering the same JSON
//     body: requests/s and latency, measured with autocannon (10 connections).
// (b) SSE fan-out, at 100 and at 1,000 clients: every client follows one job's
//     GET /v1/jobs/:id/events while a scripted agent emits 200 events 5 ms apart, versus a bare
//     Fastify SSE route pushing the same frames, equally paced: delivery latency (event emitted
//     after commit → frame read by a client) and events/s delivered.
// Server RSS is reported at idle and at its peak under each fan-out, for both servers. Each
// scenario runs BENCH_ROUNDS times (default 3); the tables show medians.
//
// It measures and prints the ratios against their targets; it never asserts. BENCH_SECONDS sets
// the length of each autocannon run (default 5); BENCH_ROUNDS the rounds of each scenario (default 3); BENCH_CLIENTS the fan-out sizes (default 100,1000);
// BENCH_SCENARIOS which to run (default files,sse); BENCH_PROFILE_DIR, when set, has the Vector
// server write a CPU profile there (node --cpu-prof).
import { fork } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { clock } from './bench-target.mjs';

const settings = {
  files: 50,
  httpSeconds: Number(process.env.BENCH_SECONDS ?? 5),
  httpRounds: Number(process.env.BENCH_ROUNDS ?? 3),
  httpConnections: 10,
  fanOut: (process.env.BENCH_CLIENTS ?? '100,1000').split(',').map(Number),
  scenarios: (process.env.BENCH_SCENARIOS ?? 'files,sse').split(','),
  sseEvents: 200,
  sseDelayMs: 5,
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const began = Date.now();
const elapsed = () => `${((Date.now() - began) / 1000).toFixed(0)} s`;

/** Starts a target process; resolves once it listens, with a function to make requests of it. */
async function startTarget(file, init, execArgv = []) {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map();
  let nextId = 1;
  let onReady = () => undefined;
  const ready = new Promise((resolve, reject) => {
    onReady = resolve;
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code} before it was ready`)));
  });
  child.on('message', (message) => {
    if (message.type === 'ready') return onReady(message);
    const request = pending.get(message.id);
    if (!request) return;
    pending.delete(message.id);
    if (message.error) request.reject(new Error(message.error));
    else request.resolve(message.result);
  });
  child.send(init);
  const info = await ready;
  const call = (type, input = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, type, ...input });
    });
  return { info, call, child };
}

/** Samples a target's RSS every 50 ms until `stop()`; answers the peak. */
function watchRss(target) {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await target.call('rss'));
      await sleep(50);
    }
  })();
  return async () => {
    running = false;
    await loop;
    return peak;
  };
}

function percentile(sorted, fraction) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

/**
 * Opens `count` SSE clients, at most 100 connecting at once; resolves once every one has its
 * response head. A client records when it read each frame id (`received[sequence]`, 0: never).
 * One process reads for all of them, so each client is a bare TCP socket that sends its GET with
 * `Connection: close` and scans the bytes for `id: ` lines: no HTTP parser, no decoding (the
 * chunked framing cannot contain "id: "), the least work per frame.
 */
async function openClients(url, headers, count, events) {
  const { hostname, port, pathname, search } = new URL(url);
  const head = [`GET ${pathname}${search} HTTP/1.1`, `host: ${hostname}:${port}`, 'accept: text/event-stream', 'connection: close', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`), '', ''].join('\r\n');
  const marker = Buffer.from('id: ');
  const lastChunk = Buffer.from('0\r\n\r\n');
  const clients = [];
  const open = () =>
    new Promise((resolveConnected, reject) => {
      const received = new Float64Array(events + 1);
      const client = { received };
      clients.push(client);
      client.ended = new Promise((resolveEnd) => {
        const socket = net.connect(Number(port), hostname, () => socket.write(head));
        client.destroy = () => socket.destroy();
        let connected = false;
        let carry = null;
        socket.on('data', (chunk) => {
          const now = clock();
          let data = carry ? Buffer.concat([carry, chunk]) : chunk;
          if (!connected) {
            const headEnd = data.indexOf('\r\n\r\n');
            if (headEnd < 0) {
              carry = data;
              return;
            }
            const status = data.toString('latin1', 9, 12);
            if (status !== '200') {
              socket.destroy();
              return reject(new Error(`SSE answered ${status}`));
            }
            connected = true;
            resolveConnected();
            data = data.subarray(headEnd + 4);
          }
          let at = data.indexOf(marker);
          let consumed = 0;
          while (at >= 0) {
            const end = data.indexOf(10, at);
            if (end < 0) break;
            const sequence = Number(data.toString('latin1', at + 4, end));
            if (sequence > 0 && sequence <= events) received[sequence] = now;
            consumed = end;
            at = data.indexOf(marker, end);
          }
          // Keep an unfinished "id: …" line, or what may be the start of one, for the next chunk.
          carry = at >= 0 ? data.subarray(at) : data.subarray(Math.max(consumed, data.length - 3));
          // The response is over at chunked encoding's last chunk (the server may keep the connection).
          if (data.length >= 5 && data.subarray(data.length - 5).equals(lastChunk)) socket.destroy();
        });
        socket.on('close', resolveEnd);
        socket.on('error', (error) => {
          if (!connected) reject(error);
          resolveEnd();
        });
      });
    });
  for (let start = 0; start < count; start += 100) await Promise.all(Array.from({ length: Math.min(100, count - start) }, open));
  return clients;
}

function deliveryStats(clients, sentAt) {
  const latencies = [];
  let firstSent = Number.POSITIVE_INFINITY;
  let lastReceived = 0;
  for (const [sequence, sent] of sentAt) {
    firstSent = Math.min(firstSent, sent);
    for (const client of clients) {
      const at = client.received[sequence];
      if (!at) continue;
      latencies.push(at - sent);
      lastReceived = Math.max(lastReceived, at);
    }
  }
  latencies.sort((a, b) => a - b);
  const sent = sentAt.map(([, at]) => at);
  return {
    sendSeconds: (Math.max(...sent) - Math.min(...sent)) / 1000,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    eventsPerSecond: latencies.length / ((lastReceived - firstSent) / 1000),
    delivered: latencies.length,
    expected: sentAt.length * clients.length,
  };
}

const runAutocannon = (url, headers) => autocannon({ url, headers, connections: settings.httpConnections, duration: settings.httpSeconds, pipelining: 1 });

// ---- start both servers ---------------------------------------------------------------------

const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
const vector = await startTarget('./vector-target.mjs', { files: settings.files, sseEvents: settings.sseEvents, sseDelayMs: settings.sseDelayMs }, profile);
const { url: vectorUrl, key, filesPath, filesBody } = vector.info;
const sampleEvent = { jobId: 'j'.repeat(26), sequence: 0, createdAt: new Date().toISOString(), data: { type: 'log', level: 'info', message: 'step 000 of the benchmark job' } };
const bare = await startTarget('./bare-target.mjs', { filesBody, sampleEvent }, process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}/bare`] : []);
const bareUrl = bare.info.url;
const auth = { authorization: `Bearer ${key}` };
await sleep(500);
const idle = { bare: await bare.call('rss'), vector: await vector.call('rss') };

// ---- (a) GET version files --------------------------------------------------------------------

// The median of each figure over the rounds: a fan-out on two shared cores varies from round to round.
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
// Rounds alternate bare and Vector, so a slow spell of the shared machine hits both; the
// figures reported are each side's median round, and the ratios the median of the rounds' ratios.
let bareHttp = null;
let vectorHttp = null;
let httpRatios = null;
if (settings.scenarios.includes('files')) {
  process.stdout.write(`[${elapsed()}] (a) GET version files: ${settings.files} files, ${Buffer.byteLength(filesBody)} B body, ${settings.httpConnections} connections, ${settings.httpRounds} rounds of ${settings.httpSeconds}s each\n`);
  // A short warm-up of each, so both are measured with their code optimized.
  await autocannon({ url: `${bareUrl}/files`, connections: settings.httpConnections, duration: 1 });
  await autocannon({ url: `${vectorUrl}${filesPath}`, headers: auth, connections: settings.httpConnections, duration: 1 });
  const rounds = [];
  for (let round = 0; round < settings.httpRounds; round += 1) {
    const bareRound = await runAutocannon(`${bareUrl}/files`, {});
    const vectorRound = await runAutocannon(`${vectorUrl}${filesPath}`, auth);
    if (vectorRound.non2xx > 0 || vectorRound.errors > 0) process.stdout.write(`   warning: the Vector route answered ${vectorRound.non2xx} non-2xx and ${vectorRound.errors} errors\n`);
    rounds.push({ bare: bareRound, vector: vectorRound });
  }
  const byRequests = (side) => [...rounds].sort((a, b) => a[side].requests.average - b[side].requests.average)[Math.floor(rounds.length / 2)][side];
  bareHttp = byRequests('bare');
  vectorHttp = byRequests('vector');
  httpRatios = {
    requests: median(rounds.map((round) => round.vector.requests.average / round.bare.requests.average)),
    // autocannon's percentiles have whole-millisecond resolution: the bare p99 is floored at 1 ms.
    p99: median(rounds.map((round) => Math.max(round.vector.latency.p99, 1) / Math.max(round.bare.latency.p99, 1))),
  };
}

// ---- (b) SSE fan-out -------------------------------------------------------------------------

/** One fan-out round: the bare route, then a Vector job, each followed by `clientCount` clients. */
async function fanOutRound(clientCount) {
  const step = (what) => process.env.BENCH_DEBUG && process.stdout.write(`   [${elapsed()}] ${what}\n`);
  const bareClients = await openClients(`${bareUrl}/events`, {}, clientCount, settings.sseEvents);
  while ((await bare.call('clients')) < clientCount) await sleep(10);
  step('bare clients open');
  const bareRss = watchRss(bare);
  const bareSentAt = await bare.call('push', { events: settings.sseEvents, delayMs: settings.sseDelayMs });
  await Promise.all(bareClients.map((client) => client.ended));
  const bareStats = { ...deliveryStats(bareClients, bareSentAt), rss: await bareRss() };
  step('bare round done');

  const jobId = await vector.call('job');
  const vectorClients = await openClients(`${vectorUrl}/v1/jobs/${jobId}/events`, auth, clientCount, settings.sseEvents + 10);
  step('vector clients open');
  const vectorRss = watchRss(vector);
  await vector.call('release', { jobId });
  let timer;
  const ended = await Promise.race([
    Promise.all(vectorClients.map((client) => client.ended)).then(() => true),
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(false), 120_000);
    }),
  ]);
  clearTimeout(timer);
  if (!ended) {
    process.stdout.write('   warning: the Vector SSE streams did not all end within 120 s\n');
    for (const client of vectorClients) client.destroy?.();
  }
  const vectorStats = { ...deliveryStats(vectorClients, await vector.call('emitted', { jobId })), rss: await vectorRss() };
  return { bare: bareStats, vector: vectorStats };
}

const medianStats = (rounds) => Object.fromEntries(Object.keys(rounds[0]).map((key) => [key, median(rounds.map((round) => round[key]))]));

const fanOut = [];
for (const clientCount of settings.scenarios.includes('sse') ? settings.fanOut : []) {
  process.stdout.write(`[${elapsed()}] (b) SSE fan-out: ${clientCount} clients, ${settings.sseEvents} events ${settings.sseDelayMs} ms apart, ${settings.httpRounds} rounds\n`);
  const rounds = [];
  for (let round = 0; round < settings.httpRounds; round += 1) rounds.push(await fanOutRound(clientCount));
  const ratios = rounds.map((round) => round.vector.eventsPerSecond / round.bare.eventsPerSecond);
  fanOut.push({ clientCount, bare: medianStats(rounds.map((round) => round.bare)), vector: medianStats(rounds.map((round) => round.vector)), ratios });
}

process.stdout.write(`[${elapsed()}] closing\n`);
await vector.call('close');
await bare.call('close');
process.stdout.write(`[${elapsed()}] done\n`);

// ---- report ------------------------------------------------------------------------------------

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const round = (value, digits = 1) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : value);
// autocannon's percentiles have whole-millisecond resolution: a 0 means under 1 ms.
const p99Of = (result) => (result.latency.p99 === 0 ? '<1' : result.latency.p99);
console.table([
  { scenario: 'idle', target: 'bare Fastify', RSS: mb(idle.bare) },
  { scenario: 'idle', target: '@vector/server', RSS: mb(idle.vector) },
  ...(bareHttp && vectorHttp
    ? [
        { scenario: 'GET version files', target: 'bare Fastify', 'req/s': round(bareHttp.requests.average, 0), 'mean ms': round(bareHttp.latency.average, 2), 'p99 ms': p99Of(bareHttp) },
        { scenario: 'GET version files', target: '@vector/server', 'req/s': round(vectorHttp.requests.average, 0), 'mean ms': round(vectorHttp.latency.average, 2), 'p99 ms': p99Of(vectorHttp) },
      ]
    : []),
]);
console.table(
  fanOut.flatMap(({ clientCount, bare: b, vector: v }) => [
    { scenario: `SSE fan-out, ${clientCount} clients`, target: 'bare Fastify', 'events/s': round(b.eventsPerSecond, 0), 'p50 ms': round(b.p50, 2), 'p99 ms': round(b.p99, 2), 'send s': round(b.sendSeconds, 2), delivered: `${b.delivered}/${b.expected}`, 'peak RSS': mb(b.rss) },
    { scenario: `SSE fan-out, ${clientCount} clients`, target: '@vector/server', 'events/s': round(v.eventsPerSecond, 0), 'p50 ms': round(v.p50, 2), 'p99 ms': round(v.p99, 2), 'send s': round(v.sendSeconds, 2), delivered: `${v.delivered}/${v.expected}`, 'peak RSS': mb(v.rss) },
  ]),
);

const ratio = (value, base) => round(value / base, 2);
const rows = [];
if (httpRatios) {
  rows.push({ measure: "files req/s, vector / bare (median of rounds' ratios)", value: round(httpRatios.requests, 2), target: '≥ 0.5', met: (value) => value >= 0.5 });
  rows.push({ measure: "files p99, vector / bare (bare floored at 1 ms; median of rounds' ratios)", value: round(httpRatios.p99, 2), target: '≤ 5', met: (value) => value <= 5 });
}
for (const { clientCount, bare: b, vector: v, ratios } of fanOut) {
  const big = clientCount >= 1000;
  rows.push({ measure: `SSE ${clientCount} clients: events/s, vector / bare (median of rounds' ratios)`, value: round(median(ratios), 2), target: big ? '≥ 0.8' : '', met: big ? (value) => value >= 0.8 : null });
  rows.push({ measure: `SSE ${clientCount} clients: vector delivery p99, ms`, value: round(v.p99, 1), target: big ? '≤ 50' : '', met: big ? (value) => value <= 50 : null });
  rows.push({ measure: `SSE ${clientCount} clients: peak RSS, vector / bare`, value: ratio(v.rss, b.rss), target: '', met: null });
}
rows.push({ measure: 'idle RSS, vector / bare', value: ratio(idle.vector, idle.bare), target: '', met: null });
console.table(rows.map(({ measure, value, target, met }) => ({ measure, value, target, result: met ? (met(value) ? 'met' : 'missed') : '' })));
