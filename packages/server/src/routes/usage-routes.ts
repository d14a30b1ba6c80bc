import { usageQueryInputSchema, usageSummarySchema } from '@vector/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses, listFromQuery } from '../plumbing/http-schemas.js';
import { type RoutePluginOptions, scopeOf } from '../plumbing/server-context.js';

// Core's query with `groupBy` read from the query string's text (comma-separated or repeated).
// Core checks the whole query again, `start` before `end` included (400 `VALIDATION_FAILED`).
const usageQuery = z.object({ ...usageQueryInputSchema.shape, groupBy: listFromQuery(usageQueryInputSchema.shape.groupBy) });

/**
 * What the organization's model calls cost: tokens, calls and US dollars summed by day, project
 * and/or model over a time range (shaped after v0's `GET /v2/usage/summary`). Admins and owners,
 * like the audit log.
 */
export async function usageRoutes(fastify: FastifyInstance, { context }: RoutePluginOptions): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get('/v1/usage', {
    config: { role: 'admin' },
    schema: {
      tags: ['usage'],
      summary: "Summarize the organization's model usage and cost",
      description:
        'Sums the agent steps recorded in `[start, end)` (ISO-8601 timestamps; default the 7 days before now) by `groupBy` (`day` (UTC), `project`, `model`; comma-separated or repeated; default `day`; empty: totals only), optionally of one `projectId`, `sessionId` or `jobId`. Costs are US dollars at the engine\'s prices; `costUsd` is null when there were model calls and none had a known price.',
      querystring: usageQuery,
      response: { 200: usageSummarySchema, ...errorResponses },
    },
    handler: async (request) => scopeOf(context, request).usage.summarize(request.query),
  });
}
