import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

/** Options of {@link openApiPlugin}. */
export interface OpenApiPluginOptions {
  /** Serve the interactive docs page at `/docs`. */
  docs: boolean;
  version: string;
}

/**
 * Generates the OpenAPI 3.1 document from the routes' zod schemas and serves it at
 * `/v1/openapi.json` (and the docs page at `/docs`). Register before the routes.
 */
export const openApiPlugin = fastifyPlugin<OpenApiPluginOptions>(
  async (app: FastifyInstance, options) => {
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Vector API',
          version: options.version,
          description: 'The HTTP API of a Vector server: projects, versions, agent jobs, deployments, runtime data and audit. Errors answer `{ "error": { "code", "message", "details"? } }`.',
        },
        components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An organization API key (vk_…)' } } },
        security: [{ apiKey: [] }],
      },
      transform: jsonSchemaTransform,
      hideUntagged: true,
    });
    if (options.docs) await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });
    app.get('/v1/openapi.json', { config: { auth: false }, schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'vector-openapi', fastify: '5.x' },
);
