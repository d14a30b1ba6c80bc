import { afterAll, describe, expect, it } from 'vitest';
import { type CliProcess, startCli, useCliProcesses } from './cli-process.js';
import { dropSchemas } from './postgres-schemas.js';

const url = process.env.TEST_DATABASE_URL;
const rounds = Number(process.env.VECTOR_START_ROUNDS ?? 20);
const processes = 4;

// The literal case of concurrent-start.test.ts (which starts 4 runtimes in one test process, each
// with its own pools): 4 real `vector-server` processes started at the same moment on a schema
// nobody has set up, as a rollout or a restart of every replica does, 20 rounds (about a minute
// on a 2-core machine; VECTOR_START_ROUNDS sets fewer or more).
describe.skipIf(!url)('vector-server processes starting at once on a fresh schema', () => {
  const { running, scratchDirectory } = useCliProcesses('vector-starts-');
  const schemas: string[] = [];
  afterAll(() => dropSchemas(url as string, schemas));

  it(`starts ${processes} processes at once, ${rounds} times over, and every one answers /readyz 200`, async () => {
    const failures: string[] = [];
    const suffix = `${Date.now().toString(36)}_${process.pid}`;
    for (let round = 0; round < rounds; round += 1) {
      const schema = `vs_procs_${suffix}_${round}`;
      schemas.push(schema);
      const env = {
        DATABASE_URL: url as string,
        DATABASE_SCHEMA: schema,
        VECTOR_LOCAL_BUILDS: 'false',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        DATABASE_POOL_MAX: '2',
        VECTOR_QUEUE_POOL_MAX: '2',
        VECTOR_EVENTS_POOL_MAX: '1',
      };
      const started: CliProcess[] = Array.from({ length: processes }, () => startCli({ cwd: scratchDirectory(), env }));
      running.push(...started);
      const answers = await Promise.allSettled(
        started.map(async (cli) => {
          const [, base] = await cli.waitFor(/Vector API on (http:\/\/127\.0\.0\.1:\d+)/, 60_000);
          const response = await fetch(`${base}/readyz`);
          return response.status;
        }),
      );
      answers.forEach((answer, index) => {
        if (answer.status === 'rejected') failures.push(`round ${round}, process ${index}: ${String(answer.reason).split('\n').slice(0, 3).join(' | ')}`);
        else if (answer.value !== 200) failures.push(`round ${round}, process ${index}: /readyz answered ${answer.value}`);
      });
      const stopped = await Promise.all(started.map((cli) => cli.stop()));
      stopped.forEach((status, index) => {
        if (status.code !== 0) failures.push(`round ${round}, process ${index}: exit ${JSON.stringify(status)}\n${started[index]?.errors.join('\n')}`);
      });
      running.splice(0);
    }
    expect(failures).toEqual([]);
  }, 900_000);
});
