import { ForbiddenError, type RuntimeDataApi, UnauthorizedError, ValidationError } from '@vector/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import fastifyRateLimit from '@fastify/rate-limit';
import { z } from 'zod';
import { bearerToken } from '../auth/auth-plugin.js';
import { errorResponses, idParam } from '../plumbing/http-schemas.js';
import type { RoutePluginOptions } from '../plumbing/server-context.js';

/** Where the runtime data API lives; deployments get it (with this server's address) as `VECTOR_DATA_URL`. */
export const RUNTIME_DATA_PREFIX = '/data/v1';

/** Options of {@link runtimeDataRoutes}. */
export interface RuntimeDataRoutesOptions extends RoutePluginOptions {
  /** Requests per window per deployment token (a deployed app's traffic has a budget of its own); false: no limit. */
  rateLimit: { max: number; windowMs: number } | false;
}

const tableParams = z.object({ table: z.string().min(1).max(63) });
const rowParams = tableParams.extend({ id: idParam });
const rowSchema = z.object({ id: z.string(), data: z.record(z.string(), z.unknown()), createdAt: z.string(), updatedAt: z.string() });
const rowBody = z.record(z.string(), z.unknown());
const listQuery = z.object({
  /** Equality filters as a JSON object: `{"done": false}`. */
  where: z.string().max(10_000).optional(),
  orderBy: z.string().min(1).max(63).optional(),
  direction: z.enum(['asc', 'desc']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(2000).optional(),
});

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on runtime data routes: the API of the request's data token. */
    runtimeData: RuntimeDataApi | null;
  }
}

/**
 * The runtime data API for deployed apps: `Authorization: Bearer <VECTOR_DATA_TOKEN>` opens the
 * deployment's own project's tables (a preview's own copy), by name, within their access rules
 * from `vector.data.json`. No API key works here, and a data token works nowhere else. Browsers
 * may call it from the deployment's own origin only (the server's CORS answers any preflight;
 * these routes refuse other origins); each token has its own rate limit.
 */
export async function runtimeDataRoutes(fastify: FastifyInstance, { context, rateLimit }: RuntimeDataRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.decorateRequest('runtimeData', null);
  // The server's own limits may be off (or not loaded); this API keeps its own.
  if (rateLimit !== false && !app.hasDecorator('createRateLimit')) await app.register(fastifyRateLimit, { global: false });
  const perToken =
    rateLimit === false
      ? null
      : app.createRateLimit({ max: rateLimit.max, timeWindow: rateLimit.windowMs, keyGenerator: (request) => `data:${request.runtimeData?.principal.deploymentId ?? request.ip}` });

  app.addHook('onRequest', async (request, reply) => {
    if (request.method === 'OPTIONS') return;
    const token = bearerToken(request);
    if (!token) throw new UnauthorizedError({ message: 'Send the deployment\'s data token: "Authorization: Bearer <VECTOR_DATA_TOKEN>"' });
    const data = await context.vector.runtimeData(token);
    request.runtimeData = data;
    allowOrigin(request, data);
    if (perToken) {
      const result = await perToken(request);
      if (!result.isAllowed && result.isExceeded) {
        void reply.header('retry-after', result.ttlInSeconds);
        throw Object.assign(new Error(`Rate limit exceeded: retry in ${result.ttlInSeconds}s`), { statusCode: 429 });
      }
    }
  });

  /** A browser may call from the deployment's own origin only; other callers send no Origin. */
  function allowOrigin(request: FastifyRequest, data: RuntimeDataApi): void {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    const own = data.principal.origin;
    if (origin !== own) throw new ForbiddenError({ message: `Requests from ${origin} may not use this deployment's data; only its own origin (${own ?? 'none yet'}) may` });
  }

  const data = (request: FastifyRequest): RuntimeDataApi => {
    if (!request.runtimeData) throw new UnauthorizedError({ message: 'This route needs a data token' });
    return request.runtimeData;
  };
  const tags = ['runtime data'];

  app.get(`${RUNTIME_DATA_PREFIX}/tables`, {
    schema: { tags, summary: "The deployment's tables and what its token may do with them", response: { 200: z.object({ items: z.array(z.object({ name: z.string(), columns: z.array(z.record(z.string(), z.unknown())), access: z.record(z.string(), z.boolean()) })) }), ...errorResponses } },
    handler: async (request) => ({ items: await data(request).listTables() }),
  });

  app.get(`${RUNTIME_DATA_PREFIX}/tables/:table/rows`, {
    schema: { tags, summary: 'List rows: equality filters (`where`, JSON), order and pages', params: tableParams, querystring: listQuery, response: { 200: z.object({ items: z.array(rowSchema), nextCursor: z.string().nullable() }), ...errorResponses } },
    handler: async (request) => {
      const { where, orderBy, direction, limit, cursor } = request.query;
      let filters: unknown;
      if (where !== undefined) {
        try {
          filters = JSON.parse(where);
        } catch {
          throw new ValidationError({ message: 'where must be a JSON object of column → value', issues: [{ path: ['where'], message: 'not JSON' }] });
        }
      }
      const query = { ...(filters === undefined ? {} : { where: filters as Record<string, string | number | boolean | null> }), ...(orderBy ? { orderBy: { column: orderBy, direction: direction ?? 'asc' } } : {}) };
      return data(request).listRows(request.params.table, query, { ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) });
    },
  });

  app.post(`${RUNTIME_DATA_PREFIX}/tables/:table/rows`, {
    schema: { tags, summary: 'Insert a row (the body is its data)', params: tableParams, body: rowBody, response: { 201: rowSchema, ...errorResponses } },
    handler: async (request, reply) => reply.code(201).send(await data(request).insertRow(request.params.table, request.body)),
  });

  app.get(`${RUNTIME_DATA_PREFIX}/tables/:table/rows/:id`, {
    schema: { tags, summary: 'Read a row', params: rowParams, response: { 200: rowSchema, ...errorResponses } },
    handler: async (request) => data(request).getRow(request.params.table, request.params.id),
  });

  app.patch(`${RUNTIME_DATA_PREFIX}/tables/:table/rows/:id`, {
    schema: { tags, summary: 'Change some of a row’s columns', params: rowParams, body: rowBody, response: { 200: rowSchema, ...errorResponses } },
    handler: async (request) => data(request).updateRow(request.params.table, request.params.id, request.body),
  });

  app.delete(`${RUNTIME_DATA_PREFIX}/tables/:table/rows/:id`, {
    schema: { tags, summary: 'Delete a row', params: rowParams, response: { 204: z.null(), ...errorResponses } },
    handler: async (request, reply) => {
      await data(request).deleteRow(request.params.table, request.params.id);
      return reply.code(204).send(null);
    },
  });
}
