import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EverythingServer, startEverythingServer, startPlainServer } from '../../../../../test-support/mcp-everything.js';
import type { AgentRunContext, AgentToolResult } from '../../plugins/agent.js';
import { createScriptedAgent } from '../../reference/scripted-agent.js';
import type { AgentEvent } from '../../schemas/agent-event.js';
import { useEngine } from '../../testing/engine-fixture.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { createNetworkGuard } from './network-guard.js';
import { createSecretBox } from './secret-box.js';

const TOKEN = `tok-${randomBytes(12).toString('hex')}`;
const key = () => randomBytes(32).toString('base64');
const KEY = key();

let everything: EverythingServer;
beforeAll(async () => {
  everything = await startEverythingServer({ resolveFrom: import.meta.url });
}, 30_000);
afterAll(() => everything?.stop());

// What the agent saw, per job: the tools listed and each call's result.
const seen = new Map<string, { tools: string[]; results: AgentToolResult[]; error?: string }>();

/** Lists the tools, then makes the calls the message names (JSON), and saves the results in a file. */
async function* toolScript(context: AgentRunContext): AsyncGenerator<AgentEvent> {
  const record: { tools: string[]; results: AgentToolResult[]; error?: string } = { tools: [], results: [] };
  seen.set(context.job.id, record);
  const tools = (await context.tools?.list()) ?? [];
  record.tools = tools.map((tool) => tool.name);
  const calls = JSON.parse(context.message.content) as Array<{ name: string; arguments: Record<string, unknown> }>;
  try {
    for (const call of calls) record.results.push(await (context.tools as NonNullable<AgentRunContext['tools']>).call(call));
  } catch (error) {
    record.error = error instanceof Error ? error.message : String(error);
    throw error;
  }
  yield {
    type: 'result',
    changes: [{ type: 'write', path: 'results.txt', content: record.results.map((result) => result.content).join('\n') }],
    commitMessage: 'Tool results',
    summary: 'done',
    validationStatus: 'not_run',
  };
}

