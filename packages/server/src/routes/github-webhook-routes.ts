import { Webhooks } from '@octokit/webhooks';
import { UnauthorizedError, ValidationError } from '@vector/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RoutePluginOptions } from '../plumbing/server-context.js';

// The fields of a `push` delivery this route reads (GitHub sends many more).
const pushPayload = z.object({
  ref: z.string(),
  after: z.string(),
  deleted: z.boolean().optional(),
  repository: z.object({ name: z.string(), owner: z.object({ login: z.string().optional(), name: z.string().nullish() }) }),
});

/**
 * `POST /v1/github/webhook`: GitHub's push deliveries for repositories that hold projects
 * (GitHub storage). The `X-Hub-Signature-256` HMAC of the exact body is checked with the
 * webhook secret (`@octokit/webhooks`); an unsigned or badly signed delivery answers 401 and
 * changes nothing. A push to a project's branch is synced at once: a new version, or the
 * project's storage conflict. `ping` answers 200; other events are acknowledged and ignored.
 */
export async function githubWebhookRoutes(fastify: FastifyInstance, { context, secret }: RoutePluginOptions & { secret: string }): Promise<void> {
  const webhooks = new Webhooks({ secret });
  // The signature covers the raw bytes: keep them (this plugin's parser only).
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  fastify.post('/v1/github/webhook', {
    config: { auth: false },
    schema: {
      tags: ['github'],
      summary: 'Receive GitHub push deliveries',
      description: 'Set it as the repository (or organization) webhook with content type `application/json` and the server\'s `GITHUB_WEBHOOK_SECRET`. Answers 401 for a missing or wrong signature.',
    },
    handler: async (request, reply) => {
      const raw = typeof request.body === 'string' ? request.body : '';
      const signature = request.headers['x-hub-signature-256'];
      if (typeof signature !== 'string' || !(await webhooks.verify(raw, signature).catch(() => false))) {
        throw new UnauthorizedError({ message: 'The delivery is not signed with this server\'s GitHub webhook secret (X-Hub-Signature-256)' });
      }
      const event = request.headers['x-github-event'];
      if (event === 'ping') return { ok: true };
      if (event !== 'push') return reply.code(202).send({ ignored: String(event ?? '') });
      let payload: z.output<typeof pushPayload>;
      try {
        payload = pushPayload.parse(JSON.parse(raw));
      } catch (error) {
        throw new ValidationError({ message: 'The push delivery is not the JSON GitHub sends', cause: error });
      }
      const branch = payload.ref.startsWith('refs/heads/') ? payload.ref.slice('refs/heads/'.length) : null;
      if (!branch || payload.deleted) return reply.code(202).send({ ignored: payload.deleted ? 'branch deleted' : 'not a branch' });
      const owner = payload.repository.owner.login ?? payload.repository.owner.name ?? '';
      const results = await context.vector.receiveStoragePush({ owner, repository: payload.repository.name, branch });
      // Only counts: a delivery's sender must not learn which organizations hold the repository.
      return { projects: results.length, imported: results.filter((result) => result.status === 'imported').length, diverged: results.filter((result) => result.status === 'diverged').length };
    },
  });
}
