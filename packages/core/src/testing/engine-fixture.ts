import { afterEach, beforeEach } from 'vitest';
import type { VectorDatabaseConnection } from '../db/create-database.js';
import { createMemoryStorage, createScriptedAgent, createStaticProvider } from '../reference/index.js';
import type { TestDatabase } from './test-databases.js';
import type { Agent } from '../plugins/agent.js';
import type { DeploymentProvider } from '../plugins/deployment-provider.js';
import type { StorageBackend } from '../plugins/storage-backend.js';
import type { Actor } from '../schemas/common.js';
import { createVector, type VectorOptions } from '../engine/create-vector.js';
import type { Vector, VectorScope } from '../engine/vector-types.js';

/** A started engine on a fresh database with one organization, torn down after each test. */
export interface EngineFixture {
  vector: Vector;
  database: VectorDatabaseConnection;
  actor: Actor;
  organizationId: string;
  scope: VectorScope;
  /** A second organization, for tenancy checks. */
  otherScope: VectorScope;
  /** Advances the engine's clock. */
  advanceClock(ms: number): void;
}

/** Registers beforeEach/afterEach hooks that build an {@link EngineFixture}. */
export function useEngine(
  database: TestDatabase,
  // Factories, because an engine disposes its plugins: every test gets fresh instances.
  options: { agents?: () => Agent[]; providers?: () => DeploymentProvider[]; storage?: () => StorageBackend[]; overrides?: Partial<VectorOptions> } = {},
): () => EngineFixture {
  let fixture: EngineFixture | null = null;
  let cleanup: Array<() => Promise<void>> = [];
  beforeEach(async () => {
    const connection = await database.create();
    let offset = 0;
    const vector = createVector({
      database: connection,
      storage: options.storage?.() ?? [createMemoryStorage()],
      providers: options.providers?.() ?? [createStaticProvider()],
      agents: options.agents?.() ?? [createScriptedAgent({})],
      deploymentPollIntervalMs: 20,
      jobHeartbeatMs: 50,
      now: () => new Date(Date.now() + offset),
      ...options.overrides,
    });
    await vector.start();
    const actor: Actor = { type: 'user', id: 'user-1' };
    const organization = await vector.organizations.create({ name: 'Acme' }, actor);
    const other = await vector.organizations.create({ name: 'Other' }, { type: 'user', id: 'user-2' });
    fixture = {
      vector,
      database: connection,
      actor,
      organizationId: organization.id,
      scope: vector.scope({ organizationId: organization.id, actor }),
      otherScope: vector.scope({ organizationId: other.id, actor: { type: 'user', id: 'user-2' } }),
      advanceClock: (ms) => {
        offset += ms;
      },
    };
    cleanup = [() => vector.dispose(), () => connection.destroy()];
  });
  afterEach(async () => {
    for (const step of cleanup) await step();
    cleanup = [];
    fixture = null;
  });
  return () => {
    if (!fixture) throw new Error('the engine fixture is only available inside a test');
    return fixture;
  };
}

/** A small app's files. */
export function sampleFiles(marker = 'v1') {
  return [
    { path: 'index.html', content: `<!doctype html><h1>${marker}</h1><script type="module" src="src/main.js"></script>` },
    { path: 'src/main.js', content: `console.log(${JSON.stringify(marker)});\n` },
    { path: 'package.json', content: '{"name":"app","private":true}\n' },
  ];
}
