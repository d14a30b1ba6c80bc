import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServer, loadConfig } from '../src/index.js';
import { createRuntime } from '../src/runtime/create-runtime.js';
import { dropSchemas } from './postgres-schemas.js';

const url = process.env.TEST_DATABASE_URL;
const rounds = 20;
const processes = 4;

// Processes of one deployment often start together (a rollout, a restart of every replica) on a
// database nobody has set up yet. Each runtime here does what `vector-server` does before it
// answers: builds the runtime (engine schema, pg-boss schema and queue, event listener), starts
// the engine (core and storage migrations) and readies the server (its own migrations).
describe.skipIf(!url)('runtimes starting at once on a fresh schema', () => {
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'vector-start-'));
  const schemas: string[] = [];
  afterAll(async () => {
    await dropSchemas(url as string, schemas);
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function startOne(schema: string) {
    const config = loadConfig({
      DATABASE_URL: url,
      DATABASE_SCHEMA: schema,
      VECTOR_LOCAL_BUILDS: 'false',
      VECTOR_DATA_DIR: dataDir,
      DATABASE_POOL_MAX: '2',
      VECTOR_QUEUE_POOL_MAX: '2',
      VECTOR_EVENTS_POOL_MAX: '1',
      VECTOR_WORKER_CONCURRENCY: '2',
    });
    const runtime = await createRuntime(config, { info: () => undefined, warn: () => undefined });
    const app = buildServer({ vector: runtime.vector, rateLimit: false, ...(runtime.eventFeed ? { eventFeed: runtime.eventFeed } : {}) });
    const close = async () => {
      await app.close();
      await runtime.close();
    };
    try {
      await runtime.vector.start();
      await app.ready();
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      return { status: ready.statusCode, close };
    } catch (error) {
      await close().catch(() => undefined);
      throw error;
    }
  }

  it(`starts ${processes} runtimes at once on a fresh schema, ${rounds} times over, and every one becomes ready`, async () => {
    const failures: string[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const schema = `vs_start_${suffix}_${round}`;
      schemas.push(schema);
      const started = await Promise.allSettled(Array.from({ length: processes }, () => startOne(schema)));
      for (const result of started) {
        if (result.status === 'rejected') failures.push(`round ${round}: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`);
        else if (result.value.status !== 200) failures.push(`round ${round}: /readyz answered ${result.value.status}`);
      }
      await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.close() : undefined)));
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
