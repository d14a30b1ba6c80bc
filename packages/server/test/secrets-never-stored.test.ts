import { randomBytes } from 'node:crypto';
import type { VectorDatabaseConnection } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { sampleFiles, useServer } from './server-fixture.js';

/** Every row of every table of the test's database, as text per table (binary columns as latin1). */
async function everyStoredRow(connection: VectorDatabaseConnection): Promise<Map<string, string>> {
  const tables =
    connection.dialect === 'postgres'
      ? await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(connection.db)
      : await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(connection.db);
  const text = new Map<string, string>();
  for (const { name } of tables.rows) {
    const rows = (await connection.db.selectFrom(name).selectAll().execute()) as Array<Record<string, unknown>>;
    const values = rows.map((row) => Object.values(row).map((value) => (value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value)));
    text.set(name, JSON.stringify(values));
  }
  return text;
}

// The docs (architecture.md, "Deployments"; core README): secret values are passed to the provider
// and never stored, logged or returned; only their names are kept, for the audit trail. Env values
// are ordinary configuration and are stored.
describeEachDatabase('deploy secrets are never stored, logged or returned', (database) => {
  const logLines: string[] = [];
  const server = useServer(database, { logger: { level: 'trace', stream: { write: (line) => void logLines.push(line) } } });

  async function call(method: 'GET' | 'POST', path: string, body?: unknown) {
    const response = await server().call(method, path, body);
    if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.json)}`);
    return response.json;
  }

  async function untilLive(deploymentId: string) {
    let deployment = await call('GET', `/v1/deployments/${deploymentId}`);
    for (let attempt = 0; attempt < 400 && deployment.status !== 'live' && deployment.status !== 'failed'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      deployment = await call('GET', `/v1/deployments/${deploymentId}`);
    }
    expect(deployment.status).toBe('live');
    return deployment;
  }

  it('keeps the values of secrets given to a deploy and a publish out of every table, the audit log, responses and server logs', async () => {
    const secret = `sk-deploy-${randomBytes(16).toString('hex')}`;
    const publishSecret = `sk-publish-${randomBytes(16).toString('hex')}`;
    const envValue = `env-value-${randomBytes(8).toString('hex')}`;
    const responses: unknown[] = [];
    const project = await call('POST', '/v1/projects', { name: 'secrets' });
    const version = await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: null, files: sampleFiles(), message: 'first' });

    const preview = await call('POST', `/v1/projects/${project.id}/deployments`, { environment: 'preview', versionId: version.id, env: { PUBLIC_NAME: envValue }, secrets: { API_TOKEN: secret } });
    const published = await call('POST', `/v1/projects/${project.id}/publish`, { versionId: version.id, deploy: { env: { PUBLIC_NAME: envValue }, secrets: { API_TOKEN: publishSecret } } });
    responses.push(preview, published, await untilLive(preview.id), await untilLive(published.deployment.id));
    for (const deployment of [preview, published.deployment]) responses.push(await call('GET', `/v1/deployments/${deployment.id}/logs`));
    responses.push(await call('GET', `/v1/projects/${project.id}/deployments`));
    const audit = await call('GET', '/v1/audit?limit=100');
    responses.push(audit);

    // The audit trail has both deployments, naming the secret without its value.
    const created = (audit.items as Array<{ action: string; entityId: string; data: { secretKeys?: string[] } }>).filter((entry) => entry.action === 'deployment.create');
    expect(created.map((entry) => [entry.entityId, entry.data.secretKeys]).sort()).toEqual([[preview.id, ['API_TOKEN']], [published.deployment.id, ['API_TOKEN']]].sort());

    const stored = await everyStoredRow(server().database);
    // The scan does read what is stored: the env value is there (in the deployments), by design.
    expect([...stored].filter(([, text]) => text.includes(envValue)).map(([table]) => table)).toContain('vector_deployments');
    for (const value of [secret, publishSecret]) {
      expect([...stored].filter(([, text]) => text.includes(value)).map(([table]) => table), 'tables holding a secret value').toEqual([]);
      expect(JSON.stringify(responses).includes(value), 'a response holds a secret value').toBe(false);
      expect(logLines.filter((line) => line.includes(value)), 'log lines holding a secret value').toEqual([]);
    }
    expect(logLines.length).toBeGreaterThan(0);
  });
});
