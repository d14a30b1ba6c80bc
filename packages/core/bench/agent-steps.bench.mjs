#!/usr/bin/env node
// Benchmark: the engine's overhead per agent step, the model excluded. An agent that answers
// at once reports BENCH_STEPS steps (model calls with usage and a ~1 KB output, each followed by
// a tool call, plus a text delta per call); the engine validates, prices, records and announces
// each, and commits them with its group commit. Measured from posting the message to the job's
// end, minus the same agent iterated bare (no engine), per step. The peer, measured in the same
// run: one bare SQLite INSERT committed on its own per step (what a naive recorder would pay).
// Target: under 5 ms per step on SQLite. Run after `pnpm build`: `pnpm --filter @vector/core bench`.
// Environment: BENCH_STEPS (default 400), BENCH_ROUNDS (3), TEST_DATABASE_URL (adds PostgreSQL).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DatabaseSync } from 'node:sqlite';
import { createMemoryStorage, createPostgresDatabase, createScriptedAgent, createSqliteDatabase, createVector } from '@vector/core';

const STEPS = Number(process.env.BENCH_STEPS ?? 400);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TARGET_MS = 5;
const output = { content: 'x'.repeat(1024), toolCalls: [{ id: 'call_1', name: 'write_file', arguments: '{"path":"a.ts"}' }] };

// What the agent yields: STEPS steps, half model calls (with text and usage), half tool calls.
async function* script() {
  for (let step = 0; step < STEPS; step += 2) {
    yield { type: 'text_delta', text: 'Working on it. ' };
    yield { type: 'step', kind: 'model', name: 'change', model: 'gpt-4o-mini', inputDigest: `sha256:${step}`, output, usage: { promptTokens: 1200, cachedTokens: 200, completionTokens: 300, totalTokens: 1500 }, durationMs: 1 };
    yield { type: 'step', kind: 'tool', name: 'write_file', inputDigest: `sha256:tool-${step}`, output: { ok: true, output: 'written' }, durationMs: 0 };
  }
  yield { type: 'result', changes: [], commitMessage: 'No code changes', summary: 'done', validationStatus: 'not_run' };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The agent alone: iterating its events, nothing recorded. */
async function bare() {
  const started = performance.now();
  for await (const event of script()) void event;
  return performance.now() - started;
}

/** One job of the agent through an engine on `database`; milliseconds from posting to the end. */
async function throughEngine(database) {
  const vector = createVector({ database, storage: [createMemoryStorage()], agents: [createScriptedAgent({ type: 'bench', script })], jobBudget: { maxSteps: 1000, maxTokens: 100_000_000 } });
  await vector.start();
  try {
    const actor = { type: 'user', id: 'bench' };
    const organization = await vector.organizations.create({ name: `Bench ${Date.now()}` }, actor);
    const scope = vector.scope({ organizationId: organization.id, actor });
    const project = await scope.projects.create({ name: 'bench' });
    const session = await scope.agent.createSession({ projectId: project.id, agentType: 'bench' });
    const started = performance.now();
    const { job } = await scope.agent.postMessage({ sessionId: session.id, content: 'go' });
    const done = await scope.agent.waitForJob(job.id, { timeoutMs: 600_000 });
    const elapsed = performance.now() - started;
    if (done.status !== 'complete') throw new Error(`the bench job ended ${done.status}: ${done.error?.message}`);
    const steps = await scope.agent.listSteps(job.id, { limit: 1000 });
    if (steps.length !== STEPS) throw new Error(`expected ${STEPS} steps, found ${steps.length}`);
    return elapsed;
  } finally {
    await vector.dispose();
    await database.destroy();
  }
}

/** The peer: one INSERT per step, each committed on its own, on a bare SQLite file. */
function bareInserts(directory) {
  const database = new DatabaseSync(join(directory, 'peer.db'));
  database.exec('PRAGMA journal_mode = WAL');
  database.exec('CREATE TABLE steps (id INTEGER PRIMARY KEY, job TEXT, output TEXT, tokens INTEGER)');
  const insert = database.prepare('INSERT INTO steps (job, output, tokens) VALUES (?, ?, ?)');
  const text = JSON.stringify(output);
  const started = performance.now();
  for (let step = 0; step < STEPS; step += 1) insert.run('job', text, 1500);
  const elapsed = performance.now() - started;
  database.close();
  return elapsed;
}

const directory = mkdtempSync(join(tmpdir(), 'vector-step-bench-'));
try {
  const bareMs = [];
  const peerMs = [];
  const sqliteMs = [];
  const postgresMs = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    bareMs.push(await bare());
    peerMs.push(bareInserts(join(directory)));
    rmSync(join(directory, 'peer.db'), { force: true });
    const file = join(directory, `engine-${round}.db`);
    sqliteMs.push(await throughEngine(createSqliteDatabase({ path: file })));
    if (process.env.TEST_DATABASE_URL) postgresMs.push(await throughEngine(await createPostgresDatabase({ connectionString: process.env.TEST_DATABASE_URL, schema: 'vector_step_bench' })));
  }
  const perStep = (ms) => (median(ms) - median(bareMs)) / STEPS;
  const sqlite = perStep(sqliteMs);
  const peer = median(peerMs) / STEPS;
  console.log(`agent steps: ${STEPS} per job (model and tool calls alternating), medians of ${ROUNDS} rounds`);
  console.log(`  agent alone:                 ${median(bareMs).toFixed(1)} ms per job`);
  console.log(`  engine overhead, SQLite:     ${sqlite.toFixed(3)} ms per step  (target < ${TARGET_MS} ms: ${sqlite < TARGET_MS ? 'met' : 'MISSED'})`);
  if (postgresMs.length > 0) console.log(`  engine overhead, PostgreSQL: ${perStep(postgresMs).toFixed(3)} ms per step`);
  console.log(`  peer, one committed INSERT per step on bare SQLite: ${peer.toFixed(3)} ms per step`);
  console.log(`  engine / peer: ${(sqlite / peer).toFixed(2)}×`);
} finally {
  rmSync(directory, { recursive: true, force: true });
}
