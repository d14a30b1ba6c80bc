import { compileErrors, validate } from '@readme/openapi-parser';
import { describeEachDatabase } from '@vector/core/testing';
import { afterEach, expect, it } from 'vitest';
import { buildServer } from '../src/index.js';
import { createTestVector } from './server-fixture.js';

describeEachDatabase('bootstrap, OpenAPI, health', (database) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  async function start(options: { bootstrapToken?: string; openSignup?: boolean } = {}) {
    const connection = await database.create();
    cleanup.push(() => connection.destroy());
    const vector = createTestVector(connection);
    cleanup.push(() => vector.dispose());
    const app = buildServer({ vector, rateLimit: false, ...options });
    cleanup.push(() => app.close());
    await app.ready();
    return app;
  }

  it('serves an OpenAPI 3.1 document that validates, and the docs page', async () => {
    const app = await start();
    const response = await app.inject({ method: 'GET', url: '/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/v1/projects', '/v1/jobs/{jobId}/events', '/v1/jobs/{jobId}/steps', '/v1/usage', '/v1/tables/{tableId}/rows']));
    // The new routes document their answers and query parameters.
    const steps = document.paths['/v1/jobs/{jobId}/steps'].get;
    expect(steps.parameters.map((parameter: { name: string; in: string }) => `${parameter.in}:${parameter.name}`).sort()).toEqual(['path:jobId', 'query:afterIndex', 'query:limit']);
    expect(steps.responses['200'].content['application/json'].schema.properties.items.items.properties).toHaveProperty('costUsd');
    const usage = document.paths['/v1/usage'].get;
    expect(usage.parameters.map((parameter: { name: string }) => parameter.name).sort()).toEqual(['end', 'groupBy', 'jobId', 'projectId', 'sessionId', 'start']);
    expect(usage.parameters.find((parameter: { name: string }) => parameter.name === 'groupBy').schema).toMatchObject({ type: 'array', items: { enum: ['day', 'project', 'model'] } });
    expect(Object.keys(usage.responses['200'].content['application/json'].schema.properties).sort()).toEqual(['groupBy', 'range', 'rows', 'totals']);
    expect(document.paths['/v1/organization'].patch.requestBody.content['application/json'].schema.properties).toHaveProperty('monthlyBudgetUsd');
    const postMessage = document.paths['/v1/sessions/{sessionId}/messages'].post;
    expect(postMessage.requestBody.content['application/json'].schema.properties.budget.properties).toHaveProperty('maxCostUsd');
    expect(postMessage.responses).toHaveProperty('402');
    // Schema as code: the flags of publish, rollback and deployments, and the data history routes.
    const bodyOf = (path: string) => document.paths[path].post.requestBody.content['application/json'].schema.properties;
    expect(bodyOf('/v1/projects/{projectId}/publish').allowDestructiveDataChanges).toMatchObject({ type: 'boolean', default: false });
    expect(bodyOf('/v1/projects/{projectId}/deployments').allowDestructiveDataChanges).toMatchObject({ type: 'boolean', default: false });
    expect(bodyOf('/v1/projects/{projectId}/rollback').includeData).toMatchObject({ type: 'boolean', default: false });
    const itemsOf = (path: string) => document.paths[path].get.responses['200'].content['application/json'].schema.properties.items.items.properties;
    expect(Object.keys(itemsOf('/v1/projects/{projectId}/data/migrations'))).toEqual(expect.arrayContaining(['versionId', 'fromVersionId', 'steps', 'destructive', 'environment']));
    expect(Object.keys(itemsOf('/v1/rows/{rowId}/versions'))).toEqual(expect.arrayContaining(['rowId', 'revision', 'data', 'actor', 'createdAt']));
    const snapshot = document.paths['/v1/tables/{tableId}/snapshot'].get;
    expect(snapshot.parameters.map((parameter: { name: string; in: string; required?: boolean }) => `${parameter.in}:${parameter.name}:${parameter.required === true}`).sort()).toEqual(['path:tableId:true', 'query:asOf:true']);
    expect(Object.keys(itemsOf('/v1/tables/{tableId}/snapshot')).sort()).toEqual(['data', 'id']);
    const tableSchema = document.paths['/v1/tables/{tableId}'].get.responses['200'].content['application/json'].schema;
    expect(Object.keys(tableSchema.properties)).toEqual(expect.arrayContaining(['indexes', 'access']));
    // A column's default is any JSON value: a recursive schema, so a component the document carries.
    expect(tableSchema.properties.columns.items.properties.default).toEqual({ $ref: '#/components/schemas/JsonValue' });
    expect(document.components.schemas).toHaveProperty('JsonValue');
    const result = await validate(structuredClone(document));
    expect(result.valid ? '' : compileErrors(result)).toBe('');
    expect(result.valid).toBe(true);
    const docs = await app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/html/);
  });

  it('requires the bootstrap token when one is set', async () => {
    const app = await start({ bootstrapToken: 'b'.repeat(32) });
    expect((await app.inject({ method: 'POST', url: '/v1/organizations', payload: { name: 'x' } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/v1/organizations', payload: { name: 'x' }, headers: { authorization: `Bearer ${'c'.repeat(32)}` } })).statusCode).toBe(401);
    const ok = await app.inject({ method: 'POST', url: '/v1/organizations', payload: { name: 'x', owner: { email: 'o@example.com', name: 'O' } }, headers: { authorization: `Bearer ${'b'.repeat(32)}` } });
    expect(ok.statusCode).toBe(201);
    const key = ok.json().apiKey.key;
    const members = await app.inject({ method: 'GET', url: '/v1/organization/members', headers: { authorization: `Bearer ${key}` } });
    expect(members.json().items[0]).toMatchObject({ role: 'owner', user: { email: 'o@example.com' } });
  });

  it('refuses sign-up when closed, and answers health, readiness and security headers', async () => {
    const app = await start({ openSignup: false });
    expect((await app.inject({ method: 'POST', url: '/v1/organizations', payload: { name: 'x' } })).statusCode).toBe(403);
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.json()).toEqual({ status: 'ok' });
    expect(health.headers['x-content-type-options']).toBe('nosniff');
    expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({ status: 'ok', checks: { database: 'ok' } });
  });
});
