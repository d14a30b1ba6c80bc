import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import type { Vector } from '@vector/core';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { createApiKeyStore } from './auth/api-key-store.js';
import { createAuditedApiKeys } from './auth/audited-api-keys.js';
import { createPersonIdentifier } from './auth/identify-person.js';
import { createInvitationStore } from './auth/invitation-store.js';
import { createJwtAuthenticator, type JwtOptions, looksLikeJwt } from './auth/jwt-authenticator.js';
import { createStreamTokens } from './auth/stream-tokens.js';
import { consolePlugin } from './console/console-plugin.js';
import { createImmutableResponseCache } from './plumbing/immutable-responses.js';
import { type AuthPluginOptions, authPlugin, bearerToken } from './auth/auth-plugin.js';
import type { Authenticate, Principal } from './auth/principal.js';
import { migrateServerTables, type ServerDatabase } from './auth/server-migrations.js';
import { toErrorResponse } from './plumbing/error-response.js';
import { errorsPlugin } from './plumbing/errors-plugin.js';
import { answerClientError, type ConnectionLimits, createLimitedServer } from './plumbing/connection-limits.js';
import { inputGuardPlugin } from './plumbing/input-guard.js';
import { type LoggerOption, loggerOptions } from './plumbing/logger-options.js';
import { openApiPlugin } from './plumbing/openapi-plugin.js';
import { type MetricsEndpointOptions, metricsRoutes } from './plumbing/metrics-routes.js';
import { type ServerTelemetryOptions, telemetryPlugin } from './plumbing/telemetry-plugin.js';
import { type RateLimitOptions, rateLimitPlugin } from './plumbing/rate-limits.js';
import { RUNTIME_DATA_PREFIX, runtimeDataRoutes } from './routes/runtime-data-routes.js';
import type { ServerContext } from './plumbing/server-context.js';
import { agentRoutes } from './routes/agent-routes.js';
import { apiKeysRoutes } from './routes/api-keys-routes.js';
import { auditRoutes } from './routes/audit-routes.js';
import { dataRoutes } from './routes/data-routes.js';
import { deploymentsRoutes } from './routes/deployments-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { invitationsRoutes } from './routes/invitations-routes.js';
import { organizationsRoutes } from './routes/organizations-routes.js';
import { personalKeysRoutes } from './routes/personal-keys-routes.js';
import { projectsRoutes } from './routes/projects-routes.js';
import { usageRoutes } from './routes/usage-routes.js';
import { connectorsRoutes } from './routes/connectors-routes.js';
import { mcpRoutes } from './mcp/mcp-routes.js';
import { githubSyncRoutes } from './routes/github-sync-routes.js';
import { githubWebhookRoutes } from './routes/github-webhook-routes.js';
import { versionsRoutes } from './routes/versions-routes.js';
import type { EventFeed } from './sse/event-feed.js';
import { createSseHub } from './sse/sse-hub.js';

