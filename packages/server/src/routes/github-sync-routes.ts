import { codeVersionSchema, importProjectInputSchema, projectSchema } from '@vector/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses, idParam } from '../plumbing/http-schemas.js';
import { type RoutePluginOptions, scopeOf } from '../plumbing/server-context.js';

const projectParams = z.object({ projectId: idParam });

/** Projects whose storage others can change (a GitHub branch): sync, settle a divergence, import a repository. */
export async function githubSyncRoutes(fastify: FastifyInstance, { context }: RoutePluginOptions): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.post('/v1/projects/:projectId/sync', {
    schema: {
      tags: ['projects'],
      summary: "Take in changes pushed to the project's branch outside Vector",
      description:
        'For setups without the webhook. `imported`: a push on top of Vector\'s head became a new version (`source: import`, the commit\'s message and author). `diverged`: the branch left Vector\'s head out; `project.storageConflict` shows both heads until `resolve-storage-conflict` settles it. `unsupported`: the project\'s storage cannot be changed outside Vector.',
      params: projectParams,
      response: { 200: z.object({ status: z.enum(['unsupported', 'in_step', 'imported', 'diverged']), version: codeVersionSchema.nullable(), project: projectSchema }), ...errorResponses },
    },
    handler: async (request) => scopeOf(context, request).projects.syncStorage(request.params.projectId),
  });

  app.post('/v1/projects/:projectId/resolve-storage-conflict', {
    schema: {
      tags: ['projects'],
      summary: 'Settle a divergence between Vector and the branch',
      description: '`external` adopts the outside head as a new version; `vector` keeps Vector\'s files, written on top of the outside head (never a force-push: if the branch moved again, 409 and the conflict shows the new head). Audited.',
      params: projectParams,
      body: z.object({ keep: z.enum(['external', 'vector']) }),
      response: { 200: codeVersionSchema, ...errorResponses },
    },
    handler: async (request) => scopeOf(context, request).projects.resolveStorageConflict({ projectId: request.params.projectId, keep: request.body.keep }),
  });

  app.post('/v1/projects/import', {
    schema: {
      tags: ['projects'],
      summary: 'Adopt an existing repository as a new project',
      description: 'Creates the project and its first version (`source: import`) from the repository\'s commit (default branch unless `source.ref`). Needs storage that can import (GitHub). A failed import leaves no project behind.',
      body: importProjectInputSchema,
      response: { 201: z.object({ project: projectSchema, version: codeVersionSchema }), ...errorResponses },
    },
    handler: async (request, reply) => reply.code(201).send(await scopeOf(context, request).projects.importRepository(request.body)),
  });
}
