import {
  codeVersionSchema,
  createVersionInputFieldsSchema,
  deploymentSchema,
  fileDiffSchema,
  fileEntrySchema,
  isBinaryContent,
  NotFoundError,
  projectSchema,
  publishDeployInputFieldsSchema,
  publishVersionInputSchema,
  requireDistinctEnvAndSecrets,
  requireFilesOrChanges,
  rollbackVersionInputSchema,
  type SourceFile,
} from '@vector/core';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorResponses, fileBodySchema, fileChangeBodySchema, idParam, maxFilesPerUpload, pageOf, pageQuerySchema, pluginNameBody } from '../plumbing/http-schemas.js';
import { immutableResponse, matchesEtag } from '../plumbing/immutable-responses.js';
import { prefersRawFile, rawContentType, sendRawFile } from '../plumbing/raw-file.js';
import { type RoutePluginOptions, scopeOf } from '../plumbing/server-context.js';

const projectParams = z.object({ projectId: idParam });
const versionParams = z.object({ versionId: idParam });
const fileOutSchema = z.object({ path: z.string(), content: z.string(), encoding: z.enum(['utf8', 'base64']), size: z.number().int() });

// The bodies are core's inputs without the id the path carries. Over HTTP, files are text
// (binary as base64) and at most `maxFilesPerUpload` per upload.
const createVersionBody = requireFilesOrChanges(
  createVersionInputFieldsSchema.omit({ projectId: true }).extend({
    files: z.array(fileBodySchema).max(maxFilesPerUpload).optional(),
    changes: z.array(fileChangeBodySchema).max(maxFilesPerUpload).optional(),
  }),
);
const rollbackBody = rollbackVersionInputSchema.omit({ projectId: true });
const publishBody = publishVersionInputSchema.omit({ projectId: true, deploy: true }).extend({
  // The HTTP API caps the provider name's length (see `pluginNameBody`); env and secrets are core's rules.
  deploy: requireDistinctEnvAndSecrets(publishDeployInputFieldsSchema.extend({ provider: pluginNameBody.optional() })).optional(),
});

function toFileOut(file: SourceFile) {
  const binary = isBinaryContent(file.content);
  const buffer = Buffer.from(file.content.buffer, file.content.byteOffset, file.content.byteLength);
  return { path: file.path, content: buffer.toString(binary ? 'base64' : 'utf8'), encoding: binary ? ('base64' as const) : ('utf8' as const), size: file.content.byteLength };
}

