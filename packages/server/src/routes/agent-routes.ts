import { agentJobSchema, agentSessionSchema, agentStepSchema, chatMessageSchema, createSessionInputSchema, isTerminalJobStatus, jobFilterInputSchema, jobStepsOptionsInputSchema, LimitExceededError, postMessageInputSchema } from '@vector/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth/auth-plugin.js';
import { STREAM_TOKEN_TTL_MS } from '../auth/stream-tokens.js';
import { errorBodySchema, errorResponses, idParam, maxSqlInteger, numberFromQuery, pageOf, pageQuerySchema, pluginNameBody } from '../plumbing/http-schemas.js';
import { type RoutePluginOptions, scopeOf } from '../plumbing/server-context.js';
import { lastEventIdOf } from '../sse/sse-hub.js';
import { streamJobEvents } from '../sse/stream-job-events.js';

/** How long the cancel route waits for a running job to stop before answering 202. */
const CANCEL_WAIT_MS = 3000;
/** A job as the cancel route answers it: `cancelRequested` while it is still stopping. */
const cancelledJobSchema = agentJobSchema.extend({ cancelRequested: z.boolean() });

const projectParams = z.object({ projectId: idParam });
const sessionParams = z.object({ sessionId: idParam });
const jobParams = z.object({ jobId: idParam });
// Bodies are core's inputs without the id the path carries; the HTTP API caps the agent type's length (see `pluginNameBody`).
const createSessionBody = createSessionInputSchema.omit({ projectId: true }).extend({ agentType: pluginNameBody.optional() });
const postMessageBody = postMessageInputSchema.omit({ sessionId: true });
// Core's step options, each read from the query string's text.
const stepsQuery = z.object({ afterIndex: numberFromQuery(jobStepsOptionsInputSchema.shape.afterIndex), limit: numberFromQuery(jobStepsOptionsInputSchema.shape.limit) });
const jobEventSchema = z.object({ jobId: z.string(), sequence: z.number().int(), attempt: z.number().int().min(1), createdAt: z.string(), data: z.record(z.string(), z.unknown()) });

