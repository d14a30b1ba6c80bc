// One server process of the scale benchmark: the built @vector/server's createRuntime, configured
// from the environment like `vector-server` (VECTOR_ROLE, DATABASE_URL, DATABASE_SCHEMA, pools,
// VECTOR_WORKER_CONCURRENCY), plus a `bench` agent that works BENCH_WORK_MS per job, sleeping
// (BENCH_WORK=sleep, like a job waiting on a model) or spinning the CPU (BENCH_WORK=cpu), then
// does what the demo agent does: lists the files and writes a note, a new version per job.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createScriptedAgent, defaultAgentScript } from '@vector/core';
import { buildServer, createRuntime, loadConfig } from '@vector/server';

const workMs = Number(process.env.BENCH_WORK_MS ?? 50);
const spin = process.env.BENCH_WORK === 'cpu';
const work = async () => {
  if (!spin) return sleep(workMs);
  const end = performance.now() + workMs;
  while (performance.now() < end) {
    // busy: the CPU-bound case
  }
};
const benchAgent = createScriptedAgent({
  type: 'bench',
  script: async function* (context) {
    await work();
    yield* defaultAgentScript(context);
  },
});

const config = loadConfig(process.env);
const quiet = /No model configured|VECTOR_BOOTSTRAP_TOKEN/;
const log = { info: () => undefined, warn: (message) => (quiet.test(message) ? undefined : process.stderr.write(`[${config.role} ${process.pid}] ${message}\n`)) };
const runtime = await createRuntime(config, log, { agents: [benchAgent] });
const app = buildServer({ vector: runtime.vector, rateLimit: false, docs: false, ...(runtime.eventFeed ? { eventFeed: runtime.eventFeed } : {}) });
await runtime.vector.start();
let url = null;
if (config.role === 'worker') await app.ready();
else url = await app.listen({ port: 0, host: '127.0.0.1', backlog: 2048 });

process.on('message', async (message) => {
  if (message?.type === 'cpu') process.send({ type: 'cpu', usage: process.cpuUsage() });
  if (message?.type === 'stop') {
    await app.close();
    await runtime.close();
    process.disconnect();
  }
});
process.send({ type: 'ready', url, role: config.role });
