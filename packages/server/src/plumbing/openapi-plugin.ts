import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { dataColumnSchema } from '@vector/core';
import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * Names the recursive schemas the routes use as components of the document. A recursive schema
 * (any JSON value: a column's `default`) is written as a `$ref`; only a schema registered with an
 * id has its component in the document (`jsonSchemaTransformObject` adds it), so without this the
 * reference would point nowhere. Idempotent: every server built in a process shares the entry.
 */
function registerOpenApiComponents(): void {
  const jsonValue = dataColumnSchema.shape.default.unwrap();
  if (z.globalRegistry.get(jsonValue)?.id === undefined) z.globalRegistry.add(jsonValue, { ...z.globalRegistry.get(jsonValue), id: 'JsonValue' });
}

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
    registerOpenApiComponents();
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Vector API',
          version: options.version,
          description: 'The HTTP API of a Vector server: projects, versions, agent jobs, deployments, runtime data and audit. Errors answer `{ "error": { "code", "message", "details"? } }`.',
        },
        components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: "An API key (vk_…): an organization's, or a person's own; or, when the server verifies them, a JWT from your identity provider" } } },
        security: [{ apiKey: [] }],
      },
      transform: jsonSchemaTransform,
      transformObject: jsonSchemaTransformObject,
      hideUntagged: true,
    });
    if (options.docs) await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });
    app.get('/v1/openapi.json', { config: { auth: false }, schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'vector-openapi', fastify: '5.x' },
);
