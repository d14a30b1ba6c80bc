import { createHmac } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FakeRepository } from './fake-github/fake-github-server.js';
import { ZERO_SHA } from './fake-github/push-payload.js';
import { signWebhookBody } from './fake-github/webhook-signature.js';
import { author, fakeStorage, newProject, useFakeGitHub, write } from './storage-fixture.js';
import { useWebhookReceiver } from './webhook-receiver.js';

const fake = useFakeGitHub({ clearEachTest: true });
const receiver = useWebhookReceiver();
const secret = 'hook secret';

beforeEach(() => {
  receiver.received.length = 0;
  receiver.status = 202;
});

/** GitHub's required fields of a push payload (octokit/webhooks `push/event.schema.json`). */
const PUSH_FIELDS = ['ref', 'before', 'after', 'created', 'deleted', 'forced', 'base_ref', 'compare', 'commits', 'head_commit', 'repository', 'pusher', 'sender'];
/** Required fields of each commit (`common/commit.schema.json`). */
const COMMIT_FIELDS = ['id', 'tree_id', 'distinct', 'message', 'timestamp', 'url', 'author', 'committer', 'added', 'removed', 'modified'];

let counter = 0;
function newRepository(): FakeRepository {
  counter += 1;
  return fake.createRepository('acme', `hooks-${counter}-${newProject().id}`, { autoInit: true });
}

/** The push payloads the receiver got for `repo`, in delivery order. */
function pushesOf(repo: FakeRepository): Array<Record<string, unknown>> {
  return receiver.received
    .filter((request) => request.headers['x-github-event'] === 'push')
    .map((request) => JSON.parse(request.body) as Record<string, unknown>)
    .filter((payload) => (payload.repository as { full_name: string }).full_name === `${repo.owner}/${repo.name}`);
}

