import { createMemoryStorage, createScriptedAgent, createStaticProvider, createVector, type Agent, type Vector, type VectorDatabaseConnection, type VectorOptions } from '@vector/core';
import type { TestDatabase } from '@vector/core/testing';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach } from 'vitest';
import { buildServer, type BuildServerOptions } from '../src/index.js';

/** A server on a fresh database, with one organization and its owner key. */
export interface ServerFixture {
  app: FastifyInstance;
  vector: Vector;
  database: VectorDatabaseConnection;
  /** Owner key of organization A, and of a second organization B (for tenancy checks). */
  key: string;
  otherKey: string;
  organizationId: string;
  /** `inject` with org A's key. */
  call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, key?: string): Promise<{ status: number; json: any; headers: Record<string, unknown> }>;
}

/** Creates an organization over HTTP and answers its owner key. */
export async function bootstrapOrganization(app: FastifyInstance, name: string, headers: Record<string, string> = {}) {
  const response = await app.inject({ method: 'POST', url: '/v1/organizations', payload: { name }, headers });
  if (response.statusCode !== 201) throw new Error(`bootstrap failed: ${response.statusCode} ${response.body}`);
  const body = response.json() as { organization: { id: string }; apiKey: { key: string } };
  return { organizationId: body.organization.id, key: body.apiKey.key };
}

/** The engine every server test uses: in-memory storage, static previews, the scripted agent. */
export function createTestVector(connection: VectorDatabaseConnection, agents?: Agent[], engine: Partial<VectorOptions> = {}) {
  return createVector({
    database: connection,
    storage: [createMemoryStorage()],
    providers: [createStaticProvider()],
    agents: agents ?? [createScriptedAgent()],
    deploymentPollIntervalMs: 20,
    jobHeartbeatMs: 50,
    ...engine,
  });
}

/** Registers hooks building a {@link ServerFixture} per test. */
export function useServer(database: TestDatabase, options: Partial<BuildServerOptions> & { agents?: Agent[]; engine?: Partial<VectorOptions> } = {}): () => ServerFixture {
  let fixture: ServerFixture | null = null;
  beforeEach(async () => {
    const connection = await database.create();
    const { agents, engine, ...serverOptions } = options;
    const vector = createTestVector(connection, agents, engine);
    const app = buildServer({ rateLimit: false, ...serverOptions, vector });
    try {
      await vector.start();
      await app.ready();
    } catch (error) {
      // Never leak a Postgres schema: a stray vector_migration table confuses other runs.
      await app.close().catch(() => undefined);
      await vector.dispose().catch(() => undefined);
      await connection.destroy();
      throw error;
    }
    const a = await bootstrapOrganization(app, 'Acme');
    const b = await bootstrapOrganization(app, 'Other');
    fixture = {
      app,
      vector,
      database: connection,
      key: a.key,
      otherKey: b.key,
      organizationId: a.organizationId,
      async call(method, url, body, key = a.key) {
        const response = await app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(body === undefined ? {} : { payload: body as object }) });
        let json: unknown = null;
        try {
          json = response.body.length > 0 ? response.json() : null;
        } catch {
          json = response.body;
        }
        return { status: response.statusCode, json, headers: response.headers };
      },
    };
  });
  afterEach(async () => {
    if (!fixture) return;
    await fixture.app.close();
    await fixture.vector.dispose();
    await fixture.database.destroy();
    fixture = null;
  });
  return () => {
    if (!fixture) throw new Error('the server fixture is only available inside a test');
    return fixture;
  };
}

/** A small app's files. */
export function sampleFiles(marker = 'v1') {
  return [
    { path: 'index.html', content: `<!doctype html><h1>${marker}</h1>` },
    { path: 'src/main.js', content: `console.log(${JSON.stringify(marker)});\n` },
  ];
}
