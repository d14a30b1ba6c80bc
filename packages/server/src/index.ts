/**
 * `@vector/server`: the reference HTTP server for Vector, on Fastify.
 * @packageDocumentation
 */
export { buildServer, type BuildServerOptions } from './build-server.js';
export type { ConnectionLimits } from './plumbing/connection-limits.js';
export { loadConfig, defaultConnectionPools, defaultQueueSettings, type ServerConfig, type ConnectionPools, type QueueSettings } from './load-config.js';
export { createRuntime, type Runtime, type RuntimeLog, type CreateRuntimeOptions } from './runtime/create-runtime.js';
export type { ConnectionBudget, PoolBudget } from './runtime/check-connection-budget.js';
export { createPreviewGateway, type PreviewGatewayOptions, type PreviewSource, type PreviewUpstream } from './previews/create-preview-gateway.js';
export { combinePreviewSources } from './previews/combine-preview-sources.js';
export type { Authenticate, AuthenticateTools, Principal } from './auth/principal.js';
export { looksLikeJwt, type JwtIdentity, type JwtOptions } from './auth/jwt-authenticator.js';
export type { Invitation, InvitationStatus } from './auth/invitation-store.js';
export type { ApiKey, ApiKeyStore } from './auth/api-key-store.js';
export { createApiKeyStore, DEFAULT_API_KEY_CACHE_MS, type ApiKeyStoreOptions } from './auth/api-key-store.js';
export type { ServerDatabase } from './auth/server-migrations.js';
export type { ErrorBody } from './plumbing/error-response.js';
export type { RateLimitOptions } from './plumbing/rate-limits.js';
export type { LoggerOption } from './plumbing/logger-options.js';
export type { EventFeed } from './sse/event-feed.js';
export { traceMixin } from './plumbing/logger-options.js';
export type { ServerTelemetryOptions } from './plumbing/telemetry-plugin.js';
export { SERVER_METER_NAME } from './plumbing/server-meter-name.js';
export type { MetricsEndpointOptions, PrometheusHandler } from './plumbing/metrics-routes.js';
export type { RuntimeMetrics } from './runtime/create-runtime.js';
export { startTracing, type Tracing } from './runtime/start-tracing.js';
