import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createVector, type Vector } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { FakeGitHub, type FakeRepository } from '../../storage-github/test/fake-github/fake-github-server.js';
import { fakeStorage } from '../../storage-github/test/storage-fixture.js';
import { buildServer } from '../src/index.js';
import { bootstrapOrganization } from './server-fixture.js';

/*
 * GitHub both ways, through the reference server: the fake GitHub delivers signed `push`
 * webhooks over real HTTP for every branch move (Vector's own included), and the server turns
 * outside pushes into versions or a storage conflict.
 */

const SECRET = 'webhook-secret-for-tests-0123456789';
const github = new FakeGitHub();
beforeAll(() => github.start());
afterAll(() => github.close());

describeEachDatabase('GitHub push webhooks', (database) => {
  let vector: Vector;
  let app: FastifyInstance;
  let key = '';
  let base = '';
  let hookId = 0;
  beforeEach(async () => {
    const connection = await database.create();
    vector = createVector({ database: connection, storage: [fakeStorage(github, { allowProjectRepositories: true })] });
    app = buildServer({ vector, rateLimit: false, githubWebhookSecret: SECRET });
    await vector.start();
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    ({ key } = await bootstrapOrganization(app, 'Acme'));
    // An organization hook: every repository of `acme` delivers here.
    hookId = github.addWebhook({ owner: 'acme', url: `${base}/v1/github/webhook`, secret: SECRET }).id;
    await github.flushDeliveries();
  });
  afterEach(async () => {
    github.removeWebhook(hookId);
    await github.flushDeliveries();
    await app.close();
    await vector.dispose();
  });

  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, json: (await response.json().catch(() => null)) as any };
  };

  async function projectWithVersion(name: string) {
    const project = (await call('POST', '/v1/projects', { name })).json as { id: string };
    const v1 = (await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: null, files: [{ path: 'index.html', content: '<h1>v1</h1>' }], message: 'v1' })).json as { id: string; storageRef: string };
    await github.flushDeliveries();
    const repo = github.repository('acme', `${name.toLowerCase()}-${project.id.toLowerCase()}`) as FakeRepository;
    return { project, v1, repo };
  }

  it('turns an outside push into a version with source import, and ignores Vector’s own pushes', async () => {
    const { project, v1, repo } = await projectWithVersion('Hooked');
    // Vector's own push was delivered, and changed nothing.
    expect(github.deliveries.filter((delivery) => delivery.event === 'push' && delivery.payload.after === v1.storageRef).map((delivery) => delivery.status)).toEqual([200]);
    expect((await call('GET', `/v1/projects/${project.id}/versions`)).json.items).toHaveLength(1);

    const pushed = github.push(repo, { files: { 'hotfix.txt': 'by hand' }, message: 'Hotfix from a laptop', author: { name: 'Ada', email: 'ada@example.com' } });
    await github.flushDeliveries();
    const delivery = github.deliveries.find((entry) => entry.payload.after === pushed);
    expect(delivery?.status).toBe(200);
    expect(delivery?.responseBody).toContain('"imported":1');
    const versions = (await call('GET', `/v1/projects/${project.id}/versions`)).json.items as Array<{ number: number; source: string; message: string; author: unknown; storageRef: string }>;
    expect(versions[0]).toMatchObject({ number: 2, source: 'import', storageRef: pushed, author: { name: 'Ada', email: 'ada@example.com' } });
    expect(versions[0]?.message).toContain('Hotfix from a laptop');
  });

  it('answers 401 to a delivery with a bad or missing signature, and changes nothing', async () => {
    const { project, repo } = await projectWithVersion('Forged');
    const head = repo.refs.get('refs/heads/main') as string;
    // A payload that would name a real push, signed with the wrong secret.
    const body = JSON.stringify({ ref: 'refs/heads/main', after: head, repository: { name: repo.name, owner: { login: 'acme' } } });
    const forged = `sha256=${createHmac('sha256', 'not-the-secret').update(body).digest('hex')}`;
    for (const headers of [{ 'x-hub-signature-256': forged }, {}, { 'x-hub-signature-256': 'sha256=zz' }]) {
      const response = await fetch(`${base}/v1/github/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push', ...headers }, body });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    }
    const good = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    // The right signature over different bytes fails too.
    expect((await fetch(`${base}/v1/github/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': good }, body: `${body} ` })).status).toBe(401);
    expect((await call('GET', `/v1/projects/${project.id}/versions`)).json.items).toHaveLength(1);
    expect((await call('GET', '/v1/audit')).json.items.filter((entry: { action: string }) => entry.action.startsWith('project.storage'))).toEqual([]);
  });

  it('puts a force-pushed branch in the conflict state; keeping Vector’s head and adopting the outside one both settle it, audited', async () => {
    const { project, v1, repo } = await projectWithVersion('Forced');
    const v2 = (await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: v1.id, changes: [{ type: 'write', path: 'index.html', content: '<h1>v2</h1>' }], message: 'v2' })).json as { id: string; storageRef: string };
    await github.flushDeliveries();
    const rebel = github.push(repo, { onto: v1.storageRef, force: true, files: { 'index.html': '<h1>theirs</h1>' }, message: 'Rewrite' });
    await github.flushDeliveries();
    const diverged = (await call('GET', `/v1/projects/${project.id}`)).json;
    expect(diverged.storageConflict).toMatchObject({ versionId: v2.id, vectorRef: v2.storageRef, externalRef: rebel });
    // Saves wait for the conflict to be settled.
    expect((await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: v2.id, changes: [{ type: 'write', path: 'x', content: 'x' }], message: 'x' })).status).toBe(409);

    const kept = await call('POST', `/v1/projects/${project.id}/resolve-storage-conflict`, { keep: 'vector' });
    expect(kept.status).toBe(200);
    expect(kept.json).toMatchObject({ number: 3, parentId: v2.id });
    await github.flushDeliveries();
    expect(repo.refs.get('refs/heads/main')).toBe(kept.json.storageRef);
    expect(repo.objects.commit(kept.json.storageRef)?.parents).toEqual([v2.storageRef, rebel]);
    expect((await call('GET', `/v1/projects/${project.id}`)).json.storageConflict).toBeNull();
    // The push of the kept commit came back through the webhook and changed nothing more.
    expect((await call('GET', `/v1/projects/${project.id}/versions`)).json.items).toHaveLength(3);

    // Diverge again, and this time adopt the outside head.
    const other = github.push(repo, { onto: v1.storageRef, force: true, files: { 'index.html': '<h1>theirs again</h1>' }, message: 'Again' });
    await github.flushDeliveries();
    expect((await call('GET', `/v1/projects/${project.id}`)).json.storageConflict?.externalRef).toBe(other);
    const adopted = await call('POST', `/v1/projects/${project.id}/resolve-storage-conflict`, { keep: 'external' });
    expect(adopted.json).toMatchObject({ number: 4, source: 'import', storageRef: other });
    const audit = (await call('GET', '/v1/audit?action=project.storage_conflict_resolved')).json.items as Array<{ data: { keep: string } }>;
    expect(audit.map((entry) => entry.data.keep).sort()).toEqual(['external', 'vector']);
    expect((await call('POST', `/v1/projects/${project.id}/resolve-storage-conflict`, { keep: 'sideways' })).status).toBe(400);
  });

  it('syncs on request, and adopts an existing repository as a new project', async () => {
    const { project, repo } = await projectWithVersion('Polled');
    // Without the webhook (removed), a push waits for a sync call.
    github.removeWebhook(hookId);
    const pushed = github.push(repo, { files: { 'later.txt': 'later' }, message: 'Later' });
    await github.flushDeliveries();
    expect((await call('GET', `/v1/projects/${project.id}/versions`)).json.items).toHaveLength(1);
    const synced = await call('POST', `/v1/projects/${project.id}/sync`);
    expect(synced.json).toMatchObject({ status: 'imported', version: { number: 2, storageRef: pushed, source: 'import' } });
    expect((await call('POST', `/v1/projects/${project.id}/sync`)).json.status).toBe('in_step');

    github.createRepository('acme', 'legacy-site', { files: { 'index.html': '<h1>legacy</h1>' } });
    const imported = await call('POST', '/v1/projects/import', { name: 'Legacy', source: { owner: 'acme', repository: 'legacy-site' } });
    expect(imported.status).toBe(201);
    expect(imported.json.version).toMatchObject({ number: 1, source: 'import' });
    expect((await call('POST', '/v1/projects/import', { name: 'Nope', source: { owner: 'acme', repository: 'missing' } })).status).toBe(404);
    expect((await call('POST', '/v1/projects/import', { name: 'Bad', source: {} })).status).toBe(400);
  });
});
