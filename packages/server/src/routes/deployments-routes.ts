import { createDeploymentInputFieldsSchema, deploymentEnvironmentSchema, deploymentFilterInputSchema, deploymentLogSchema, deploymentSchema, requireDistinctEnvAndSecrets } from '@vector/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses, idParam, pageOf, pageQuerySchema, pluginNameBody } from '../plumbing/http-schemas.js';
import { type RoutePluginOptions, scopeOf } from '../plumbing/server-context.js';
import { STREAM_TOKEN_TTL_MS } from '../auth/stream-tokens.js';
import { principalOf } from '../auth/auth-plugin.js';
import { lastEventIdOf } from '../sse/sse-hub.js';
import { streamDeploymentLogs } from '../sse/stream-deployment-logs.js';

const projectParams = z.object({ projectId: idParam });
const deploymentParams = z.object({ deploymentId: idParam });

// Core's input without the project id the path carries.
const createDeploymentBody = requireDistinctEnvAndSecrets(
  createDeploymentInputFieldsSchema.omit({ projectId: true }).extend({
    // Only the HTTP API has a default environment: a bare POST deploys a preview.
    environment: deploymentEnvironmentSchema.default('preview'),
    // The HTTP API caps the provider name's length (see `pluginNameBody`).
    provider: pluginNameBody.optional(),
  }),
);

/** Deployments: create preview or production, status, logs (JSON or SSE), destroy. */
export async function deploymentsRoutes(fastify: FastifyInstance, { context }: RoutePluginOptions): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.post('/v1/projects/:projectId/deployments', {
    schema: {
      tags: ['deployments'],
      summary: 'Deploy a version (default: the current one)',
      description: 'Answers 202 with the deployment in `pending`; follow it with GET or its logs stream. Secrets are passed to the provider and never stored.',
      params: projectParams,
      body: createDeploymentBody,
      response: { 202: deploymentSchema, ...errorResponses },
    },
    handler: async (request, reply) => {
      const idempotencyKey = request.body.idempotencyKey ?? request.headers['idempotency-key'];
      const deployment = await scopeOf(context, request).deployments.create({
        projectId: request.params.projectId,
        ...request.body,
        ...(typeof idempotencyKey === 'string' ? { idempotencyKey } : {}),
      });
      return reply.code(202).send(deployment);
    },
  });

  app.get('/v1/projects/:projectId/deployments', {
    schema: {
      tags: ['deployments'],
      summary: "List a project's deployments",
      params: projectParams,
      querystring: pageQuerySchema.extend(deploymentFilterInputSchema.omit({ projectId: true }).shape),
      response: { 200: pageOf(deploymentSchema), ...errorResponses },
    },
    handler: async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const scope = scopeOf(context, request);
      await scope.projects.get(request.params.projectId);
      return scope.deployments.list({ projectId: request.params.projectId, ...filter }, { limit, cursor });
    },
  });

  app.get('/v1/deployments/:deploymentId', {
    schema: { tags: ['deployments'], summary: 'Get a deployment', params: deploymentParams, response: { 200: deploymentSchema, ...errorResponses } },
    handler: async (request) => scopeOf(context, request).deployments.get(request.params.deploymentId),
  });

  app.post('/v1/deployments/:deploymentId/refresh', {
    schema: { tags: ['deployments'], summary: 'Ask the provider for status and logs now', params: deploymentParams, response: { 200: deploymentSchema, ...errorResponses } },
    handler: async (request) => scopeOf(context, request).deployments.refresh(request.params.deploymentId),
  });

  app.delete('/v1/deployments/:deploymentId', {
    schema: { tags: ['deployments'], summary: 'Destroy a deployment', params: deploymentParams, response: { 200: deploymentSchema, ...errorResponses } },
    handler: async (request) => scopeOf(context, request).deployments.destroy(request.params.deploymentId),
  });

  app.post('/v1/deployments/:deploymentId/stream-token', {
    schema: {
      tags: ['deployments'],
      summary: "A short-lived token for following the deployment's logs from a browser",
      description: `For \`EventSource\`, which cannot send headers: open \`GET /v1/deployments/:deploymentId/logs?access_token=<token>\` with \`Accept: text/event-stream\` (EventSource sends it). The token works for ${STREAM_TOKEN_TTL_MS / 60_000} minutes, on this deployment's logs only, with the caller's access to read them; ask for a new one to reconnect later.`,
      params: deploymentParams,
      response: { 201: z.object({ token: z.string(), expiresAt: z.string() }), ...errorResponses },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      // Only for a deployment the caller can see: another organization's answers 404.
      await scopeOf(context, request).deployments.get(request.params.deploymentId);
      return reply.code(201).send(await context.streamTokens.issue({ organizationId: principal.organizationId, stream: { kind: 'deployment', id: request.params.deploymentId }, actor: principal.actor }));
    },
  });

  app.get('/v1/deployments/:deploymentId/logs', {
    config: { queryToken: true },
    schema: {
      tags: ['deployments'],
      summary: "A deployment's logs: JSON, or Server-Sent Events with `Accept: text/event-stream`",
      description:
        'As `text/event-stream`: replays stored lines after `Last-Event-ID` (or `?afterSequence=`), then follows new ones until the deployment settles; each SSE `id` is the line `sequence`. Browsers authenticate with `?access_token=` from `POST /v1/deployments/:deploymentId/stream-token`.',
      params: deploymentParams,
      // Query strings are text, so these are coerced here; core checks the same bounds (`deploymentLogsOptionsInputSchema`).
      querystring: z.object({
        afterSequence: z.coerce.number().int().min(0).optional(),
        limit: z.coerce.number().int().min(1).max(10_000).optional(),
        access_token: z.string().max(4096).optional().describe('A stream token for this deployment, instead of the Authorization header.'),
      }),
      response: { 200: z.object({ items: z.array(deploymentLogSchema) }), ...errorResponses },
    },
    handler: async (request, reply) => {
      const scope = scopeOf(context, request);
      const deployment = await scope.deployments.get(request.params.deploymentId);
      const lastSequence = lastEventIdOf(request, request.query.afterSequence);
      if ((request.headers.accept ?? '').includes('text/event-stream')) {
        await streamDeploymentLogs({ vector: context.vector, scope, hub: context.streams, eventFeed: context.eventFeed, deployment, lastSequence, request, reply });
        return reply;
      }
      return { items: await scope.deployments.listLogs(deployment.id, { afterSequence: lastSequence, ...(request.query.limit ? { limit: request.query.limit } : {}) }) };
    },
  });
}