/** Agent sessions, chat messages and jobs, with a job's events as Server-Sent Events. */
export async function agentRoutes(fastify: FastifyInstance, { context }: RoutePluginOptions): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.post('/v1/projects/:projectId/sessions', {
    schema: {
      tags: ['agent'],
      summary: 'Start an agent session',
      params: projectParams,
      body: createSessionBody,
      response: { 201: agentSessionSchema, ...errorResponses },
    },
    handler: async (request, reply) => reply.code(201).send(await scopeOf(context, request).agent.createSession({ projectId: request.params.projectId, ...request.body })),
  });

  app.get('/v1/projects/:projectId/sessions', {
    schema: { tags: ['agent'], summary: "List a project's sessions", params: projectParams, querystring: pageQuerySchema, response: { 200: pageOf(agentSessionSchema), ...errorResponses } },
    handler: async (request) => scopeOf(context, request).agent.listSessions(request.params.projectId, request.query),
  });

  app.get('/v1/sessions/:sessionId', {
    schema: { tags: ['agent'], summary: 'Get a session', params: sessionParams, response: { 200: agentSessionSchema, ...errorResponses } },
    handler: async (request) => scopeOf(context, request).agent.getSession(request.params.sessionId),
  });

  app.post('/v1/sessions/:sessionId/messages', {
    schema: {
      tags: ['agent'],
      summary: 'Post a message; queues a job for the agent',
      description:
        "`budget` lowers the server's job budget (`maxSteps` model calls, `maxTokens`, `maxCostUsd` US dollars at the engine's prices); a job that would cross it fails with `BUDGET_EXCEEDED`. Answers 402 `BUDGET_EXCEEDED` when the organization's model calls this month (UTC) already cost its `monthlyBudgetUsd`.",
      params: sessionParams,
      body: postMessageBody,
      // 402: the organization's monthly budget is spent.
      response: { 202: z.object({ message: chatMessageSchema, job: agentJobSchema }), ...errorResponses, 402: errorBodySchema },
    },
    handler: async (request, reply) => reply.code(202).send(await scopeOf(context, request).agent.postMessage({ sessionId: request.params.sessionId, ...request.body })),
  });

  app.get('/v1/sessions/:sessionId/messages', {
    schema: { tags: ['agent'], summary: "A session's messages", params: sessionParams, querystring: pageQuerySchema, response: { 200: pageOf(chatMessageSchema), ...errorResponses } },
    handler: async (request) => scopeOf(context, request).agent.listMessages(request.params.sessionId, request.query),
  });

  app.get('/v1/projects/:projectId/jobs', {
    schema: {
      tags: ['agent'],
      summary: "List a project's jobs",
      params: projectParams,
      querystring: pageQuerySchema.extend(jobFilterInputSchema.omit({ projectId: true }).shape),
      response: { 200: pageOf(agentJobSchema), ...errorResponses },
    },
    handler: async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const scope = scopeOf(context, request);
      await scope.projects.get(request.params.projectId);
      return scope.agent.listJobs({ projectId: request.params.projectId, ...filter }, { limit, cursor });
    },
  });

  app.get('/v1/jobs/:jobId', {
    schema: { tags: ['agent'], summary: 'Get a job', params: jobParams, response: { 200: agentJobSchema, ...errorResponses } },
    handler: async (request) => scopeOf(context, request).agent.getJob(request.params.jobId),
  });

  app.post('/v1/jobs/:jobId/cancel', {
    schema: {
      tags: ['agent'],
      summary: 'Cancel a queued or running job',
      description:
        'Answers the state the cancel leads to: 200 with the job once it has stopped (`cancelled`, or the state it had already reached: `complete`, `failed`), or 202 with `cancelRequested: true` when a running job is still stopping after a few seconds (it ends `cancelled`; follow it with GET or its events).',
      params: jobParams,
      response: { 200: cancelledJobSchema, 202: cancelledJobSchema, ...errorResponses },
    },
    handler: async (request, reply) => {
      const agent = scopeOf(context, request).agent;
      const job = await agent.cancelJob(request.params.jobId);
      if (isTerminalJobStatus(job.status)) return { ...job, cancelRequested: false };
      try {
        return { ...(await agent.waitForJob(job.id, { timeoutMs: CANCEL_WAIT_MS })), cancelRequested: false };
      } catch (error) {
        if (!LimitExceededError.isInstance(error)) throw error;
        return reply.code(202).send({ ...(await agent.getJob(job.id)), cancelRequested: true });
      }
    },
  });

  app.get('/v1/jobs/:jobId/steps', {
    schema: {
      tags: ['agent'],
      summary: "A job's steps: its model and tool calls, every attempt's, in order",
      description:
        'Steps with `index > afterIndex` (default 0), at most `limit` (default 100, at most 1000), outputs included; page on with the last `index`. Each model call carries its tokens and `costUsd` (null when the model has no known price).',
      params: jobParams,
      querystring: stepsQuery,
      response: { 200: z.object({ items: z.array(agentStepSchema) }), ...errorResponses },
    },
    handler: async (request) => {
      const { afterIndex, limit } = request.query;
      // No index is past the integer column's range: a larger `afterIndex` answers no steps, like the largest.
      return { items: await scopeOf(context, request).agent.listSteps(request.params.jobId, { afterIndex: afterIndex === undefined ? undefined : Math.min(afterIndex, maxSqlInteger), limit }) };
    },
  });

  app.post('/v1/jobs/:jobId/stream-token', {
    schema: {
      tags: ['agent'],
      summary: "A short-lived token for following the job's events from a browser",
      description: `For \`EventSource\`, which cannot send headers: open \`GET /v1/jobs/:jobId/events?access_token=<token>\`. The token works for ${STREAM_TOKEN_TTL_MS / 60_000} minutes, on this job's event stream only (nowhere else), with the caller's access to read it; ask for a new one to reconnect later.`,
      params: jobParams,
      response: { 201: z.object({ token: z.string(), expiresAt: z.string() }), ...errorResponses },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      // Only for a job the caller can see: another organization's answers 404.
      await scopeOf(context, request).agent.getJob(request.params.jobId);
      return reply.code(201).send(await context.streamTokens.issue({ organizationId: principal.organizationId, stream: { kind: 'job', id: request.params.jobId }, actor: principal.actor }));
    },
  });

  app.get('/v1/jobs/:jobId/events', {
    config: { queryToken: true },
    schema: {
      tags: ['agent'],
      summary: "A job's events: Server-Sent Events, or JSON with `Accept: application/json`",
      description:
        'As `text/event-stream`: replays persisted events after `Last-Event-ID` (or `?lastEventId=`), then follows live ones; each SSE `id` is the event `sequence`, `event` its type. The stream ends after `done`, `failed` or `cancelled`; a request for a finished job that has no event the client lacks (a reconnect after the end) answers 204, which tells browsers to stop reconnecting. Browsers authenticate with `?access_token=` from `POST /v1/jobs/:jobId/stream-token`.',
      params: jobParams,
      querystring: z.object({
        lastEventId: z.coerce.number().int().min(0).optional(),
        access_token: z.string().max(4096).optional().describe('A stream token for this job, instead of the Authorization header.'),
      }),
      response: { 200: z.object({ items: z.array(jobEventSchema) }), 204: z.null().describe('The job is over and the client has all its events.'), ...errorResponses },
    },
    handler: async (request, reply) => {
      const scope = scopeOf(context, request);
      const job = await scope.agent.getJob(request.params.jobId);
      const lastSequence = lastEventIdOf(request, request.query.lastEventId);
      const accept = request.headers.accept ?? '';
      if (accept.includes('application/json') && !accept.includes('text/event-stream')) {
        return { items: await scope.agent.listJobEvents(request.params.jobId, { afterSequence: lastSequence }) };
      }
      await streamJobEvents({ vector: context.vector, scope, hub: context.streams, eventFeed: context.eventFeed, job, lastSequence, request, reply });
      return reply;
    },
  });
}
