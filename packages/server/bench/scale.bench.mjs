// Scale-out benchmark of @vector/server on PostgreSQL: how many agent jobs a deployment runs per
// second with one process, and with separate api and worker processes. Real child processes
// (bench/scale-process.mjs: the built package's createRuntime, configured from the environment
// like `vector-server`) start together on a fresh schema; this process creates BENCH_PROJECTS
// projects over HTTP, then posts BENCH_JOBS messages at once, spread evenly over the projects
// and the api processes, and waits until every job has ended.
//
//   TEST_DATABASE_URL=postgres://… pnpm --filter @vector/server bench   (after a build)
//
// Each job is a scripted `bench` agent working BENCH_WORK_MS (default 50) — sleeping by default
// (BENCH_WORK=sleep: a job waiting on a model), or spinning the CPU (BENCH_WORK=cpu) — then
// listing the project's files and writing a note (one new version per job).
//
// Printed per layout: jobs/s (jobs ÷ first post → last end), latency posted → ended (the job
// row's created_at → finished_at) p50/p99, CPU seconds of each server process, the machine's
// CPU use over the run (PostgreSQL and this driver included) and the load average. It never
// asserts; the targets are printed beside the figures. `CPU ms/job` (server processes and
// PostgreSQL, per job) is the figure least disturbed by other work on the machine. BENCH_LAYOUTS chooses layouts (default
// `all,2api+1worker,2api+2worker`); BENCH_CONCURRENCY and BENCH_BATCH_SIZE set VECTOR_WORKER_CONCURRENCY
// (default 8) and VECTOR_QUEUE_BATCH_SIZE (default 1); BENCH_JOBS, BENCH_PROJECTS, BENCH_WORK_MS the load;
// BENCH_PROFILE_DIR, when set, has every server process write a CPU profile there.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const databaseUrl = process.env.TEST_DATABASE_URL;
if (!databaseUrl) {
  console.log('scale benchmark skipped: set TEST_DATABASE_URL to a PostgreSQL database');
  process.exit(0);
}
const { default: pg } = await import('pg');

const settings = {
  jobs: Number(process.env.BENCH_JOBS ?? 200),
  projects: Number(process.env.BENCH_PROJECTS ?? 20),
  workMs: Number(process.env.BENCH_WORK_MS ?? 50),
  work: process.env.BENCH_WORK === 'cpu' ? 'cpu' : 'sleep',
  concurrency: process.env.BENCH_CONCURRENCY ?? '8',
  batchSize: process.env.BENCH_BATCH_SIZE ?? '1',
  layouts: (process.env.BENCH_LAYOUTS ?? 'all,2api+1worker,2api+2worker').split(','),
  timeoutMs: Number(process.env.BENCH_TIMEOUT_MS ?? 300_000),
};
const layouts = {
  all: ['all'],
  '1api+1worker': ['api', 'worker'],
  '2api+1worker': ['api', 'api', 'worker'],
  '2api+2worker': ['api', 'api', 'worker', 'worker'],
  '2api+3worker': ['api', 'api', 'worker', 'worker', 'worker'],
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const quantile = (sorted, q) => (sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);

/** The machine's CPU time so far, busy and total, over every core. */
function machineCpu() {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.idle + times.irq;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/** CPU seconds used so far by PostgreSQL's processes (every client's backends, not only ours), from /proc. */
function postgresCpu() {
  const ticks = 100; // USER_HZ on Linux
  const seen = new Map();
  let entries = [];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return null;
  }
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
      const fields = stat.slice(close + 2).split(' ');
      seen.set(pid, (Number(fields[11]) + Number(fields[12])) / ticks);
    } catch {
      // the process ended meanwhile
    }
  }
  return seen;
}

/** PostgreSQL CPU seconds between two readings (a backend that started meanwhile counts whole). */
function postgresCpuBetween(before, after) {
  if (!before || !after) return Number.NaN;
  let seconds = 0;
  for (const [pid, used] of after) seconds += used - (before.get(pid) ?? 0);
  return seconds;
}

/** Starts one server process; resolves once it is ready, with its URL (api and all) and a CPU probe. */
async function startProcess(role, schema) {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: schema,
    VECTOR_ROLE: role,
    VECTOR_LOCAL_BUILDS: 'false',
    VECTOR_WORKER_CONCURRENCY: settings.concurrency,
    VECTOR_QUEUE_BATCH_SIZE: settings.batchSize,
    BENCH_WORK_MS: String(settings.workMs),
    BENCH_WORK: settings.work,
    LOG_LEVEL: 'warn',
  };
  const execArgv = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE_DIR] : [];
  const child = fork(fileURLToPath(new URL('./scale-process.mjs', import.meta.url)), { env, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = [];
  child.on('message', (message) => waiting.shift()?.(message));
  const next = () => new Promise((resolve) => waiting.push(resolve));
  const ready = await Promise.race([next(), new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`a ${role} process exited with ${code} before it was ready`))))]);
  return {
    role,
    url: ready.url,
    async cpuSeconds() {
      const answer = next();
      child.send({ type: 'cpu' });
      const { usage } = await answer;
      return (usage.user + usage.system) / 1e6;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
    },
  };
}

