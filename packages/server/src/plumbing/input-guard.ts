import { findUnsafeInput, isFileContentPath, ValidationError } from '@vector/core';
import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';

/**
 * Two checks before any route reads its input:
 * - a declared `Content-Length` over the body limit answers 413 before the body is read (the
 *   client is told at once instead of having its upload cut off mid-way);
 * - text PostgreSQL cannot store (a NUL byte, a lone surrogate) or JSON nested deeper than 64
 *   levels, in the path, the query or the body, answers 400 naming the field, the same on
 *   every database (file content excepted: it becomes bytes).
 */
export const inputGuardPlugin = fastifyPlugin<{ bodyLimitBytes: number }>(
  async (app: FastifyInstance, options) => {
    app.addHook('onRequest', async (request) => {
      const declared = Number(request.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.bodyLimitBytes) {
        // Answered as 413 `LIMIT_EXCEEDED` (limit `body_size`) by the errors plugin; the unread body is drained by Node, so the client finishes sending and reads the answer.
        throw Object.assign(new Error(`The request body is ${declared} bytes; the limit is ${options.bodyLimitBytes}`), { statusCode: 413 });
      }
    });
    app.addHook('preValidation', async (request) => {
      // An unmatched route answers 404 whatever its path holds.
      if (request.routeOptions.url === undefined) return;
      // The router's params (and the query parser's object) are null-prototype objects of their
      // own class, which the walker skips as non-data: copied into plain objects, they are walked.
      const params = { ...(request.params as Record<string, unknown> | undefined) };
      const query = { ...(request.query as Record<string, unknown> | undefined) };
      for (const [where, value] of [['path', params], ['query', query], ['body', request.body]] as const) {
        const unsafe = findUnsafeInput(value, { isBinaryText: isFileContentPath });
        if (!unsafe) continue;
        const path = [where, ...unsafe.path];
        throw new ValidationError({ message: `Invalid request at ${path.join('.')}: it ${unsafe.message}`, issues: [{ path, message: unsafe.message }] });
      }
    });
  },
  { name: 'vector-input-guard', fastify: '5.x', dependencies: ['vector-errors'] },
);
