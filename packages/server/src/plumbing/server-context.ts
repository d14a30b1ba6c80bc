import type { Vector, VectorScope } from '@vector/core';
import type { FastifyRequest } from 'fastify';
import type { ApiKeyStore } from '../auth/api-key-store.js';
import type { AuditedApiKeys } from '../auth/audited-api-keys.js';
import { principalOf } from '../auth/auth-plugin.js';
import type { IdentifyPerson } from '../auth/identify-person.js';
import type { InvitationStore } from '../auth/invitation-store.js';
import type { StreamTokens } from '../auth/stream-tokens.js';
import type { ImmutableResponseCache } from './immutable-responses.js';
import type { EventFeed } from '../sse/event-feed.js';
import type { SseHub } from '../sse/sse-hub.js';

/** What the route plugins share; passed to each as its options. */
export interface ServerContext {
  vector: Vector;
  apiKeys: ApiKeyStore;
  /** The same keys, with every create and revoke written to the audit log. */
  auditedApiKeys: AuditedApiKeys;
  invitations: InvitationStore;
  /** Job-scoped tokens for `?access_token=` on a job's event stream. */
  streamTokens: StreamTokens;
  /** The person a request's credentials name, in any organization (accepting an invitation). */
  identifyPerson: IdentifyPerson;
  streams: SseHub;
  /** When set, creating an organization needs `Authorization: Bearer <token>`. */
  bootstrapToken: string | undefined;
  /** Whether anyone may create an organization when no bootstrap token is set. */
  openSignup: boolean;
  /** The cross-process event feed, when events can be lost: readiness and stream resyncs. */
  eventFeed: EventFeed | undefined;
  /** Serialized bodies of responses that never change (what a version holds). */
  immutableResponses: ImmutableResponseCache;
}

/** Options of every route plugin. */
export interface RoutePluginOptions {
  context: ServerContext;
}

/** The engine scope of the caller's organization, acting as the caller. */
export function scopeOf(context: ServerContext, request: FastifyRequest): VectorScope {
  const principal = principalOf(request);
  return context.vector.scope({ organizationId: principal.organizationId, actor: principal.actor });
}