async function request(base, method, path, { key, body } = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await response.json();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

async function runLayout(name) {
  const roles = layouts[name];
  if (!roles) throw new Error(`unknown layout ${name}; known: ${Object.keys(layouts).join(', ')}`);
  const schema = `vs_scale_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  const processes = [];
  try {
    // All at once on a fresh schema, as a rollout would start them.
    processes.push(...(await Promise.all(roles.map((role) => startProcess(role, schema)))));
    const apis = processes.filter((entry) => entry.url);
    const { apiKey } = await request(apis[0].url, 'POST', '/v1/organizations', { body: { name: 'Scale' } });
    const key = apiKey.key;
    const sessions = [];
    for (let index = 0; index < settings.projects; index += 1) {
      const api = apis[index % apis.length].url;
      const project = await request(api, 'POST', '/v1/projects', { key, body: { name: `project ${index}` } });
      await request(api, 'POST', `/v1/projects/${project.id}/versions`, { key, body: { parentVersionId: null, files: [{ path: 'index.html', content: `<h1>${index}</h1>` }], message: 'start' } });
      sessions.push((await request(api, 'POST', `/v1/projects/${project.id}/sessions`, { key, body: { agentType: 'bench' } })).id);
    }

    const cpuBefore = await Promise.all(processes.map((entry) => entry.cpuSeconds()));
    const machineBefore = machineCpu();
    const postgresBefore = postgresCpu();
    const began = Date.now();
    // Every message at once, project by project in turn, each api process taking its share.
    await Promise.all(
      Array.from({ length: settings.jobs }, (_, index) =>
        request(apis[index % apis.length].url, 'POST', `/v1/sessions/${sessions[index % sessions.length]}/messages`, { key, body: { content: `message ${index}` } }),
      ),
    );
    const posted = Date.now() - began;
    let ended = 0;
    while (ended < settings.jobs && Date.now() - began < settings.timeoutMs) {
      await sleep(100);
      const { rows } = await admin.query(`select count(*)::int as ended from "${schema}".vector_agent_jobs where status in ('complete', 'failed', 'cancelled')`);
      ended = rows[0].ended;
    }
    const machineAfter = machineCpu();
    const postgresAfter = postgresCpu();
    const cpuAfter = await Promise.all(processes.map((entry) => entry.cpuSeconds()));
    const { rows } = await admin.query(`select status, error, created_at, finished_at from "${schema}".vector_agent_jobs`);
    for (const row of rows.filter((entry) => entry.status !== 'complete')) {
      const error = row.error ? JSON.parse(row.error) : { code: row.status, message: '' };
      const seen = failures.get(error.code) ?? { count: 0, example: error.message };
      failures.set(error.code, { ...seen, count: seen.count + 1 });
    }
    const finished = rows.filter((row) => row.finished_at);
    const first = Math.min(...rows.map((row) => Date.parse(row.created_at)));
    const last = Math.max(...finished.map((row) => Date.parse(row.finished_at)));
    const latencies = finished.map((row) => Date.parse(row.finished_at) - Date.parse(row.created_at)).sort((a, b) => a - b);
    const seconds = (last - first) / 1000;
    const machineBusy = (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total);
    const used = processes.map((_, index) => cpuAfter[index] - cpuBefore[index]);
    const perProcess = processes.map((entry, index) => `${entry.role} ${used[index].toFixed(1)} s`);
    const postgresSeconds = postgresCpuBetween(postgresBefore, postgresAfter);
    return {
      layout: name,
      processes: roles.length,
      'jobs ended': `${finished.length}/${settings.jobs}${finished.length < rows.length ? ' (timed out)' : ''}`,
      failed: rows.filter((row) => row.status !== 'complete').length,
      'jobs/s': Number((finished.length / seconds).toFixed(1)),
      'p50 ms': quantile(latencies, 0.5),
      'p99 ms': quantile(latencies, 0.99),
      'posting ms': posted,
      'server CPU': perProcess.join(', '),
      'PostgreSQL CPU': `${postgresSeconds.toFixed(1)} s`,
      'CPU ms/job': Math.round(((used.reduce((sum, seconds) => sum + seconds, 0) + postgresSeconds) * 1000) / finished.length),
      'machine CPU': `${(machineBusy * 100).toFixed(0)} % of ${cpus().length} cores`,
      'load 1 min': Number(loadavg()[0].toFixed(1)),
    };
  } finally {
    await Promise.all(processes.map((entry) => entry.stop().catch(() => undefined)));
    await admin.query(`drop schema if exists "${schema}" cascade; drop schema if exists "${schema}_pgboss" cascade`).catch(() => undefined);
    await admin.end();
  }
}

console.log(
  `scale benchmark: ${settings.jobs} jobs over ${settings.projects} projects, each ${settings.workMs} ms of ${settings.work === 'cpu' ? 'CPU work' : 'waiting (sleep)'} ` +
    `then a note written; VECTOR_WORKER_CONCURRENCY=${settings.concurrency}, VECTOR_QUEUE_BATCH_SIZE=${settings.batchSize}; ${cpus().length} cores, load ${loadavg()[0].toFixed(1)} before the run`,
);
const results = [];
const failures = new Map();
for (const layout of settings.layouts) results.push(await runLayout(layout));
console.table(results);
for (const [code, { count, example }] of failures) console.log(`jobs that did not complete: ${code} ×${count}, e.g. ${example}`);
const single = results.find((result) => result.layout === 'all');
if (single) console.log(`target: one process ≥ 10 jobs/s — ${single['jobs/s'] >= 10 ? 'met' : 'missed'} (${single['jobs/s']} jobs/s)`);
const workers = results.filter((result) => /worker$/.test(result.layout));
if (workers.length > 1) {
  console.log(`target: near-linear growth with workers until CPU is the limit — ${workers.map((result) => `${result.layout}: ${result['jobs/s']} jobs/s at ${result['machine CPU']}`).join('; ')}`);
}
