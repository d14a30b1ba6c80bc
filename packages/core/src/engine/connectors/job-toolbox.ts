import { digestStepInput } from '../../helpers/step-replay.js';
import type { AgentTool, AgentToolbox, AgentToolResult } from '../../plugins/agent.js';
import type { Actor } from '../../schemas/common.js';
import { writeAudit } from '../audit/audit-writer.js';
import type { EngineContext } from '../engine-context.js';
import { connectorsForProject, type ResolvedConnector } from './connector-store.js';
import { classifyConnectorError, type McpSession, openMcpSession } from './mcp-session.js';
import { type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { recordSpanFailure } from '../telemetry/engine-telemetry.js';

/** A job's toolbox, and how the runner closes its connections when the job ends. */
export interface JobToolbox extends AgentToolbox {
  close(): Promise<void>;
}

/** A model-safe function name: `<connector>__<tool>`, other characters as `_`, at most 64. */
function toolName(connector: string, tool: string): string {
  return `${connector}__${tool.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 64);
}

function cut(text: string, maxBytes: number): { content: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { content: text, truncated: false };
  // Cut on a character boundary, and say so.
  const kept = bytes.subarray(0, maxBytes).toString('utf8').replace(/\uFFFD$/, '');
  return { content: `${kept}\n[cut: the result was ${bytes.length} bytes; the limit is ${maxBytes}]`, truncated: true };
}

/**
 * The tools of a job's connectors. Connections open on first use and stay open for the job;
 * `close()` ends them. Every call writes a `connector.call` audit row.
 */
export function createJobToolbox(engine: EngineContext, job: { id: string; organizationId: string; projectId: string; sessionId: string; actor: Actor; signal: AbortSignal }): JobToolbox {
  const { callTimeoutMs, maxResultBytes } = engine.settings.connectors;
  const sessions = new Map<string, Promise<McpSession>>();
  let listing: Promise<Array<AgentTool & { resolved: ResolvedConnector }>> | null = null;

  function sessionOf(resolved: ResolvedConnector): Promise<McpSession> {
    let session = sessions.get(resolved.connector.id);
    if (!session) {
      session = openMcpSession(resolved.target, { guard: engine.networkGuard, timeoutMs: callTimeoutMs, signal: job.signal });
      // A failed connection is tried again on the next use.
      session.catch(() => sessions.delete(resolved.connector.id));
      sessions.set(resolved.connector.id, session);
    }
    return session;
  }

  async function listAll(): Promise<Array<AgentTool & { resolved: ResolvedConnector }>> {
    const connectors = await connectorsForProject(engine, job.organizationId, job.projectId);
    const lists = await Promise.all(
      connectors.map(async (resolved) => {
        try {
          const tools = await (await sessionOf(resolved)).listTools();
          const allowed = resolved.connector.allowedTools;
          return tools
            .filter((tool) => allowed === null || allowed.includes(tool.name))
            .map((tool) => ({ name: toolName(resolved.connector.name, tool.name), connector: resolved.connector.name, tool: tool.name, description: tool.description, inputSchema: tool.inputSchema, resolved }));
        } catch (error) {
          if (job.signal.aborted) throw error;
          const failure = classifyConnectorError(error);
          engine.events.emit('warning', { organizationId: job.organizationId, projectId: job.projectId, code: 'CONNECTOR_UNAVAILABLE', message: `Connector ${resolved.connector.name} is left out of job ${job.id}: ${failure.code}: ${failure.message}` });
          return [];
        }
      }),
    );
    return lists.flat();
  }

  async function audit(entry: { resolved: ResolvedConnector | null; connector: string; tool: string; args: Record<string, unknown>; durationMs: number; error: { code: string; message: string } | null }): Promise<void> {
    await engine.transaction((trx, afterCommit) =>
      writeAudit(engine, trx, afterCommit, {
        organizationId: job.organizationId,
        projectId: job.projectId,
        actor: job.actor,
        action: 'connector.call',
        entityType: 'connector',
        entityId: entry.resolved?.connector.id ?? entry.connector,
        data: {
          connector: entry.connector,
          tool: entry.tool,
          jobId: job.id,
          sessionId: job.sessionId,
          durationMs: entry.durationMs,
          ok: entry.error === null,
          ...(entry.error ? { error: entry.error } : {}),
          argumentsDigest: digestStepInput(entry.args),
        },
      }),
    );
  }

  return {
    async list() {
      listing ??= listAll().catch((error: unknown) => {
        listing = null;
        throw error;
      });
      return (await listing).map(({ resolved: _resolved, ...tool }) => tool);
    },

    async call(input) {
      // Arguments and results may hold user data: the span names the connector, the tool and the outcome only.
      const span = engine.telemetry.tracer.startSpan('vector.mcp.call', { kind: SpanKind.CLIENT, attributes: { 'vector.job.id': job.id } });
      try {
        return await callTool(input, span);
      } catch (error) {
        recordSpanFailure(span, error);
        throw error;
      } finally {
        span.end();
      }
    },

    async close() {
      const open = [...sessions.values()];
      sessions.clear();
      // A session that failed to open, or fails to close, has nothing more to end.
      await Promise.allSettled(open.map((session) => session.then((value) => value.close())));
    },
  };

  async function callTool(input: Parameters<AgentToolbox['call']>[0], span: Span): Promise<AgentToolResult> {
    const started = Date.now();
    const args = typeof input.arguments === 'object' && input.arguments !== null && !Array.isArray(input.arguments) ? input.arguments : {};
    listing ??= listAll();
    const found = (await listing).find((tool) => tool.name === input.name);
    const finish = async (result: Omit<AgentToolResult, 'durationMs' | 'truncated'> & { truncated?: boolean }, connector: string, tool: string): Promise<AgentToolResult> => {
      const durationMs = Date.now() - started;
      span.setAttributes({ 'vector.connector.name': connector, 'vector.tool.name': tool, 'vector.mcp.ok': result.ok });
      if (result.error) {
        span.setAttribute('error.type', result.error.code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.error.code });
      }
      await audit({ resolved: found?.resolved ?? null, connector, tool, args, durationMs, error: result.error ?? null });
      return { truncated: false, ...result, durationMs };
    };
    if (!found) {
      const [connector, ...rest] = input.name.split('__') as [string, ...string[]];
      return finish({ ok: false, content: `No tool named ${input.name} is available to this job.`, error: { code: 'UNKNOWN_TOOL', message: `No tool named ${input.name}` } }, connector, rest.join('__'));
    }
    const signals = [job.signal, AbortSignal.timeout(callTimeoutMs), ...(input.signal ? [input.signal] : [])];
    const signal = AbortSignal.any(signals);
    try {
      const session = await sessionOf(found.resolved);
      const outcome = await session.callTool({ name: found.tool, arguments: args, signal, timeoutMs: callTimeoutMs });
      const { content, truncated } = cut(outcome.text, maxResultBytes);
      return await finish(outcome.isError ? { ok: false, content, truncated, error: { code: 'TOOL_ERROR', message: cut(outcome.text, 500).content } } : { ok: true, content, truncated }, found.connector, found.tool);
    } catch (error) {
      const cancelled = job.signal.aborted || input.signal?.aborted === true;
      if (cancelled) {
        await finish({ ok: false, content: 'The call was cancelled.', error: { code: 'CANCELLED', message: 'The job was cancelled' } }, found.connector, found.tool).catch(() => undefined);
        throw job.signal.aborted ? (job.signal.reason ?? error) : error;
      }
      const failure = signal.aborted ? { code: 'TIMEOUT', message: `The tool did not answer within ${callTimeoutMs} ms` } : (({ code, message }) => ({ code, message }))(classifyConnectorError(error));
      if (failure.code !== 'TIMEOUT') {
        // A broken connection is closed, and opened again on the next call.
        const broken = sessions.get(found.resolved.connector.id);
        sessions.delete(found.resolved.connector.id);
        void broken?.then((session) => session.close()).catch(() => undefined);
      }
      return finish({ ok: false, content: `The tool call failed: ${failure.message}`, error: failure }, found.connector, found.tool);
    }
  }
}
