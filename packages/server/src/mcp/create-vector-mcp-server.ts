import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { type AgentJob, type AgentJobEvent, isBinaryContent, type MemberRole, type Vector, VectorError, type VectorScope } from '@vector/core';
import { z } from 'zod';
import { hasRole, type Principal } from '../auth/principal.js';

/** What one tool handler gets from the SDK: the request's signal and a way to report progress. */
interface ToolExtra {
  signal: AbortSignal;
  _meta?: { progressToken?: string | number };
  sendNotification: (notification: { method: 'notifications/progress'; params: { progressToken: string | number; progress: number; total?: number; message?: string } }) => Promise<void>;
}

const id = z.string().min(1).max(128);
const fileChange = z.discriminatedUnion('type', [
  z.object({ type: z.literal('write'), path: z.string().min(1).max(1024), content: z.string().max(5_000_000) }),
  z.object({ type: z.literal('delete'), path: z.string().min(1).max(1024) }),
]);

function json(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }] };
}

/** A Vector error as a tool error result (`CODE: message`), so a client sees what went wrong; anything else stays an internal error. */
function failure(error: unknown): CallToolResult {
  if (VectorError.isInstance(error)) return { isError: true, content: [{ type: 'text', text: `${error.code}: ${error.message}` }] };
  return { isError: true, content: [{ type: 'text', text: 'INTERNAL: The tool failed unexpectedly' }] };
}

/**
 * Builds the MCP server one `/mcp` request talks to, confined to the caller's organization and
 * role exactly like the HTTP routes: every tool acts through `vector.scope()` of the principal,
 * so another organization's ids answer not found, and admin-only tools answer `FORBIDDEN` to members.
 */