describeEachDatabase('MCP connectors', (database) => {
  const engine = useEngine(database, {
    agents: () => [createScriptedAgent({ script: toolScript })],
    overrides: { secretKeys: [KEY], connectors: { allowPrivateHosts: ['127.0.0.1'], callTimeoutMs: 20_000, maxResultBytes: 300 } },
  });

  it('registers a connector with a secret header, lists its tools, and never shows or stores the header in the clear', async () => {
    const { scope, vector } = engine();
    const connector = await scope.connectors.create({ name: 'everything', url: everything.url, headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(connector).toMatchObject({ name: 'everything', transport: 'streamable-http', headerNames: ['Authorization'], enabled: true, origin: 'api', projectId: null });
    expect(connector.health?.ok).toBe(true);
    const names = connector.health?.ok ? connector.health.tools.map((tool) => tool.name) : [];
    expect(names).toEqual(expect.arrayContaining(['echo', 'get-sum', 'trigger-long-running-operation']));
    expect(JSON.stringify(await scope.connectors.list())).not.toContain(TOKEN);
    expect(JSON.stringify(await scope.connectors.get(connector.id))).not.toContain(TOKEN);
    // At rest: sealed (AES-256-GCM), in no column and no audit row.
    const row = await vector.db.selectFrom('vector_mcp_connectors').selectAll().where('id', '=', connector.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(TOKEN);
    expect(row.sealed_headers).toMatch(/^v1\./);
    const audit = await vector.db.selectFrom('vector_audit_logs').selectAll().execute();
    expect(audit.map((entry) => entry.action)).toContain('connector.create');
    expect(JSON.stringify(audit)).not.toContain(TOKEN);
    // A second connector of the same name in the same scope is a conflict; a project may have its own.
    await expect(scope.connectors.create({ name: 'everything', url: everything.url })).rejects.toMatchObject({ code: 'CONFLICT' });
    const project = await scope.projects.create({ name: 'Own' });
    expect((await scope.connectors.create({ projectId: project.id, name: 'everything', url: everything.url })).projectId).toBe(project.id);
  });

  it('reports unreachable, refused credentials and a server that does not speak MCP, each as such', async () => {
    const { scope } = engine();
    const refusing = await startPlainServer(401, 'no');
    const html = await startPlainServer(200, '<html>hello</html>', 'text/html');
    try {
      const closed = await startPlainServer(200, '');
      await closed.stop();
      const unreachable = await scope.connectors.create({ name: 'gone', url: closed.url });
      expect(unreachable.health).toMatchObject({ ok: false, error: { code: 'UNREACHABLE' } });
      const denied = await scope.connectors.create({ name: 'denied', url: refusing.url, headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(denied.health).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED' } });
      // The header went to the server (that is its purpose), and appears nowhere else.
      expect(refusing.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(JSON.stringify(denied)).not.toContain(TOKEN);
      const junk = await scope.connectors.create({ name: 'junk', url: html.url });
      expect(junk.health).toMatchObject({ ok: false, error: { code: 'PROTOCOL_ERROR' } });
      // Fixing the URL and checking again.
      const fixed = await scope.connectors.update(junk.id, { url: everything.url });
      expect(fixed.health?.ok).toBe(true);
      expect((await scope.connectors.check(unreachable.id)).health).toMatchObject({ ok: false, error: { code: 'UNREACHABLE' } });
    } finally {
      await refusing.stop();
      await html.stop();
    }
  });

  it('lets a job list and call the tools: results, error results, size caps, the allow-list, audit rows and steps', async () => {
    const { scope, vector } = engine();
    const project = await scope.projects.create({ name: 'Tools' });
    await scope.connectors.create({ name: 'everything', url: everything.url, headers: { 'X-Token': TOKEN }, allowedTools: ['echo', 'get-sum'] });
    const session = await scope.agent.createSession({ projectId: project.id });
    const calls = [
      { name: 'everything__echo', arguments: { message: 'hello from the job' } },
      { name: 'everything__get-sum', arguments: { a: 'two', b: 3 } },
      { name: 'everything__echo', arguments: { message: 'x'.repeat(1000) } },
      { name: 'everything__get-env', arguments: {} },
    ];
    const { job } = await scope.agent.postMessage({ sessionId: session.id, content: JSON.stringify(calls) });
    const done = await scope.agent.waitForJob(job.id, { timeoutMs: 30_000 });
    expect(done.status).toBe('complete');
    const record = seen.get(job.id);
    expect(record?.tools.sort()).toEqual(['everything__echo', 'everything__get-sum']);
    const [echo, badSum, long, notAllowed] = record?.results ?? [];
    expect(echo).toMatchObject({ ok: true, content: 'Echo: hello from the job', truncated: false });
    expect(badSum).toMatchObject({ ok: false, error: { code: 'TOOL_ERROR' } });
    expect(badSum?.content).toMatch(/Invalid arguments|expected number/i);
    expect(long).toMatchObject({ ok: true, truncated: true });
    expect(Buffer.byteLength(long?.content ?? '')).toBeLessThan(400);
    expect(notAllowed).toMatchObject({ ok: false, error: { code: 'UNKNOWN_TOOL' } });
    // The result reached the version the job wrote.
    const version = await scope.versions.get(done.resultVersionId as string);
    expect(Buffer.from((await scope.versions.getFile(version.id, 'results.txt')).content).toString()).toContain('Echo: hello from the job');
    // Every call is audited: connector, tool, job, duration, outcome, a digest of the arguments.
    const audit = await scope.audit.list({ action: 'connector.call' });
    expect(audit.items).toHaveLength(4);
    const first = audit.items.find((entry) => (entry.data as { tool?: string }).tool === 'echo' && (entry.data as { ok?: boolean }).ok);
    expect(first).toMatchObject({ actor: { type: 'agent' }, entityType: 'connector', data: { connector: 'everything', tool: 'echo', jobId: job.id, ok: true } });
    expect((first?.data as { argumentsDigest: string }).argumentsDigest).toMatch(/^sha256:/);
    expect(JSON.stringify(audit.items)).not.toContain('hello from the job');
    expect(JSON.stringify(await vector.db.selectFrom('vector_audit_logs').selectAll().execute())).not.toContain(TOKEN);
    expect(JSON.stringify(await scope.agent.listJobEvents(job.id))).not.toContain(TOKEN);
  });

  it('cancels a slow tool call when its job is cancelled', async () => {
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'Slow' });
    await scope.connectors.create({ projectId: project.id, name: 'everything', url: everything.url });
    const session = await scope.agent.createSession({ projectId: project.id });
    const { job } = await scope.agent.postMessage({ sessionId: session.id, content: JSON.stringify([{ name: 'everything__trigger-long-running-operation', arguments: { duration: 15, steps: 3 } }]) });
    // Wait until the call is under way.
    for (let waited = 0; !seen.get(job.id)?.tools.length && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await scope.agent.cancelJob(job.id);
    const done = await scope.agent.waitForJob(job.id, { timeoutMs: 10_000 });
    expect(done.status).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(seen.get(job.id)?.error).toBeDefined();
    const audit = await scope.audit.list({ action: 'connector.call' });
    expect(audit.items.map((entry) => entry.data)).toEqual([expect.objectContaining({ tool: 'trigger-long-running-operation', ok: false, error: expect.objectContaining({ code: 'CANCELLED' }) })]);
  });

  it('keeps connectors within their organization and their project', async () => {
    const { scope, otherScope } = engine();
    const mine = await scope.projects.create({ name: 'Mine' });
    const sibling = await scope.projects.create({ name: 'Sibling' });
    const connector = await scope.connectors.create({ projectId: mine.id, name: 'everything', url: everything.url, headers: { 'X-Token': TOKEN } });
    await expect(otherScope.connectors.get(connector.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(otherScope.connectors.update(connector.id, { enabled: false })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(otherScope.connectors.delete(connector.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(otherScope.connectors.create({ projectId: mine.id, name: 'x', url: everything.url })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await otherScope.connectors.list()).toEqual([]);
    expect((await scope.connectors.list({ projectId: sibling.id })).map((item) => item.id)).toEqual([]);
    // A sibling project's job does not see it; a disabled connector is offered to no job.
    const session = await scope.agent.createSession({ projectId: sibling.id });
    const { job } = await scope.agent.postMessage({ sessionId: session.id, content: '[]' });
    await scope.agent.waitForJob(job.id, { timeoutMs: 10_000 });
    expect(seen.get(job.id)?.tools).toEqual([]);
    await scope.connectors.update(connector.id, { enabled: false });
    const own = await scope.agent.createSession({ projectId: mine.id });
    const second = await scope.agent.postMessage({ sessionId: own.id, content: '[]' });
    await scope.agent.waitForJob(second.job.id, { timeoutMs: 10_000 });
    expect(seen.get(second.job.id)?.tools).toEqual([]);
    await scope.connectors.delete(connector.id);
    await expect(scope.connectors.get(connector.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describeEachDatabase('MCP connectors over the older HTTP+SSE transport, with a short call timeout', (database) => {
  let sse: EverythingServer;
  beforeAll(async () => {
    sse = await startEverythingServer({ transport: 'sse', resolveFrom: import.meta.url });
  }, 30_000);
  afterAll(() => sse?.stop());
  const engine = useEngine(database, {
    agents: () => [createScriptedAgent({ type: 'tools', script: toolScript })],
    overrides: { secretKeys: [KEY], connectors: { allowPrivateHosts: ['127.0.0.1'], callTimeoutMs: 1_500 } },
  });

  it('lists and calls tools over SSE, and ends a call that outlasts the timeout as TIMEOUT while the job carries on', async () => {
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'Over SSE' });
    const connector = await scope.connectors.create({ name: 'legacy', url: sse.url, transport: 'sse', headers: { 'X-Token': TOKEN } });
    expect(connector.health).toMatchObject({ ok: true });
    const session = await scope.agent.createSession({ projectId: project.id, agentType: 'tools' });
    const calls = [
      { name: 'legacy__echo', arguments: { message: 'over sse' } },
      { name: 'legacy__trigger-long-running-operation', arguments: { duration: 6, steps: 2 } },
      { name: 'legacy__echo', arguments: { message: 'still here' } },
    ];
    const started = Date.now();
    const { job } = await scope.agent.postMessage({ sessionId: session.id, content: JSON.stringify(calls) });
    const done = await scope.agent.waitForJob(job.id, { timeoutMs: 20_000 });
    expect(done.status).toBe('complete');
    // The slow call was given up at the timeout, not waited for (6 s).
    expect(Date.now() - started).toBeLessThan(5_500);
    const [echo, slow, after] = seen.get(job.id)?.results ?? [];
    expect(echo).toMatchObject({ ok: true, content: 'Echo: over sse' });
    expect(slow).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    expect(after).toMatchObject({ ok: true, content: 'Echo: still here' });
    const audit = await scope.audit.list({ action: 'connector.call' });
    expect(audit.items.map((entry) => (entry.data as { error?: { code: string } }).error?.code ?? 'ok').sort()).toEqual(['TIMEOUT', 'ok', 'ok']);
  });
});

describeEachDatabase('MCP connectors without an allowance for private addresses', (database) => {
  const engine = useEngine(database, { overrides: { secretKeys: [KEY] } });

  it('refuses connector URLs at loopback, private and link-local addresses', async () => {
    const { scope } = engine();
    for (const url of [everything.url, 'http://localhost:9/mcp', 'http://10.0.0.8/mcp', 'http://169.254.169.254/latest', 'http://[::1]:80/mcp', 'http://192.168.1.1/mcp']) {
      await expect(scope.connectors.create({ name: 'sneaky', url })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: ['url'] }] });
    }
    await expect(scope.connectors.create({ name: 'ftp', url: 'ftp://example.com/mcp' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await scope.connectors.list()).toEqual([]);
  });
});

describeEachDatabase('MCP connector secrets', (database) => {
  const engine = useEngine(database, { overrides: { connectors: { allowPrivateHosts: ['127.0.0.1'] } } });

  it('refuses to store headers without a secrets key', async () => {
    const { scope } = engine();
    await expect(scope.connectors.create({ name: 'everything', url: everything.url, headers: { Authorization: 'Bearer x' } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: ['headers'] }] });
    expect((await scope.connectors.create({ name: 'everything', url: everything.url })).health?.ok).toBe(true);
  });
});

describe('secret box', () => {
  it('seals with the current key, opens with any configured key, and rotation re-seals', () => {
    const oldKey = key();
    const newKey = key();
    const sealed = createSecretBox([oldKey]).seal('s3cret');
    expect(sealed).not.toContain('s3cret');
    const rotating = createSecretBox([newKey, oldKey]);
    expect(rotating.open(sealed)).toBe('s3cret');
    expect(rotating.isStale(sealed)).toBe(true);
    const resealed = rotating.seal(rotating.open(sealed));
    expect(createSecretBox([newKey]).open(resealed)).toBe('s3cret');
    expect(() => createSecretBox([newKey]).open(sealed)).toThrow(/not configured/);
    // Tampering fails the integrity check.
    const parts = resealed.split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => createSecretBox([newKey]).open(parts.join('.'))).toThrow(/integrity/);
    expect(() => createSecretBox(['short'])).toThrow(/32 bytes/);
  });

  it('classifies addresses: public passes, private needs the allow-list', async () => {
    const guard = createNetworkGuard(['127.0.0.1', '10.1.0.0/16', 'mcp.internal']);
    expect(await guard.check('http://127.0.0.1:3000/mcp')).toBeNull();
    expect(await guard.check('http://10.1.2.3/mcp')).toBeNull();
    expect(await guard.check('http://mcp.internal/mcp')).toBeNull();
    expect(await guard.check('http://10.2.0.1/mcp')).toMatchObject({ code: 'BLOCKED_ADDRESS' });
    expect(await guard.check('http://[::ffff:169.254.169.254]/')).toMatchObject({ code: 'BLOCKED_ADDRESS' });
    expect(await guard.check('http://100.64.0.1/')).toMatchObject({ code: 'BLOCKED_ADDRESS' });
    expect(await guard.check('http://8.8.8.8/mcp')).toBeNull();
  });
});

describeEachDatabase('MCP connector key rotation', (database) => {
  const oldKey = key();
  const newKey = key();
  const engine = useEngine(database, { overrides: { secretKeys: [newKey, oldKey], connectors: { allowPrivateHosts: ['127.0.0.1'] } } });

  it('re-encrypts headers sealed with a previous key', async () => {
    const { scope, vector } = engine();
    const connector = await scope.connectors.create({ name: 'everything', url: everything.url, headers: { 'X-Token': TOKEN } });
    // Written as if by the old key, as before a rotation.
    await vector.db.updateTable('vector_mcp_connectors').set({ sealed_headers: createSecretBox([oldKey]).seal(JSON.stringify({ 'X-Token': TOKEN })) }).where('id', '=', connector.id).execute();
    expect(await vector.rotateSecrets()).toBe(1);
    expect(await vector.rotateSecrets()).toBe(0);
    const row = await vector.db.selectFrom('vector_mcp_connectors').select('sealed_headers').where('id', '=', connector.id).executeTakeFirstOrThrow();
    expect(JSON.parse(createSecretBox([newKey]).open(row.sealed_headers as string))).toEqual({ 'X-Token': TOKEN });
  });
});

describeEachDatabase('MCP servers from the operator’s configuration (stdio)', (database) => {
  const entry = new URL('../../../node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url).pathname;
  const engine = useEngine(database, {
    agents: () => [createScriptedAgent({ script: toolScript })],
    overrides: { connectors: { stdio: [{ name: 'local', command: process.execPath, args: [entry, 'stdio'], env: { GIVEN: 'by-the-operator' }, allowedTools: ['echo', 'get-env'] }] } },
  });

  it('offers them read-only to every organization, and runs them without the server’s environment', async () => {
    const { scope } = engine();
    process.env.VECTOR_TEST_SERVER_SECRET = TOKEN;
    try {
      const [listed] = await scope.connectors.list();
      expect(listed).toMatchObject({ id: 'server:local', name: 'local', transport: 'stdio', origin: 'server', url: null });
      expect((await scope.connectors.check('server:local')).health?.ok).toBe(true);
      await expect(scope.connectors.update('server:local', { enabled: false })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(scope.connectors.delete('server:local')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      const project = await scope.projects.create({ name: 'Stdio' });
      const session = await scope.agent.createSession({ projectId: project.id });
      const { job } = await scope.agent.postMessage({ sessionId: session.id, content: JSON.stringify([{ name: 'local__get-env', arguments: {} }]) });
      expect((await scope.agent.waitForJob(job.id, { timeoutMs: 30_000 })).status).toBe('complete');
      const [env] = seen.get(job.id)?.results ?? [];
      expect(env?.ok).toBe(true);
      expect(env?.content).toContain('by-the-operator');
      expect(env?.content).not.toContain(TOKEN);
      expect(env?.content).not.toContain('VECTOR_TEST_SERVER_SECRET');
    } finally {
      delete process.env.VECTOR_TEST_SERVER_SECRET;
    }
  });
});
