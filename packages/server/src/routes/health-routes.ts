import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import type { RoutePluginOptions } from '../plumbing/server-context.js';

const statusSchema = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.string()).optional() });

/** Options of {@link healthRoutes}. */
export interface HealthRoutesOptions extends RoutePluginOptions {
  /** True once shutdown began: readiness fails so load balancers stop sending work. */
  isShuttingDown: () => boolean;
}

/** `/healthz` (the process answers) and `/readyz` (the database answers and we take work). */
export async function healthRoutes(fastify: FastifyInstance, { context, isShuttingDown }: HealthRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get('/healthz', {
    config: { auth: false, rateLimit: false },
    schema: { tags: ['health'], summary: 'Liveness', response: { 200: statusSchema } },
    handler: async () => ({ status: 'ok' as const }),
  });
  app.get('/readyz', {
    config: { auth: false, rateLimit: false },
    schema: { tags: ['health'], summary: 'Readiness: database reachable, event feed connected, not shutting down', response: { 200: statusSchema, 503: statusSchema } },
    handler: async (request, reply) => {
      if (isShuttingDown()) return reply.code(503).send({ status: 'unavailable', checks: { shutdown: 'in progress' } });
      const checks: Record<string, string> = { database: 'ok' };
      try {
        await sql`select 1`.execute(context.vector.db);
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed');
        checks.database = 'unreachable';
      }
      // Without its event feed this process would serve SSE streams that stall silently.
      if (context.eventFeed) checks.events = context.eventFeed.isHealthy() ? 'ok' : 'reconnecting';
      const ready = Object.values(checks).every((check) => check === 'ok');
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks });
    },
  });
}
