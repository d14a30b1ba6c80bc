import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { toErrorResponse } from './error-response.js';

/**
 * Answers every error, and every unknown route, in the `{ error: { code, message, details? } }`
 * shape. 5xx answers are logged with their cause; their message never reaches the client.
 */
export const errorsPlugin = fastifyPlugin(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error, request, reply) => {
      const response = toErrorResponse(error);
      if (response.status >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.debug({ code: response.body.error.code }, 'request rejected');
      return reply.code(response.status).headers(response.headers).send(response.body);
    });
    app.setNotFoundHandler((request, reply) => {
      return reply.code(404).send({ error: { code: 'NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0]}` } });
    });
  },
  { name: 'vector-errors', fastify: '5.x' },
);
