// The cost of tracing on the reference server, in one run, over loopback: the files route
// (GET /v1/versions/:id/files, a 50-file version) of two servers built alike, each in its own
// process: one with no OpenTelemetry SDK (every span the API's no-op, Vector's default), one with
// an SDK registered (batch span processor, in-memory exporter) so that every request records its
// server span and handler span; and, for reference, one built with `telemetry: false` (no
// instrumentation at all). Each round measures the three, starting with another each time; the ratio is traced / untraced
// requests per second (median of the rounds' ratios). It never asserts.
//
//   pnpm -r --filter '@vector/server...' build && node bench/tracing.bench.mjs
//
// BENCH_SECONDS (default 5) and BENCH_ROUNDS (default 5) as in http.bench.mjs.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const connections = 10;

async function startTarget(tracing) {
  const child = fork(fileURLToPath(new URL('./vector-target.mjs', import.meta.url)), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = new Promise((resolve, reject) => {
    child.on('message', (message) => message.type === 'ready' && resolve(message));
    child.once('exit', (code) => reject(new Error(`the ${tracing} target exited with ${code} before it was ready`)));
  });
  child.send({ files: 50, sseEvents: 0, sseDelayMs: 0, tracing });
  const info = await ready;
  let nextId = 1;
  const call = (type) =>
    new Promise((resolve) => {
      const id = (nextId += 1);
      const listener = (message) => {
        if (message.id !== id) return;
        child.off('message', listener);
        resolve(message.result);
      };
      child.on('message', listener);
      child.send({ id, type });
    });
  return { info, call, close: () => child.send({ id: 0, type: 'close' }) };
}

const off = await startTarget('off');
const untraced = await startTarget('none');
const traced = await startTarget('memory');
const url = (target) => `${target.info.url}${target.info.filesPath}`;
const run = (target, duration) => autocannon({ url: url(target), headers: { authorization: `Bearer ${target.info.key}` }, connections, duration, pipelining: 1 });
process.stdout.write(`tracing cost: GET version files, ${connections} connections, ${rounds} rounds of ${seconds}s per server\n`);
await run(off, 1);
await run(untraced, 1);
await run(traced, 1);
const results = [];
for (let round = 0; round < rounds; round += 1) {
  // Each round starts with another server, so a slow or fast spell of the machine favours none.
  const measured = {};
  const order = [['bare', off], ['plain', untraced], ['withSdk', traced]];
  for (let index = 0; index < order.length; index += 1) {
    const [name, target] = order[(index + round) % order.length];
    measured[name] = await run(target, seconds);
  }
  const { bare, plain, withSdk } = measured;
  for (const [name, result] of [['uninstrumented', bare], ['untraced', plain], ['traced', withSdk]]) {
    if (result.non2xx > 0 || result.errors > 0) process.stdout.write(`   warning: the ${name} server answered ${result.non2xx} non-2xx and ${result.errors} errors\n`);
  }
  results.push({ bare, plain, withSdk });
}
// Proof that the traced server did record: its exporter's spans against the requests it served.
await new Promise((resolve) => setTimeout(resolve, 1_500));
const spansRecorded = await traced.call('spans');
const tracedRequests = results.reduce((sum, { withSdk }) => sum + withSdk.requests.total, 0);
off.close();
untraced.close();
traced.close();

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ratio = median(results.map(({ plain, withSdk }) => withSdk.requests.average / plain.requests.average));
const instrumentation = median(results.map(({ bare, plain }) => plain.requests.average / bare.requests.average));
console.table([
  { server: 'telemetry: false (no plugin)', 'req/s': Math.round(median(results.map(({ bare }) => bare.requests.average))), 'p99 ms': median(results.map(({ bare }) => bare.latency.p99)) },
  { server: 'no SDK (default: nothing installed)', 'req/s': Math.round(median(results.map(({ plain }) => plain.requests.average))), 'p99 ms': median(results.map(({ plain }) => plain.latency.p99)) },
  { server: 'SDK, in-memory exporter', 'req/s': Math.round(median(results.map(({ withSdk }) => withSdk.requests.average))), 'p99 ms': median(results.map(({ withSdk }) => withSdk.latency.p99)) },
]);
console.table([
  { measure: "files req/s, traced / untraced (median of rounds' ratios)", value: Number(ratio.toFixed(2)), target: '≥ 0.8', result: ratio >= 0.8 ? 'met' : 'missed' },
  { measure: "files req/s, untraced / no plugin (median of rounds' ratios)", value: Number(instrumentation.toFixed(2)), target: '≥ 0.95', result: instrumentation >= 0.95 ? 'met' : 'missed' },
]);
console.log(`the traced server exported ${spansRecorded} spans for ${tracedRequests} measured requests (and its warm-up)`);
