import { describe, expect, it } from 'vitest';
import { createSqliteDatabase } from '../db/create-database.js';
import type { AgentEvent } from '../schemas/agent-event.js';
import { createMemoryStorage, createScriptedAgent } from '../reference/index.js';
import type { StorageBackend } from '../plugins/storage-backend.js';
import { createVector } from './create-vector.js';
import { guardPlugin } from './guard-plugin.js';

describe('guardPlugin', () => {
  it('maps raw errors from promises, throws and streams to Vector errors with the cause kept', async () => {
    const bug = new TypeError('undefined is not a function');
    const storage = guardPlugin('Storage backend', 'broken', {
      ...createMemoryStorage(),
      listFiles: async () => {
        throw bug;
      },
      getFile: () => {
        throw bug;
      },
    } as StorageBackend);
    const project = { id: 'p', organizationId: 'o', name: 'p', settings: {} };
    await expect(storage.listFiles({ project, ref: 'x' })).rejects.toMatchObject({ code: 'INTERNAL', message: 'Storage backend broken failed: undefined is not a function', cause: bug });
    expect(() => storage.getFile({ project, ref: 'x', path: 'a' })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    const agent = guardPlugin(
      'Agent',
      'flaky',
      createScriptedAgent({
        script: async function* (): AsyncIterable<AgentEvent> {
          yield { type: 'intent', intent: 'edit' };
          throw new RangeError('model exploded');
        },
      }),
    );
    const seen: string[] = [];
    const run = (async () => {
      for await (const event of agent.run({ signal: new AbortController().signal } as never)) seen.push(event.type);
    })();
    await expect(run).rejects.toMatchObject({ code: 'INTERNAL', message: 'Agent flaky failed: model exploded' });
    expect(seen).toEqual(['intent']);
  });

  it('refuses plugins of an unsupported specification version when the engine is created', () => {
    const database = createSqliteDatabase({ path: ':memory:' });
    const future = { ...createMemoryStorage(), specificationVersion: 'v2' } as unknown as StorageBackend;
    expect(() => createVector({ database, storage: [future] })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
