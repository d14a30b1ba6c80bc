import { createProjectInputSchema, projectSchema, updateProjectInputSchema } from '@vector/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses, idParam, pageOf, pageQuerySchema, pluginNameBody } from '../plumbing/http-schemas.js';
import { type RoutePluginOptions, scopeOf } from '../plumbing/server-context.js';

const projectParams = z.object({ projectId: idParam });
// The HTTP API caps the storage backend name's length (see `pluginNameBody`).
const createProjectBody = createProjectInputSchema.extend({ storageBackend: pluginNameBody.optional() });

/** Projects of the caller's organization. */
export async function projectsRoutes(fastify: FastifyInstance, { context }: RoutePluginOptions): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get('/v1/projects', {
    schema: { tags: ['projects'], summary: 'List projects', querystring: pageQuerySchema, response: { 200: pageOf(projectSchema), ...errorResponses } },
    handler: async (request) => scopeOf(context, request).projects.list(request.query),
  });

  app.post('/v1/projects', {
    schema: {
      tags: ['projects'],
      summary: 'Create a project',
      body: createProjectBody,
      response: { 201: projectSchema, ...errorResponses },
    },
    handler: async (request, reply) => reply.code(201).send(await scopeOf(context, request).projects.create(request.body)),
  });

  app.get('/v1/projects/:projectId', {
    schema: { tags: ['projects'], summary: 'Get a project', params: projectParams, response: { 200: projectSchema, ...errorResponses } },
    handler: async (request) => scopeOf(context, request).projects.get(request.params.projectId),
  });

  app.patch('/v1/projects/:projectId', {
    schema: {
      tags: ['projects'],
      summary: 'Update a project',
      params: projectParams,
      body: updateProjectInputSchema,
      response: { 200: projectSchema, ...errorResponses },
    },
    handler: async (request) => scopeOf(context, request).projects.update(request.params.projectId, request.body),
  });

  app.delete('/v1/projects/:projectId', {
    config: { role: 'admin' },
    schema: { tags: ['projects'], summary: 'Delete a project with its versions, sessions, data and files', params: projectParams, response: { 204: z.null(), ...errorResponses } },
    handler: async (request, reply) => {
      await scopeOf(context, request).projects.delete(request.params.projectId);
      return reply.code(204).send(null);
    },
  });
}