/** Options of {@link buildServer}. */
export interface BuildServerOptions {
  /** The engine, from `createVector`. The server migrates it on `ready()` but does not start it. */
  vector: Vector;
  /**
   * Replace the server's authentication with your own (sessions, JWTs). Default: API keys
   * (organization and personal), and JWTs when `jwt` is set. Your function gets the built-in
   * one as `tools.builtIn`, to keep API keys working beside your credentials.
   */
  authenticate?: Authenticate;
  /**
   * Verify JWTs from your identity provider against its key set: a bearer token shaped like a
   * JWT is checked here (`exp` required, `iss` and `aud` checked, 5 s clock tolerance), anything
   * else as an API key. Its claims name the Vector user, the organization and optionally a role;
   * the user must be a member of that organization, and acts with the lesser of the token's role
   * and their member role. Default: off.
   */
  jwt?: JwtOptions;
  /**
   * How long a verified API key is trusted from memory, in milliseconds (0: ask the database on
   * every request). A revoke takes effect at once on the server that revoked it, and within
   * this time on other server processes sharing the database. Default 5000.
   */
  apiKeyCacheMs?: number;
  /**
   * Bytes of serialized responses that never change (a version's file listing) kept in memory,
   * so reading a version again skips rebuilding and serializing it; the caller's access is still
   * checked on every request. 0 keeps none. Default 32 MiB.
   */
  immutableResponseCacheBytes?: number;
  /** When set, `POST /v1/organizations` needs `Authorization: Bearer <token>`. */
  bootstrapToken?: string;
  /** Allow anyone to create organizations when no bootstrap token is set. Default: true (development). */
  openSignup?: boolean;
  /** Origins allowed by CORS; `['*']` for any. Default: none (same-origin only). */
  corsOrigins?: string[];
  /**
   * Requests per window per caller — a verified API key (principal), else the client IP — and
   * `maxPerIp` per client IP whoever it is (default `10 × max`); `false` turns rate limiting
   * off. Default 600 per 60 s.
   */
  rateLimit?: RateLimitOptions | false;
  /** Requests per window per deployment on the runtime data API (`/data/v1`); default 1200 a minute; false: none. */
  dataRateLimit?: { max: number; windowMs: number } | false;
  /**
   * Fastify's `trustProxy`: behind a load balancer, set it (e.g. `true`, a hop count or the
   * proxy addresses) so `request.ip`, and with it the per-IP limit, is the client's. Default false.
   */
  trustProxy?: FastifyServerOptions['trustProxy'];
  /**
   * Request timeout (a whole request, body included: default 60 s), header timeout (default
   * 20 s), both answered 408 `REQUEST_TIMEOUT`, and the most open connections (default 10,000).
   */
  connectionLimits?: ConnectionLimits;
  /** Largest accepted request body. Default 20 MiB. */
  bodyLimitBytes?: number;
  /**
   * Fastify logger options — a level and optionally a destination `stream` — with the
   * `authorization`, cookie and `x-api-key` headers always redacted; or your own pino-compatible
   * instance (configure its redaction yourself). Default: off.
   */
  logger?: LoggerOption;
  /** Serve the docs page at `/docs`. Default true. */
  docs?: boolean;
  /**
   * Serve the web console (`@vector/console`) at `/console`: a page that signs in with an API key
   * and uses the public `/v1` API only, under a strict Content-Security-Policy. Default true.
   */
  console?: boolean;
  /**
   * The secret of the GitHub webhook (`push` events) that turns pushes to projects' branches
   * into versions, served at `POST /v1/github/webhook`; unset: no webhook route.
   */
  githubWebhookSecret?: string;
  /**
   * OpenTelemetry: a server span per request (`@fastify/otel`; jobs posted by a request join
   * its trace), the `http.server.request.duration` histogram and the `vector.sse.clients`
   * count, on the given providers or the global ones (no-ops until an SDK is registered).
   * `false` leaves the server uninstrumented. Default: the global providers.
   */
  telemetry?: ServerTelemetryOptions | false;
  /**
   * Prometheus metrics at `GET /metrics` from this exporter (its meter provider should be the
   * engine's and `telemetry`'s), answered only with `Authorization: Bearer <token>`: metrics
   * count every organization's work, so no organization's API key opens them. Unset: `/metrics`
   * answers 404.
   */
  metrics?: MetricsEndpointOptions;
  /** Heartbeat comment interval on SSE streams. Default 15000. */
  sseHeartbeatMs?: number;
  /**
   * The engine's cross-process event feed when it can lose events (the PostgreSQL bridge):
   * `/readyz` answers 503 while it is down, and open SSE streams re-read from the database
   * after it resyncs. Omit it for the in-process bus.
   */
  eventFeed?: EventFeed;
}

/**
 * Builds the Vector HTTP server (not listening): call `await app.listen({ port, host })`, or
 * `app.inject()` in tests. Closing the server ends open SSE streams; it does not stop or
 * dispose the engine (see `runServer` for the whole process lifecycle).
 */
