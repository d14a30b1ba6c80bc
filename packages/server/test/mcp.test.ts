import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describeEachDatabase } from '@vector/core/testing';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type EverythingServer, startEverythingServer } from '../../../test-support/mcp-everything.js';
import { useServer } from './server-fixture.js';

const TOKEN = `mcp-secret-${randomBytes(12).toString('hex')}`;
let everything: EverythingServer;
beforeAll(async () => {
  everything = await startEverythingServer({ resolveFrom: import.meta.url });
}, 30_000);
afterAll(() => everything?.stop());

type ToolResult = { isError?: boolean; content: Array<{ type: string; text?: string }> };
const text = (result: unknown) => (result as ToolResult).content.map((part) => part.text ?? '').join('');
const parsed = <T>(result: unknown) => JSON.parse(text(result)) as T;

describeEachDatabase('Vector as an MCP server, and connectors over HTTP', (database) => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  const get = useServer(database, { logger: { level: 'trace', stream }, engine: { secretKeys: [randomBytes(32).toString('base64')], connectors: { allowPrivateHosts: ['127.0.0.1'], stdio: [], callTimeoutMs: 20_000, maxResultBytes: 65_536 } } });
  const clients: Client[] = [];
  let url = '';
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close().catch(() => undefined);
    url = '';
  });

  async function connect(key: string | null): Promise<Client> {
    const { app } = get();
    if (!url) {
      await app.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/mcp`;
    }
    const client = new Client({ name: 'test', version: '1' });
    clients.push(client);
    await client.connect(new StreamableHTTPClientTransport(new URL(url), key ? { requestInit: { headers: { authorization: `Bearer ${key}` } } } : {}));
    return client;
  }

  it('serves every tool with the caller’s key: projects, files, versions with the parent check, messages with progress, previews, rollback, publish', async () => {
    const { call } = get();
    const project = (await call('POST', '/v1/projects', { name: 'Over MCP' })).json as { id: string };
    const client = await connect(get().key);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['create_version', 'deploy_preview', 'get_deployment', 'get_usage', 'list_audit_log', 'list_files', 'list_projects', 'list_versions', 'publish', 'read_file', 'rollback', 'send_message']);

    const projects = parsed<{ items: Array<{ id: string }> }>(await client.callTool({ name: 'list_projects', arguments: {} }));
    expect(projects.items.map((item) => item.id)).toEqual([project.id]);

    const first = parsed<{ id: string; number: number }>(await client.callTool({ name: 'create_version', arguments: { projectId: project.id, parentVersionId: null, changes: [{ type: 'write', path: 'index.html', content: '<h1>one</h1>' }] } }));
    expect(first.number).toBe(1);
    const stale = await client.callTool({ name: 'create_version', arguments: { projectId: project.id, parentVersionId: null, changes: [{ type: 'write', path: 'index.html', content: '<h1>lost</h1>' }] } });
    expect(stale.isError).toBe(true);
    expect(text(stale)).toMatch(/^CONFLICT:/);
    const second = parsed<{ id: string; number: number }>(await client.callTool({ name: 'create_version', arguments: { projectId: project.id, parentVersionId: first.id, changes: [{ type: 'write', path: 'index.html', content: '<h1>two</h1>' }] } }));
    expect(parsed<Array<{ path: string }>>(await client.callTool({ name: 'list_files', arguments: { versionId: second.id } })).map((file) => file.path)).toEqual(['index.html']);
    expect(text(await client.callTool({ name: 'read_file', arguments: { versionId: second.id, path: 'index.html' } }))).toBe('<h1>two</h1>');
    expect(parsed<{ items: unknown[] }>(await client.callTool({ name: 'list_versions', arguments: { projectId: project.id } })).items).toHaveLength(2);

    // A message to the agent: progress while it works, then the job and the version it made.
    const progress: Array<{ progress: number; message?: string }> = [];
    const answer = parsed<{ job: { status: string; resultVersionId: string }; summary: string }>(
      await client.callTool({ name: 'send_message', arguments: { projectId: project.id, content: 'Remember this' } }, undefined, { onprogress: (update) => progress.push(update) }),
    );
    expect(answer.job.status).toBe('complete');
    expect(answer.summary).toMatch(/notes\//);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.map((update) => update.message)).toEqual(expect.arrayContaining([expect.stringMatching(/tool write_file|changed notes/)]));

    // A preview, its URL and logs.
    const preview = parsed<{ id: string; status: string; url: string }>(await client.callTool({ name: 'deploy_preview', arguments: { projectId: project.id } }));
    expect(preview.status).toBe('live');
    expect(preview.url).toMatch(/^http/);
    const status = parsed<{ deployment: { id: string; url: string }; logs: unknown[] }>(await client.callTool({ name: 'get_deployment', arguments: { deploymentId: preview.id } }));
    expect(status.deployment).toMatchObject({ id: preview.id, url: preview.url });
    expect(Array.isArray(status.logs)).toBe(true);

    // Rollback to v1 makes a new version; publish marks it.
    const rolled = parsed<{ id: string; number: number }>(await client.callTool({ name: 'rollback', arguments: { projectId: project.id, targetVersionId: first.id } }));
    expect(rolled.number).toBe(4);
    expect(text(await client.callTool({ name: 'read_file', arguments: { versionId: rolled.id, path: 'index.html' } }))).toBe('<h1>one</h1>');
    const published = parsed<{ project: { publishedVersionId: string } }>(await client.callTool({ name: 'publish', arguments: { projectId: project.id, versionId: rolled.id } }));
    expect(published.project.publishedVersionId).toBe(rolled.id);

    // Admin tools, with the owner key.
    expect(parsed<{ totals: unknown }>(await client.callTool({ name: 'get_usage', arguments: {} })).totals).toBeDefined();
    expect(parsed<{ items: Array<{ action: string }> }>(await client.callTool({ name: 'list_audit_log', arguments: { action: 'version.publish' } })).items.length).toBeGreaterThan(0);
  });

  it('confines every tool to the key’s organization and role, and refuses a missing key', async () => {
    const { call, otherKey } = get();
    const project = (await call('POST', '/v1/projects', { name: 'Private' })).json as { id: string };
    const version = (await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: null, files: [{ path: 'a.txt', content: 'secret' }], message: 'v1' })).json as { id: string };
    const stranger = await connect(otherKey);
    expect(parsed<{ items: unknown[] }>(await stranger.callTool({ name: 'list_projects', arguments: {} })).items).toEqual([]);
    for (const [name, args] of [
      ['read_file', { versionId: version.id, path: 'a.txt' }],
      ['list_files', { versionId: version.id }],
      ['create_version', { projectId: project.id, parentVersionId: version.id, changes: [{ type: 'delete', path: 'a.txt' }] }],
      ['send_message', { projectId: project.id, content: 'hi' }],
      ['deploy_preview', { projectId: project.id }],
      ['rollback', { projectId: project.id, targetVersionId: version.id }],
      ['publish', { projectId: project.id, versionId: version.id }],
    ] as const) {
      const result = await stranger.callTool({ name, arguments: args });
      expect(result.isError, name).toBe(true);
      expect(text(result), name).toMatch(/^NOT_FOUND:/);
      expect(text(result), name).not.toContain('secret');
    }

    const member = (await call('POST', '/v1/api-keys', { name: 'member', role: 'member' })).json as { key: string };
    const memberClient = await connect(member.key);
    expect(parsed<{ items: unknown[] }>(await memberClient.callTool({ name: 'list_projects', arguments: {} })).items).toHaveLength(1);
    for (const name of ['get_usage', 'list_audit_log']) {
      const refused = await memberClient.callTool({ name, arguments: {} });
      expect(refused.isError, name).toBe(true);
      expect(text(refused), name).toMatch(/^FORBIDDEN:/);
    }
    await expect(connect(null)).rejects.toMatchObject({ code: 401 });
    await expect(connect('vk_not_a_key')).rejects.toMatchObject({ code: 401 });
  });

  it('manages connectors over HTTP (admins write, members read) and never shows their tokens in any response, event or log', async () => {
    const { call, vector } = get();
    const events: string[] = [];
    vector.events.on('*', (type, payload) => events.push(JSON.stringify({ type, payload })));
    const member = (await call('POST', '/v1/api-keys', { name: 'member', role: 'member' })).json as { key: string };
    const responses: unknown[] = [];
    const created = await call('POST', '/v1/connectors', { name: 'everything', url: everything.url, headers: { Authorization: `Bearer ${TOKEN}` }, allowedTools: ['echo'] });
    responses.push(created.json);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'everything', headerNames: ['Authorization'], health: { ok: true } });
    const id = (created.json as { id: string }).id;
    for (const response of [await call('GET', '/v1/connectors'), await call('GET', `/v1/connectors/${id}`, undefined, member.key), await call('POST', `/v1/connectors/${id}/check`, undefined, member.key), await call('PATCH', `/v1/connectors/${id}`, { headers: { Authorization: `Bearer ${TOKEN}-2` } })]) {
      expect(response.status).toBe(200);
      responses.push(response.json);
    }
    expect(await call('POST', '/v1/connectors', { name: 'mine', url: everything.url }, member.key)).toMatchObject({ status: 403 });
    expect(await call('DELETE', `/v1/connectors/${id}`, undefined, member.key)).toMatchObject({ status: 403 });
    expect(await call('GET', `/v1/connectors/${id}`, undefined, get().otherKey)).toMatchObject({ status: 404 });
    // Bad input is a 400 with the field, never a 500.
    expect(await call('POST', '/v1/connectors', { name: 'Bad Name', url: 'file:///etc/passwd' })).toMatchObject({ status: 400 });
    expect(await call('POST', '/v1/connectors', { name: 'meta', url: 'http://169.254.169.254/latest' })).toMatchObject({ status: 400, json: { error: { code: 'VALIDATION_FAILED' } } });
    const audit = await call('GET', '/v1/audit?action=connector.create');
    responses.push(audit.json);
    expect(await call('DELETE', `/v1/connectors/${id}`)).toMatchObject({ status: 204 });

    const everything_ = JSON.stringify({ responses, events, lines, audit: await vector.db.selectFrom('vector_audit_logs').selectAll().execute() });
    expect(everything_).toContain('everything');
    expect(lines.length).toBeGreaterThan(0);
    expect(everything_).not.toContain(TOKEN);
  });
});