/** A GitHub API call to the fake with the test token. */
function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${fake.url}${path}`, { method, headers: { authorization: 'token test-token', 'user-agent': 'test', 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

describe('webhook signatures', () => {
  it("matches GitHub's documented test vector", () => {
    expect(signWebhookBody("It's a Secret to Everybody", 'Hello, World!')).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  });
});

describe('webhook deliveries', () => {
  it('pings a new hook, then POSTs a signed push event for a push from a person', async () => {
    const repo = newRepository();
    const hook = fake.addWebhook({ owner: 'acme', repository: repo.name, url: receiver.url, secret });
    const before = repo.refs.get('refs/heads/main') as string;
    const after = fake.push(repo, { files: { 'a.txt': 'a' }, deletes: ['README.md'], message: 'Add a', author: { name: 'Ada', email: 'ada@example.com' }, pusher: 'ada' });
    const deliveries = await fake.flushDeliveries();
    expect(deliveries.map((delivery) => [delivery.event, delivery.status])).toEqual([
      ['ping', 202],
      ['push', 202],
    ]);
    const [ping, push] = receiver.received;
    expect(JSON.parse(ping?.body ?? '{}')).toMatchObject({ hook_id: hook.id, hook: { type: 'Repository', events: ['push'], config: { content_type: 'json', url: receiver.url } }, repository: { id: repo.id } });

    expect(push?.headers).toMatchObject({
      'x-github-event': 'push',
      'x-github-delivery': deliveries[1]?.id,
      'x-github-hook-id': String(hook.id),
      'x-github-hook-installation-target-type': 'repository',
      'x-github-hook-installation-target-id': String(repo.id),
      'content-type': 'application/json',
    });
    expect(push?.headers['x-github-delivery']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(push?.headers['user-agent']).toMatch(/^GitHub-Hookshot\//);
    // The signature covers the exact bytes received.
    expect(push?.headers['x-hub-signature-256']).toBe(`sha256=${createHmac('sha256', secret).update(push?.body ?? '').digest('hex')}`);
    expect(push?.headers['x-hub-signature']).toBe(`sha1=${createHmac('sha1', secret).update(push?.body ?? '').digest('hex')}`);

    const payload = JSON.parse(push?.body ?? '{}') as Record<string, unknown>;
    expect(Object.keys(payload)).toEqual(expect.arrayContaining(PUSH_FIELDS));
    const tree = repo.objects.commit(after)?.tree;
    expect(payload).toMatchObject({
      ref: 'refs/heads/main',
      before,
      after,
      created: false,
      deleted: false,
      forced: false,
      base_ref: null,
      compare: `https://github.com/acme/${repo.name}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
      commits: [{ id: after, tree_id: tree, distinct: true, message: 'Add a', author: { name: 'Ada', email: 'ada@example.com' }, committer: { name: 'Ada', email: 'ada@example.com' }, added: ['a.txt'], removed: ['README.md'], modified: [] }],
      head_commit: { id: after, tree_id: tree },
      repository: { id: repo.id, name: repo.name, full_name: `acme/${repo.name}`, owner: { login: 'acme', name: 'acme' }, html_url: `https://github.com/acme/${repo.name}`, default_branch: 'main' },
      pusher: { name: 'ada' },
      sender: { login: 'ada' },
      organization: { login: 'acme' },
    });
    expect(Object.keys((payload.commits as Array<Record<string, unknown>>)[0] ?? {})).toEqual(expect.arrayContaining(COMMIT_FIELDS));
  });

  it("delivers a push for every branch move made through the API too (Vector's own finalize), creates included", async () => {
    const shared = newRepository();
    fake.addWebhook({ owner: 'acme', repository: shared.name, url: receiver.url, secret });
    const storage = fakeStorage(fake, { allowProjectRepositories: true });
    const project = newProject({ repository: shared.name, branch: 'vector/app' });
    const { ref: v1 } = await storage.saveVersion({ project, parentRef: null, changes: [write('index.html', 'v1')], message: 'v1', author });
    await storage.finalizeVersion({ project, ref: v1, parentRef: null });
    const { ref: v2 } = await storage.saveVersion({ project, parentRef: v1, changes: [write('index.html', 'v2')], message: 'v2', author });
    await storage.finalizeVersion({ project, ref: v2, parentRef: v1 });
    await fake.flushDeliveries();
    const [created, moved] = pushesOf(shared);
    expect(created).toMatchObject({ ref: 'refs/heads/vector/app', before: ZERO_SHA, after: v1, created: true, forced: false, compare: `https://github.com/acme/${shared.name}/compare/vector/app`, pusher: { name: 'octocat' }, sender: { login: 'octocat' } });
    expect((created?.commits as Array<{ id: string }>).map((commit) => commit.id)).toEqual([v1]);
    expect(moved).toMatchObject({ before: v1, after: v2, created: false, forced: false, commits: [{ id: v2, author: { name: author.name, email: author.email }, modified: ['index.html'] }] });
    expect((moved?.head_commit as { message: string }).message).toBe(`v2\n\nVector-Project: ${project.id}`);
  });

  it('marks a force-push by someone else as forced, and git refuses it without force', async () => {
    const repo = newRepository();
    fake.addWebhook({ owner: 'acme', repository: repo.name, url: receiver.url });
    const first = fake.push(repo, { files: { 'a.txt': '1' }, message: 'one' });
    const second = fake.push(repo, { files: { 'a.txt': '2' }, message: 'two' });
    expect(() => fake.push(repo, { onto: first, files: { 'a.txt': 'mine' } })).toThrow(/non-fast-forward/);
    expect(repo.refs.get('refs/heads/main')).toBe(second);
    const rebel = fake.push(repo, { onto: first, files: { 'a.txt': 'mine' }, message: 'rewrite', force: true });
    await fake.flushDeliveries();
    const forced = pushesOf(repo).at(-1);
    expect(forced).toMatchObject({ before: second, after: rebel, forced: true, commits: [{ id: rebel, modified: ['a.txt'] }] });
    // No secret: no signature headers.
    expect(receiver.received.at(-1)?.headers['x-hub-signature-256']).toBeUndefined();
  });

  it('sends organization hooks the pushes of every repository of the organization, and form-encoded bodies when asked', async () => {
    const hook = fake.addWebhook({ owner: 'acme', url: receiver.url, secret, contentType: 'form' });
    const repo = newRepository();
    const sha = fake.push(repo, { files: { 'b.txt': 'b' } });
    await fake.flushDeliveries();
    const request = receiver.received.find((received) => received.headers['x-github-event'] === 'push' && received.body.includes(sha));
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.headers['x-github-hook-installation-target-type']).toBe('organization');
    expect(request?.headers['x-hub-signature-256']).toBe(signWebhookBody(secret, request?.body ?? ''));
    const payload = JSON.parse(new URLSearchParams(request?.body).get('payload') ?? '{}') as Record<string, unknown>;
    expect(payload).toMatchObject({ after: sha, repository: { full_name: `acme/${repo.name}` } });
    fake.removeWebhook(hook.id);
  });

  it("records each delivery's answer, and failures of unreachable receivers", async () => {
    const repo = newRepository();
    receiver.status = 500;
    const answered = fake.addWebhook({ owner: 'acme', repository: repo.name, url: receiver.url });
    const unreachable = fake.addWebhook({ owner: 'acme', repository: repo.name, url: 'http://127.0.0.1:9/nothing' });
    fake.push(repo, { files: { 'c.txt': 'c' } });
    const deliveries = await fake.flushDeliveries();
    const pushes = deliveries.filter((delivery) => delivery.event === 'push' && (delivery.payload.repository as { id: number }).id === repo.id);
    expect(pushes.find((delivery) => delivery.hookId === answered.id)).toMatchObject({ status: 500, error: null });
    expect(pushes.find((delivery) => delivery.hookId === unreachable.id)).toMatchObject({ status: null, error: expect.stringMatching(/fetch failed|ECONNREFUSED/) });
  });
});