/** Code versions: list, get, files, one file, diff, upload, rollback, publish. */
export async function versionsRoutes(fastify: FastifyInstance, { context }: RoutePluginOptions): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get('/v1/projects/:projectId/versions', {
    schema: { tags: ['versions'], summary: "List a project's versions", params: projectParams, querystring: pageQuerySchema, response: { 200: pageOf(codeVersionSchema), ...errorResponses } },
    handler: async (request) => scopeOf(context, request).versions.list(request.params.projectId, request.query),
  });

  app.post('/v1/projects/:projectId/versions', {
    schema: {
      tags: ['versions'],
      summary: 'Create a version from an upload (manual edit or import)',
      description: '`parentVersionId` must be the current version (null for the first) or the answer is 409. Send `files` (the complete file set) or `changes`.',
      params: projectParams,
      body: createVersionBody,
      response: { 201: codeVersionSchema, ...errorResponses },
    },
    handler: async (request, reply) => {
      const { projectId } = request.params;
      const { files, changes, ...rest } = request.body;
      const version = await scopeOf(context, request).versions.create({ projectId, ...rest, ...(files ? { files } : {}), ...(changes ? { changes } : {}) });
      return reply.code(201).send(version);
    },
  });

  app.get('/v1/versions/:versionId', {
    schema: { tags: ['versions'], summary: 'Get a version', params: versionParams, response: { 200: codeVersionSchema, ...errorResponses } },
    handler: async (request) => scopeOf(context, request).versions.get(request.params.versionId),
  });

  const filesResponseSchema = z.object({ items: z.array(fileEntrySchema), files: z.array(fileOutSchema).optional() });
  app.get('/v1/versions/:versionId/files', {
    schema: {
      tags: ['versions'],
      summary: "A version's files (paths, sizes, hashes; with `include=content` also contents)",
      description: 'A version never changes, so the answer carries a strong `ETag`; send it back in `If-None-Match` and an unchanged answer is `304 Not Modified`.',
      params: versionParams,
      querystring: z.object({ include: z.enum(['content']).optional() }),
      response: { 200: filesResponseSchema, 304: z.null().describe('Not modified'), ...errorResponses },
    },
    handler: async (request, reply) => {
      const { versionId } = request.params;
      const versions = scopeOf(context, request).versions;
      // Checks that the caller may see the version, on every request (the listing itself is cached by the engine).
      const items = await versions.listFiles(versionId);
      const key = `files\u0000${versionId}\u0000${request.query.include ?? ''}`;
      let cached = context.immutableResponses.get(key);
      if (!cached) {
        const body = request.query.include === 'content' ? { items, files: (await versions.getFiles(versionId)).map(toFileOut) } : { items };
        // Validated and serialized once, as the route's serializer would.
        cached = context.immutableResponses.keep(key, immutableResponse(JSON.stringify(filesResponseSchema.encode(body))));
      }
      void reply.header('etag', cached.etag).header('cache-control', 'private, no-cache');
      if (matchesEtag(request.headers['if-none-match'], cached.etag)) return reply.code(304).send(null);
      // A string with a JSON content type is sent as it is: it was validated when it was cached.
      return reply.type('application/json; charset=utf-8').send(cached.body as unknown as z.output<typeof filesResponseSchema>);
    },
  });

  app.get('/v1/versions/:versionId/files/*', {
    schema: {
      tags: ['versions'],
      summary: 'One file of a version, by path (JSON, or its raw bytes)',
      description:
        'JSON by default: `{ path, content, encoding, size }`, binary content as base64. The raw bytes instead with `?raw=1`, or when `Accept` ranks the file\'s own type ' +
        '(e.g. `text/css`) or `application/octet-stream` above JSON or accepts no JSON at all (`?raw=0` forces JSON). Raw answers carry the type from the file\'s extension ' +
        '(`charset=utf-8` for text; `text/plain` for text with an unknown extension, else `application/octet-stream`), `X-Content-Type-Options: nosniff` and ' +
        "`Content-Security-Policy: default-src 'none'; sandbox`; HTML, SVG and XML are also sent as `Content-Disposition: attachment`, so a stored file never runs script on the API's origin.",
      params: versionParams.extend({ '*': z.string().min(1).max(1024) }),
      querystring: z.object({ raw: z.enum(['1', 'true', '0', 'false']).optional().describe('`1`: the raw bytes; `0`: the JSON wrapper; unset: as `Accept` prefers') }),
      response: {
        200: {
          description: 'The file: JSON by default, its raw bytes when asked for',
          content: {
            'application/json': { schema: fileOutSchema },
            'application/octet-stream': { schema: z.string().meta({ format: 'binary' }).describe("The file's bytes, with the type of its extension (any type)") },
          },
        },
        ...errorResponses,
      },
    },
    handler: async (request, reply) => {
      // Checks that the caller may see the version (another organization's answers 404).
      const file = await scopeOf(context, request).versions.getFile(request.params.versionId, request.params['*']);
      const contentType = rawContentType(file);
      // The answer depends on Accept: caches must keep the JSON and the raw variants apart.
      const vary = reply.getHeader('vary');
      void reply.header('vary', vary ? `${String(vary)}, Accept` : 'Accept');
      if (prefersRawFile({ raw: request.query.raw, accept: request.headers.accept, contentType })) return sendRawFile(reply, file, contentType);
      return reply.type('application/json; charset=utf-8').send(toFileOut(file));
    },
  });

  app.get('/v1/versions/:versionId/diff', {
    schema: {
      tags: ['versions'],
      summary: 'How this version differs from another (default: its parent; `from=empty` for everything)',
      params: versionParams,
      querystring: z.object({ from: idParam.optional() }),
      response: { 200: z.object({ items: z.array(fileDiffSchema) }), ...errorResponses },
    },
    handler: async (request) => {
      const versions = scopeOf(context, request).versions;
      const to = await versions.get(request.params.versionId);
      const from = request.query.from === 'empty' ? null : (request.query.from ?? to.parentId);
      return { items: await versions.diff({ fromVersionId: from, toVersionId: to.id }) };
    },
  });

  app.post('/v1/projects/:projectId/rollback', {
    schema: {
      tags: ['versions'],
      summary: 'Create a new version restoring an earlier one',
      params: projectParams,
      body: rollbackBody,
      response: { 201: codeVersionSchema, ...errorResponses },
    },
    handler: async (request, reply) => reply.code(201).send(await scopeOf(context, request).versions.rollback({ projectId: request.params.projectId, ...request.body })),
  });

  app.post('/v1/projects/:projectId/publish', {
    schema: {
      tags: ['versions'],
      summary: 'Publish a version, optionally deploying it to production',
      params: projectParams,
      body: publishBody,
      response: { 200: z.object({ project: projectSchema, deployment: deploymentSchema.nullable() }), ...errorResponses },
    },
    handler: async (request) => {
      const scope = scopeOf(context, request);
      const version = await scope.versions.get(request.body.versionId);
      if (version.projectId !== request.params.projectId) throw new NotFoundError({ entity: 'version', id: request.body.versionId });
      return scope.versions.publish({ projectId: request.params.projectId, ...request.body });
    },
  });
}