export function buildServer(options: BuildServerOptions): FastifyInstance {
  const bodyLimitBytes = options.bodyLimitBytes ?? 20 * 1024 * 1024;
  const app = Fastify({
    ...loggerOptions(options.logger),
    bodyLimit: bodyLimitBytes,
    // Request and header timeouts and a cap on connections (a stalled body must not hold a socket forever).
    serverFactory: createLimitedServer(options.connectionLimits ?? {}),
    // Errors of Node's HTTP parser (431, malformed chunks, timeouts) in the server's error shape.
    clientErrorHandler: answerClientError,
    trustProxy: options.trustProxy ?? false,
    // Keep-alive sockets must not hold `close()` open past the SSE streams we end ourselves.
    forceCloseConnections: true,
    // While closing, requests already on open connections finish normally and `/readyz` answers
    // its own 503; Fastify's generic 503 would not have the server's error shape.
    return503OnClosing: false,
    routerOptions: { maxParamLength: 1024, ignoreTrailingSlash: true },
    // Errors raised before routing (over-long params, bad URLs) get the same JSON shape.
    frameworkErrors: (error, _request, reply) => {
      const response = toErrorResponse(error);
      void (reply as FastifyReply).code(response.status).send(response.body);
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const db = options.vector.db as Kysely<ServerDatabase>;
  const apiKeys = createApiKeyStore(db, undefined, { users: options.vector.users, ...(options.apiKeyCacheMs === undefined ? {} : { cacheMs: options.apiKeyCacheMs }) });
  const jwt = options.jwt ? createJwtAuthenticator(options.jwt, options.vector.users) : null;
  const builtIn = async (request: FastifyRequest): Promise<Principal | null> => {
    const token = bearerToken(request);
    if (!token) return null;
    return jwt && looksLikeJwt(token) ? jwt.authenticate(token) : apiKeys.verify(token);
  };
  const custom = options.authenticate;
  const authenticate = custom ? (request: FastifyRequest) => custom(request, { builtIn }) : builtIn;
  const streamTokens = createStreamTokens(db);
  const telemetry = options.telemetry ?? {};
  const streams = createSseHub({ heartbeatMs: options.sseHeartbeatMs ?? 15_000, ...(telemetry && telemetry.meterProvider ? { meterProvider: telemetry.meterProvider } : {}), metered: telemetry !== false });
  const context: ServerContext = {
    vector: options.vector,
    apiKeys,
    auditedApiKeys: createAuditedApiKeys(options.vector, apiKeys),
    invitations: createInvitationStore(db),
    streamTokens,
    identifyPerson: createPersonIdentifier({ authenticate, jwt }),
    streams,
    bootstrapToken: options.bootstrapToken,
    openSignup: options.openSignup ?? true,
    eventFeed: options.eventFeed,
    immutableResponses: createImmutableResponseCache(options.immutableResponseCacheBytes ?? 32 * 1024 * 1024),
  };
  let shuttingDown = false;

  app.addHook('onReady', async () => {
    await options.vector.migrate();
    await migrateServerTables({ db, dialect: options.vector.dialect });
  });
  app.addHook('preClose', async () => {
    shuttingDown = true;
    streams.closeAll();
  });

  // First, so every route's handler runs inside its request's span.
  if (telemetry !== false) void app.register(telemetryPlugin, telemetry);
  void app.register(errorsPlugin);
  void app.register(inputGuardPlugin, { bodyLimitBytes });
  void app.register(fastifyHelmet, { contentSecurityPolicy: false, global: true });
  const origins = options.corsOrigins ?? [];
  const exposedHeaders = ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];
  const apiCors = { origin: origins.includes('*') ? true : origins, exposedHeaders };
  // The runtime data API answers any origin's preflight; its routes then refuse every origin
  // but the token's deployment's own (see runtime-data-routes.ts).
  const dataCors = { origin: true, methods: ['GET', 'POST', 'PATCH', 'DELETE'], allowedHeaders: ['authorization', 'content-type'], maxAge: 600, exposedHeaders };
  void app.register(fastifyCors, { delegator: (request, callback) => callback(null, request.url.startsWith(`${RUNTIME_DATA_PREFIX}/`) ? dataCors : apiCors) });
  // Filled by the rate-limit plugin when it loads; the auth plugin runs it after authenticating.
  const limits: { perCaller: NonNullable<AuthPluginOptions['limits']>['perCaller'] } = { perCaller: null };
  if (options.rateLimit !== false) void app.register(rateLimitPlugin, { ...(options.rateLimit ?? { max: 600, windowMs: 60_000 }), limits });
  void app.register(openApiPlugin, { docs: options.docs ?? true, version: '1' });
  if (options.console ?? true) void app.register(consolePlugin, {});
  // `?access_token=` is a stream token, good for the job or deployment its route names.
  const verifyQueryToken = async (token: string, request: FastifyRequest) => {
    const params = request.params as Record<string, unknown> | undefined;
    if (typeof params?.jobId === 'string') return streamTokens.verify(token, { kind: 'job', id: params.jobId });
    if (typeof params?.deploymentId === 'string') return streamTokens.verify(token, { kind: 'deployment', id: params.deploymentId });
    return null;
  };
  void app.register(authPlugin, { authenticate, verifyQueryToken, limits });
  void app.register(healthRoutes, { context, isShuttingDown: () => shuttingDown });
  if (options.metrics) void app.register(metricsRoutes, options.metrics);
  for (const routes of [organizationsRoutes, invitationsRoutes, apiKeysRoutes, personalKeysRoutes, projectsRoutes, versionsRoutes, agentRoutes, deploymentsRoutes, dataRoutes, auditRoutes, usageRoutes, connectorsRoutes]) {
    void app.register(routes, { context });
  }
  void app.register(githubSyncRoutes, { context });
  // GitHub's push deliveries, signed with the webhook secret (no API key).
  if (options.githubWebhookSecret) void app.register(githubWebhookRoutes, { context, secret: options.githubWebhookSecret });
  // Vector as an MCP server, with the same API keys.
  void app.register(mcpRoutes, { context, version: '1' });
  // Deployed apps' own surface, with their data tokens (never API keys), CORS and rate limit.
  void app.register(runtimeDataRoutes, { context, rateLimit: options.dataRateLimit ?? { max: 1200, windowMs: 60_000 } });
  return app;
}