describe('fake git API fidelity', () => {
  it("counts compare's ahead_by and behind_by like git rev-list", async () => {
    const repo = newRepository();
    const base = repo.refs.get('refs/heads/main') as string;
    const one = fake.push(repo, { files: { 'a.txt': '1' } });
    const two = fake.push(repo, { files: { 'a.txt': '2' } });
    const other = fake.push(repo, { onto: base, files: { 'b.txt': 'b' }, force: true });
    const compare = async (basehead: string) => (await (await api('GET', `/repos/acme/${repo.name}/compare/${basehead}`)).json()) as { status: string; ahead_by: number; behind_by: number; total_commits: number; commits: Array<{ sha: string }> };
    expect(await compare(`${base}...${two}`)).toMatchObject({ status: 'ahead', ahead_by: 2, behind_by: 0, total_commits: 2 });
    expect((await compare(`${base}...${two}`)).commits.map((commit) => commit.sha)).toEqual([one, two]);
    expect(await compare(`${two}...${base}`)).toMatchObject({ status: 'behind', ahead_by: 0, behind_by: 2 });
    expect(await compare(`${two}...${other}`)).toMatchObject({ status: 'diverged', ahead_by: 1, behind_by: 2 });
    expect(await compare(`${two}...${two}`)).toMatchObject({ status: 'identical', ahead_by: 0, behind_by: 0 });
  });

  it('answers 422 "Update is not a fast forward" to a non-force ref update that would drop commits, and moves with force', async () => {
    const repo = newRepository();
    const base = repo.refs.get('refs/heads/main') as string;
    const ahead = fake.push(repo, { files: { 'a.txt': '1' } });
    const refused = await api('PATCH', `/repos/acme/${repo.name}/git/refs/heads/main`, { sha: base, force: false });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({ message: 'Update is not a fast forward' });
    expect(repo.refs.get('refs/heads/main')).toBe(ahead);
    const forced = await api('PATCH', `/repos/acme/${repo.name}/git/refs/heads/main`, { sha: base, force: true });
    expect(forced.status).toBe(200);
    expect(repo.refs.get('refs/heads/main')).toBe(base);
  });
});