export function createVectorMcpServer(input: { vector: Vector; principal: Principal; version: string }): McpServer {
  const { vector, principal } = input;
  const scope = vector.scope({ organizationId: principal.organizationId, actor: principal.actor });
  const server = new McpServer({ name: 'vector', version: input.version }, { capabilities: { tools: {} } });

  function tool<Shape extends z.ZodRawShape>(name: string, spec: { description: string; input: Shape; role?: MemberRole }, run: (args: z.infer<z.ZodObject<Shape>>, extra: ToolExtra) => Promise<CallToolResult>): void {
    const role = spec.role ?? 'member';
    const handler = async (args: unknown, extra: unknown): Promise<CallToolResult> => {
      if (!hasRole(principal.role, role)) return { isError: true, content: [{ type: 'text', text: `FORBIDDEN: ${name} needs the ${role} role; the caller is ${principal.role}` }] };
      try {
        return await run(args as z.infer<z.ZodObject<Shape>>, extra as ToolExtra);
      } catch (error) {
        return failure(error);
      }
    };
    // The SDK infers the callback's argument type from the shape; ours checks it the same way.
    server.registerTool(name, { description: role === 'member' ? spec.description : `${spec.description} (${role}s only)`, inputSchema: spec.input }, handler as unknown as Parameters<McpServer['registerTool']>[2]);
  }

  tool('list_projects', { description: "Lists the organization's projects (id, name, current and published version).", input: { cursor: z.string().max(500).optional() } }, async ({ cursor }) => json(await scope.projects.list({ limit: 100, cursor: cursor ?? null })));

  tool('list_versions', { description: "Lists a project's code versions, newest first.", input: { projectId: id, cursor: z.string().max(500).optional() } }, async ({ projectId, cursor }) => json(await scope.versions.list(projectId, { limit: 50, cursor: cursor ?? null })));

  tool('list_files', { description: 'Lists the files of a code version (path, size, hash).', input: { versionId: id } }, async ({ versionId }) => json(await scope.versions.listFiles(versionId)));

  tool('read_file', { description: 'Reads one file of a code version as text (binary files are returned as base64).', input: { versionId: id, path: z.string().min(1).max(1024) } }, async ({ versionId, path }) => {
    const file = await scope.versions.getFile(versionId, path);
    const binary = isBinaryContent(file.content);
    return { content: [{ type: 'text', text: binary ? Buffer.from(file.content).toString('base64') : Buffer.from(file.content).toString('utf8') }] };
  });

  tool(
    'create_version',
    {
      description: 'Creates a new code version from writes and deletes on top of `parentVersionId`, which must be the project’s current version (null for the first): a stale parent is a CONFLICT, never an overwrite.',
      input: { projectId: id, parentVersionId: id.nullable(), changes: z.array(fileChange).min(1).max(1000), message: z.string().min(1).max(10_000).optional() },
    },
    async ({ projectId, parentVersionId, changes, message }) =>
      json(await scope.versions.create({ projectId, parentVersionId, changes: changes.map((change) => (change.type === 'write' ? { type: 'write', path: change.path, content: change.content } : change)), message: message ?? 'Changes made through MCP' })),
  );

  tool(
    'send_message',
    {
      description: "Sends a message to the project's agent and waits for the job to end (sending progress notifications as it works). Returns the job: its status, summary and the version it made.",
      input: { projectId: id, content: z.string().min(1).max(200_000), sessionId: id.optional(), waitSeconds: z.number().int().min(1).max(900).default(300) },
    },
    async ({ projectId, content, sessionId, waitSeconds }, extra) => {
      await scope.projects.get(projectId);
      const session = sessionId ? await scope.agent.getSession(sessionId) : await scope.agent.createSession({ projectId, title: 'MCP' });
      if (session.projectId !== projectId) return { isError: true, content: [{ type: 'text', text: 'VALIDATION_FAILED: the session belongs to another project' }] };
      const { job } = await scope.agent.postMessage({ sessionId: session.id, content });
      const done = await followJob({ vector, agent: scope.agent, job, extra, timeoutMs: waitSeconds * 1000 });
      const summary = (await scope.agent.listJobEvents(job.id)).map((event) => event.data).find((data) => data.type === 'result') as { summary?: string } | undefined;
      return json({ sessionId: session.id, job: done, summary: summary?.summary ?? null });
    },
  );

  tool(
    'deploy_preview',
    { description: 'Deploys a version (default: the current one) as a preview and waits until it is live or failed; returns the deployment with its URL.', input: { projectId: id, versionId: id.optional(), waitSeconds: z.number().int().min(1).max(900).default(120) } },
    async ({ projectId, versionId, waitSeconds }) => {
      const deployment = await scope.deployments.create({ projectId, environment: 'preview', ...(versionId ? { versionId } : {}) });
      return json(await scope.deployments.waitForDeployment(deployment.id, { timeoutMs: waitSeconds * 1000 }).catch(() => scope.deployments.get(deployment.id)));
    },
  );

  tool('get_deployment', { description: 'Gets a deployment (status, URL) and its latest logs.', input: { deploymentId: id, logLines: z.number().int().min(0).max(1000).default(100) } }, async ({ deploymentId, logLines }) => {
    const deployment = await scope.deployments.get(deploymentId);
    const logs = logLines === 0 ? [] : (await scope.deployments.listLogs(deploymentId)).slice(-logLines);
    return json({ deployment, logs });
  });

  tool(
    'rollback',
    { description: 'Makes a new version whose files equal `targetVersionId`’s (history is never rewritten). With `expectedCurrentVersionId`, a moved head is a CONFLICT.', input: { projectId: id, targetVersionId: id, expectedCurrentVersionId: id.optional() } },
    async (args) => json(await scope.versions.rollback(args)),
  );

  tool(
    'publish',
    { description: 'Publishes a version as the project’s live one; with `deploy: true` also deploys it to production.', input: { projectId: id, versionId: id, deploy: z.boolean().default(false) } },
    async ({ projectId, versionId, deploy }) => json(await scope.versions.publish({ projectId, versionId, ...(deploy ? { deploy: {} } : {}) })),
  );

  tool('get_usage', { description: "Sums the organization's model usage and cost over the last 7 days (or `start`–`end`).", input: { start: z.string().datetime().optional(), end: z.string().datetime().optional() }, role: 'admin' }, async (args) =>
    json(await scope.usage.summarize({ groupBy: ['project'], ...args })),
  );

  tool('list_audit_log', { description: "Lists the organization's audit log, newest first.", input: { action: z.string().max(200).optional(), cursor: z.string().max(500).optional() }, role: 'admin' }, async ({ action, cursor }) =>
    json(await scope.audit.list(action ? { action } : {}, { limit: 100, cursor: cursor ?? null })),
  );

  return server;
}

/** Waits for a job to end, turning its events into progress notifications, until it ends, the request is cancelled or the wait times out. */
async function followJob(input: { vector: Vector; agent: VectorScope['agent']; job: AgentJob; extra: ToolExtra; timeoutMs: number }): Promise<AgentJob> {
  const { vector, job, extra } = input;
  const token = extra._meta?.progressToken;
  let progress = 0;
  const onEvent = (payload: { jobId: string; event: AgentJobEvent }) => {
    if (payload.jobId !== job.id || token === undefined) return;
    const data = payload.event.data as { type: string; name?: string; status?: string; path?: string };
    // Text deltas would flood the client: only the steps of the work are reported.
    if (data.type === 'text_delta') return;
    progress += 1;
    const message = data.type === 'tool_call' ? `tool ${data.name ?? ''}` : data.type === 'file_changed' ? `changed ${data.path ?? ''}` : data.type === 'status' ? `status ${data.status ?? ''}` : data.type;
    void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, message } }).catch(() => undefined);
  };
  vector.events.on('job.event', onEvent);
  try {
    const wait = input.agent.waitForJob(job.id, { timeoutMs: input.timeoutMs });
    const aborted = new Promise<never>((_, reject) => {
      if (extra.signal.aborted) reject(extra.signal.reason);
      extra.signal.addEventListener('abort', () => reject(extra.signal.reason), { once: true });
    });
    return await Promise.race([wait, aborted]).catch(async (error: unknown) => {
      if (extra.signal.aborted) throw error;
      // Timed out: the job carries on; report where it is.
      return input.agent.getJob(job.id);
    });
  } finally {
    vector.events.off('job.event', onEvent);
  }
}
