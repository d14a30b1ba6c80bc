import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { type ModelPrice, modelPriceSchema, type StdioConnectorConfig, stdioConnectorSchema, ValidationError } from '@vector/core';
import { z } from 'zod';
import type { ConnectionLimits } from './plumbing/connection-limits.js';
import { parsePreviewAddress } from './previews/parse-preview-address.js';

const booleanish = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');
const list = z.string().transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item.length > 0));

/** PostgreSQL pool sizes per process when not configured: 10 + (4 + 1) + (2 + 1) = 18 connections in all. */
export const defaultConnectionPools: ConnectionPools = { engine: 10, queue: 4, events: 2 };

/** How a process takes jobs when not configured. */
export const defaultQueueSettings: QueueSettings = { concurrency: 8, batchSize: 1, pollIntervalMs: 2_000 };

/** Pool sizes of one process's PostgreSQL connections; see {@link ServerConfig.connectionPools}. */
export interface ConnectionPools {
  /** The engine's pool (`DATABASE_POOL_MAX`): metadata, storage, API keys, migrations. */
  engine: number;
  /** pg-boss's pool (`VECTOR_QUEUE_POOL_MAX`); processes that run jobs hold one LISTEN connection more. */
  queue: number;
  /** The event bridge's publisher pool (`VECTOR_EVENTS_POOL_MAX`); its LISTEN connection comes on top. */
  events: number;
}

/** How one process takes jobs; see {@link ServerConfig.queue}. */
export interface QueueSettings {
  /** Jobs run at once (`VECTOR_WORKER_CONCURRENCY`), on pg-boss or the in-process queue. */
  concurrency: number;
  /** Jobs one pg-boss fetch takes at most (`VECTOR_QUEUE_BATCH_SIZE`), up to `concurrency`. */
  batchSize: number;
  /** How often an idle pg-boss worker polls when nothing wakes it (`VECTOR_QUEUE_POLL_MS`, at least 500). */
  pollIntervalMs: number;
}

// Each key is the environment variable's own name, so a failure message names exactly what to fix.
const environmentSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL (leave unset for the embedded SQLite database)').optional(),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _').optional(),
  /** PostgreSQL pool sizes of this process: the engine's, pg-boss's and the event bridge's publisher (each LISTEN connection comes on top). */
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(defaultConnectionPools.engine),
  VECTOR_QUEUE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(defaultConnectionPools.queue),
  VECTOR_EVENTS_POOL_MAX: z.coerce.number().int().min(1).max(200).default(defaultConnectionPools.events),
  /** Jobs this process runs at once (pg-boss or the in-process queue). */
  VECTOR_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(defaultQueueSettings.concurrency),
  /** Jobs one pg-boss fetch takes at most (up to the concurrency). */
  VECTOR_QUEUE_BATCH_SIZE: z.coerce.number().int().min(1).max(64).default(defaultQueueSettings.batchSize),
  /** How often an idle pg-boss worker looks for jobs when no notification wakes it. */
  VECTOR_QUEUE_POLL_MS: z.coerce.number().int().min(500).max(3_600_000).default(defaultQueueSettings.pollIntervalMs),
  VECTOR_SQLITE_PATH: z.string().min(1).default('.vector/vector.db'),
  VECTOR_DATA_DIR: z.string().min(1).default('.vector'),
  VECTOR_ROLE: z.enum(['api', 'worker', 'all']).default('all'),
  VECTOR_STORAGE: z.enum(['internal', 'github']).default('internal'),
  GITHUB_TOKEN: z.string().min(1).optional(),
  GITHUB_OWNER: z.string().min(1).optional(),
  VECTOR_SOURCE_MIRROR: z.enum(['off', 'github']).default('off'),
  VECTOR_SOURCE_MIRROR_SCOPE: z.enum(['project', 'organization']).default('project'),
  GITHUB_MIRROR_OWNER: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'a GitHub organization or user name').optional(),
  RAILWAY_API_TOKEN: z.string().min(1).optional(),
  RENDER_API_KEY: z.string().min(1).optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  /** The OpenAI-compatible endpoint as the `openai` SDK's `baseURL`, with its version path: `https://api.openai.com/v1`, `http://localhost:11434/v1`. */
  OPENAI_BASE_URL: z.string().url('expected an http(s) URL').regex(/^https?:\/\//, 'expected an http(s) URL').optional(),
  /** Older alias of `OPENAI_BASE_URL`, still accepted. */
  VECTOR_MODEL_BASE_URL: z.string().url('expected an http(s) URL').regex(/^https?:\/\//, 'expected an http(s) URL').optional(),
  VECTOR_MODEL: z.string().min(1).optional(),
  /** Older alias of `VECTOR_MODEL` (the name `@vector/agent-codegen` read), still accepted. */
  VECTOR_AGENT_MODEL: z.string().min(1).optional(),
  /** JSON: `{ "<model>": { "input": 2.5, "cachedInput": 1.25, "output": 10 } }`, US dollars per million tokens, over core's defaults. */
  VECTOR_MODEL_PRICES: z
    .string()
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'expected JSON: {"<model>": {"input": <USD per 1M tokens>, "cachedInput"?: …, "output": …}}' });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string().min(1).max(200), modelPriceSchema.strict()))
    .optional(),
  /** The runtime data API's base URL given to deployments (`VECTOR_DATA_URL`); default `<VECTOR_PUBLIC_URL>/data/v1`, else this server's local address. */
  VECTOR_DATA_API_URL: z.string().url('expected an http(s) URL').optional(),
  /** The secret GitHub signs webhook deliveries with (`X-Hub-Signature-256`); enables `POST /v1/github/webhook`. */
  GITHUB_WEBHOOK_SECRET: z.string().min(16, 'use at least 16 characters').optional(),
  /** 32 bytes (64 hex digits or base64): encrypts stored secrets (MCP connectors' headers). */
  VECTOR_SECRETS_KEY: z.string().regex(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, 'expected 32 bytes as 64 hex digits or base64, e.g. `openssl rand -base64 32`').optional(),
  /** Comma-separated previous keys, kept during a rotation so what they sealed still opens. */
  VECTOR_SECRETS_PREVIOUS_KEYS: list.pipe(z.array(z.string().regex(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, 'expected 32-byte keys as 64 hex digits or base64'))).default([]),
  /** Comma-separated hosts, addresses and CIDR ranges MCP connectors may reach although private or loopback. */
  VECTOR_MCP_ALLOW_HOSTS: list.default([]),
  /** JSON array of the operator's stdio MCP servers: `[{"name":"files","command":"node","args":["server.js"],"env":{}}]`. */
  VECTOR_MCP_STDIO: z
    .string()
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'expected JSON: [{"name": "…", "command": "…", "args": ["…"]}]' });
        return z.NEVER;
      }
    })
    .pipe(z.array(stdioConnectorSchema))
    .optional(),
  /** How long one MCP tool call may take, in milliseconds. */
  VECTOR_MCP_CALL_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** The most one job's model calls may cost, in US dollars (callers may ask for less). */
  VECTOR_JOB_MAX_COST_USD: z.coerce.number().positive().max(1_000_000).optional(),
  CORS_ORIGINS: list.default([]),
  RATE_LIMIT_MAX: z.coerce.number().int().min(1).max(1_000_000).default(600),
  RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  RATE_LIMIT_MAX_PER_IP: z.coerce.number().int().min(1).max(10_000_000).optional(),
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d{1,2}|[0-9a-fA-F:.,/ ]+)$/, 'true, false, a hop count, or comma-separated proxy addresses/CIDRs')
    .transform((value): boolean | number | string[] => (value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value.split(',').map((item) => item.trim()).filter(Boolean)))
    .default(false),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(512 * 1024 * 1024).default(20 * 1024 * 1024),
  /** Longest a client may take to send a whole request, headers and body; 408 after. */
  VECTOR_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
  /** Longest a client may take to send the request headers (at most the request timeout); 408 after. */
  VECTOR_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(20_000),
  /** Open connections at most (SSE streams included); more are closed at once. */
  VECTOR_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  VECTOR_API_KEY_CACHE_MS: z.coerce.number().int().min(0).max(300_000).default(5_000),
  /** Built-in JWT verification: the identity provider's key set, and the `iss` and `aud` tokens must carry. */
  VECTOR_JWT_JWKS_URL: z.string().url('expected an http(s) URL').regex(/^https?:\/\//, 'expected an http(s) URL').optional(),
  VECTOR_JWT_ISSUER: z.string().min(1).optional(),
  /** Comma-separated when several are accepted. */
  VECTOR_JWT_AUDIENCE: list.pipe(z.array(z.string()).min(1, 'expected at least one audience')).optional(),
  /** The claims naming the Vector user, the organization and the role (defaults `sub`, `org_id`, `role`). */
  VECTOR_JWT_USER_CLAIM: z.string().min(1).max(100).optional(),
  VECTOR_JWT_ORGANIZATION_CLAIM: z.string().min(1).max(100).optional(),
  VECTOR_JWT_ROLE_CLAIM: z.string().min(1).max(100).optional(),
  VECTOR_BOOTSTRAP_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  VECTOR_PUBLIC_URL: z.string().url('expected an http(s) URL').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `pretty`: human-readable lines (pino-pretty); `json`: one JSON object a line; `auto`: pretty when stdout is a terminal. */
  LOG_FORMAT: z.enum(['auto', 'pretty', 'json']).default('auto'),
  VECTOR_DOCS: booleanish.default(true),
  VECTOR_CONSOLE: booleanish.default(true),
  /** Prometheus metrics: `/metrics` on the API port for scrapes bearing this token. */
  VECTOR_METRICS_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  /** Prometheus metrics on a listener of their own (no token), at `VECTOR_METRICS_HOST` (default 127.0.0.1). */
  VECTOR_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  VECTOR_METRICS_HOST: z.string().min(1).optional(),
  /** OpenTelemetry's own variables: traces are exported over OTLP/HTTP when an endpoint is set. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url('expected an http(s) URL').optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url('expected an http(s) URL').optional(),
  OTEL_TRACES_EXPORTER: z.string().optional(),
  OTEL_SDK_DISABLED: booleanish.optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  /** Milliseconds between two batch exports (OpenTelemetry's default 5000). */
  OTEL_BSP_SCHEDULE_DELAY: z.coerce.number().int().min(1).max(3_600_000).optional(),
  VECTOR_LOCAL_BUILDS: booleanish.default(true),
  VECTOR_DOCKER: booleanish.default(false),
  VECTOR_DOCKER_SOCKET: z.string().min(1).regex(/^(unix:\/\/)?\//, 'a unix socket path, e.g. /var/run/docker.sock').optional(),
  VECTOR_DOCKER_BASE_IMAGE: z.string().min(1).regex(/^\S+$/, 'an image reference without spaces').optional(),
  VECTOR_BUILDS_DIR: z.string().min(1).optional(),
  VECTOR_PREVIEW_PORT: z.coerce.number().int().min(0).max(65_535).default(3001),
  VECTOR_PREVIEW_HOST: z.string().min(1).optional(),
  VECTOR_PREVIEW_BASE_URL: z
    .string()
    .superRefine((value, context) => {
      try {
        parsePreviewAddress(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
      }
    })
    .optional(),
});

/** The server's configuration, read from the environment by {@link loadConfig}. */
export interface ServerConfig {
  port: number;
  host: string;
  /** `postgres://…` switches the metadata store to PostgreSQL and the queue to pg-boss. */
  databaseUrl: string | undefined;
  databaseSchema: string | undefined;
  /**
   * PostgreSQL connections each pool of this process may open. A process opens at most
   * `engine + queue + events + 2` (the queue's and the bridge's LISTEN connections; an api
   * process holds no queue listener). Undefined: {@link defaultConnectionPools}.
   */
  connectionPools?: ConnectionPools | undefined;
  /** How this process takes jobs off the queue. Undefined: {@link defaultQueueSettings}. */
  queue?: QueueSettings | undefined;
  sqlitePath: string;
  dataDir: string;
  /** Which work this process takes: HTTP (`api`), jobs (`worker`) or both (`all`). */
  role: 'api' | 'worker' | 'all';
  storage: 'internal' | 'github';
  github: { token: string; owner: string } | undefined;
  /**
   * Publishes versions of internal storage as commits of private GitHub repositories under
   * `owner`, so Railway and Render (which build git commits only) can deploy them
   * (`VECTOR_SOURCE_MIRROR=github`; off by default). `scope`: a repository per project or per
   * organization.
   */
  sourceMirror?: { type: 'github'; token: string; owner: string; scope: 'project' | 'organization' } | undefined;
  railwayApiToken: string | undefined;
  renderApiKey: string | undefined;
  /**
   * The codegen agent's endpoint, set when `OPENAI_API_KEY` is: the key, the base URL
   * (`OPENAI_BASE_URL`, alias `VECTOR_MODEL_BASE_URL`; undefined: OpenAI's) and the model
   * (`VECTOR_MODEL`, alias `VECTOR_AGENT_MODEL`; undefined: the agent's default). Undefined:
   * the scripted demo agent.
   */
  model: { apiKey: string | undefined; baseURL: string | undefined; model: string | undefined } | undefined;
  /** Model prices over core's `defaultModelPrices` (`VECTOR_MODEL_PRICES`, JSON): what each model call costs. */
  modelPrices: Record<string, ModelPrice>;
  /**
   * The runtime data API's base URL handed to deployments as `VECTOR_DATA_URL`
   * (`VECTOR_DATA_API_URL`, else `<VECTOR_PUBLIC_URL>/data/v1`); undefined: the CLI uses
   * `http://127.0.0.1:<its port>/data/v1` once it listens.
   */
  dataApiUrl: string | undefined;
  /** The engine's money ceiling per job in US dollars (`VECTOR_JOB_MAX_COST_USD`); undefined: none. */
  jobMaxCostUsd: number | undefined;
  /** The GitHub webhook's secret (`GITHUB_WEBHOOK_SECRET`); undefined: no webhook route. */
  githubWebhookSecret: string | undefined;
  /** Keys of stored secrets, current first (`VECTOR_SECRETS_KEY`, then `VECTOR_SECRETS_PREVIOUS_KEYS`); empty: connectors cannot store headers. */
  encryptionKeys: string[];
  /** MCP connectors: private hosts they may reach (`VECTOR_MCP_ALLOW_HOSTS`), the operator's stdio servers (`VECTOR_MCP_STDIO`), the per-call timeout. */
  connectors: { allowPrivateHosts: string[]; stdio: StdioConnectorConfig[]; callTimeoutMs: number };
  corsOrigins: string[];
  /** Per caller (verified key, else IP) `max`, and per client IP `maxPerIp` (default 10 × max). */
  rateLimit: { max: number; windowMs: number; maxPerIp?: number };
  /** Fastify's `trustProxy`: whose `X-Forwarded-For` to believe for the client IP. */
  trustProxy: boolean | number | string[];
  bodyLimitBytes: number;
  /**
   * Request and header timeouts and the connection cap (`VECTOR_REQUEST_TIMEOUT_MS`,
   * `VECTOR_HEADERS_TIMEOUT_MS`, `VECTOR_MAX_CONNECTIONS`); see `buildServer({ connectionLimits })`.
   */
  connectionLimits?: ConnectionLimits | undefined;
  /** How long a verified API key is trusted from memory (`VECTOR_API_KEY_CACHE_MS`); 0 checks the database on every request. */
  apiKeyCacheMs: number;
  /**
   * Built-in JWT verification (`VECTOR_JWT_JWKS_URL`, `VECTOR_JWT_ISSUER`, `VECTOR_JWT_AUDIENCE`,
   * all three or none; the claim names from `VECTOR_JWT_*_CLAIM`); undefined: off.
   */
  jwt?: { jwksUrl: string; issuer: string; audience: string[]; claims: { userId?: string; organizationId?: string; role?: string } } | undefined;
  bootstrapToken: string | undefined;
  publicUrl: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** How the CLI writes logs (`LOG_FORMAT`): `pretty` (pino-pretty), `json` (a JSON object a line), or `auto`: pretty when stdout is a terminal. */
  logFormat?: 'auto' | 'pretty' | 'json' | undefined;
  docs: boolean;
  /** Serve the web console at `/console` (`VECTOR_CONSOLE`, default true). */
  console: boolean;
  /**
   * Prometheus metrics (the engine's and the server's): `token` (`VECTOR_METRICS_TOKEN`) serves
   * `/metrics` on the API port to scrapes bearing it; `port` (`VECTOR_METRICS_PORT`, with
   * `VECTOR_METRICS_HOST`, default 127.0.0.1) serves them on a listener of their own. Undefined:
   * no metrics, and `/metrics` answers 404.
   */
  metrics?: { token: string | undefined; port: number | undefined; host: string } | undefined;
  /**
   * Trace export over OTLP/HTTP, on when `OTEL_EXPORTER_OTLP_ENDPOINT` or
   * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (unless `OTEL_TRACES_EXPORTER=none` or
   * `OTEL_SDK_DISABLED=true`); the exporter reads the other `OTEL_EXPORTER_OTLP_*` variables itself,
   * and `OTEL_BSP_SCHEDULE_DELAY` sets the time between batches.
   */
  tracing?: { serviceName: string; exportDelayMs?: number } | undefined;
  /**
   * Build and run deployments on this machine (`@vector/provider-local`, the default provider
   * unless Railway or Render is configured) and check agent output with the same build.
   * Needs `role: 'all'`. When false, previews use core's in-memory `static` provider.
   */
  localBuilds: boolean;
  /**
   * Deploy in containers through a Docker daemon (`@vector/provider-docker`, `VECTOR_DOCKER=true`):
   * then the default provider unless Railway or Render is configured. Its previews are served
   * by the same gateway. Needs `role: 'all'`.
   */
  docker?: { socketPath: string | undefined; baseImage: string | undefined } | undefined;
  /**
   * Root of the local builds: `deployments/` (each deployment's files, dependencies, output)
   * and `cache/` (the shared dependency cache). Outside any Node project. Default
   * `~/.cache/vector/servers/<hash of the data directory's absolute path>`, so two servers
   * never share deployments.
   */
  buildsDir: string;
  /** The preview gateway's listener (0 = any free port). */
  previewPort: number;
  previewHost: string;
  /**
   * A preview's public URL, `{id}` standing for the provider deployment id. Default
   * `http://{id}.preview.localhost:<previewPort>/`; undefined when `previewPort` is 0 and no
   * template was given (the CLI fills in the port it listens on).
   */
  previewBaseUrl: string | undefined;
}

/**
 * Reads and validates the server configuration from environment variables. Every problem is
 * reported at once, each naming its variable, e.g.
 * `Invalid environment: PORT: expected number`. Secrets are never echoed back, and the
 * returned object's JSON, string and `util.inspect` forms replace every secret (tokens, API
 * keys, the database password) with `[redacted]`.
 *
 * @throws ValidationError when a variable is malformed or a required pair is incomplete.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = environmentSchema.safeParse(present);
  const issues = result.success ? [] : result.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message }));
  // Rules across variables look at the raw values, so they are reported beside malformed ones.
  if (present.VECTOR_STORAGE === 'github' && (!present.GITHUB_TOKEN || !present.GITHUB_OWNER)) {
    issues.push({ path: [present.GITHUB_TOKEN ? 'GITHUB_OWNER' : 'GITHUB_TOKEN'], message: 'required when VECTOR_STORAGE=github' });
  }
  issues.push(...sourceMirrorIssues(present, issues));
  issues.push(...jwtIssues(present));
  issues.push(...modelIssues(present));
  if ((present.VECTOR_ROLE === 'api' || present.VECTOR_ROLE === 'worker') && !present.DATABASE_URL) {
    issues.push({ path: ['VECTOR_ROLE'], message: `running as "${present.VECTOR_ROLE}" alone needs a shared PostgreSQL DATABASE_URL` });
  }
  const localBuilds = present.VECTOR_LOCAL_BUILDS !== 'false' && present.VECTOR_LOCAL_BUILDS !== '0';
  if (localBuilds && (present.VECTOR_ROLE === 'api' || present.VECTOR_ROLE === 'worker')) {
    issues.push({
      path: ['VECTOR_ROLE'],
      message:
        `local builds (VECTOR_LOCAL_BUILDS, on by default) need VECTOR_ROLE=all: a local deployment is built and served by the process that deploys it (an api process) while the worker processes poll it. ` +
        'To run separate api and worker processes, set VECTOR_LOCAL_BUILDS=false and deploy to a hosted provider (RAILWAY_API_TOKEN or RENDER_API_KEY)',
    });
  }
  issues.push(...queueIssues(present, result.success ? result.data : undefined));
  const docker = present.VECTOR_DOCKER === 'true' || present.VECTOR_DOCKER === '1';
  if (docker && (present.VECTOR_ROLE === 'api' || present.VECTOR_ROLE === 'worker')) {
    issues.push({ path: ['VECTOR_ROLE'], message: 'the Docker provider (VECTOR_DOCKER) needs VECTOR_ROLE=all: its deployments are watched by the process that runs them' });
  }
  for (const variable of ['VECTOR_DOCKER_SOCKET', 'VECTOR_DOCKER_BASE_IMAGE']) {
    if (!docker && present[variable] !== undefined) issues.push({ path: [variable], message: 'only used by the Docker provider: set VECTOR_DOCKER=true to turn it on' });
  }
  if ((localBuilds || docker) && result.success && result.data.PORT !== 0 && result.data.PORT === result.data.VECTOR_PREVIEW_PORT) {
    issues.push({ path: ['VECTOR_PREVIEW_PORT'], message: `the preview gateway needs a port of its own (PORT is ${result.data.PORT} too)` });
  }
  if (result.success && result.data.VECTOR_HEADERS_TIMEOUT_MS > result.data.VECTOR_REQUEST_TIMEOUT_MS) {
    issues.push({ path: ['VECTOR_HEADERS_TIMEOUT_MS'], message: `at most VECTOR_REQUEST_TIMEOUT_MS (${result.data.VECTOR_REQUEST_TIMEOUT_MS}): the headers are part of the request` });
  }
  if (present.VECTOR_METRICS_HOST !== undefined && present.VECTOR_METRICS_PORT === undefined) {
    issues.push({ path: ['VECTOR_METRICS_HOST'], message: 'only used with VECTOR_METRICS_PORT (the metrics listener of its own)' });
  }
  if (result.success && result.data.VECTOR_METRICS_PORT !== undefined && result.data.VECTOR_METRICS_PORT !== 0 && result.data.VECTOR_METRICS_PORT === result.data.PORT) {
    issues.push({ path: ['VECTOR_METRICS_PORT'], message: `the metrics listener needs a port of its own (PORT is ${result.data.PORT} too); for /metrics on the API port set VECTOR_METRICS_TOKEN instead` });
  }
  if (!result.success || issues.length > 0) {
    const summary = issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ValidationError({ message: `Invalid environment: ${summary}`, issues });
  }
  const value = result.data;
  return withRedactedForms({
    port: value.PORT,
    host: value.HOST,
    databaseUrl: value.DATABASE_URL,
    databaseSchema: value.DATABASE_SCHEMA,
    connectionPools: { engine: value.DATABASE_POOL_MAX, queue: value.VECTOR_QUEUE_POOL_MAX, events: value.VECTOR_EVENTS_POOL_MAX },
    queue: { concurrency: value.VECTOR_WORKER_CONCURRENCY, batchSize: value.VECTOR_QUEUE_BATCH_SIZE, pollIntervalMs: value.VECTOR_QUEUE_POLL_MS },
    sqlitePath: value.VECTOR_SQLITE_PATH,
    dataDir: value.VECTOR_DATA_DIR,
    role: value.VECTOR_ROLE,
    storage: value.VECTOR_STORAGE,
    github: value.GITHUB_TOKEN && value.GITHUB_OWNER ? { token: value.GITHUB_TOKEN, owner: value.GITHUB_OWNER } : undefined,
    sourceMirror: sourceMirrorOf(value),
    railwayApiToken: value.RAILWAY_API_TOKEN,
    renderApiKey: value.RENDER_API_KEY,
    model: value.OPENAI_API_KEY ? { apiKey: value.OPENAI_API_KEY, baseURL: value.OPENAI_BASE_URL ?? value.VECTOR_MODEL_BASE_URL, model: value.VECTOR_MODEL ?? value.VECTOR_AGENT_MODEL } : undefined,
    logFormat: value.LOG_FORMAT,
    modelPrices: value.VECTOR_MODEL_PRICES ?? {},
    jobMaxCostUsd: value.VECTOR_JOB_MAX_COST_USD,
    githubWebhookSecret: value.GITHUB_WEBHOOK_SECRET,
    encryptionKeys: value.VECTOR_SECRETS_KEY ? [value.VECTOR_SECRETS_KEY, ...value.VECTOR_SECRETS_PREVIOUS_KEYS] : [],
    connectors: { allowPrivateHosts: value.VECTOR_MCP_ALLOW_HOSTS, stdio: value.VECTOR_MCP_STDIO ?? [], callTimeoutMs: value.VECTOR_MCP_CALL_TIMEOUT_MS },
    dataApiUrl: value.VECTOR_DATA_API_URL ?? (value.VECTOR_PUBLIC_URL ? `${value.VECTOR_PUBLIC_URL.replace(/\/+$/, '')}/data/v1` : undefined),
    corsOrigins: value.CORS_ORIGINS,
    rateLimit: { max: value.RATE_LIMIT_MAX, windowMs: value.RATE_LIMIT_WINDOW_MS, ...(value.RATE_LIMIT_MAX_PER_IP ? { maxPerIp: value.RATE_LIMIT_MAX_PER_IP } : {}) },
    trustProxy: value.TRUST_PROXY,
    bodyLimitBytes: value.BODY_LIMIT_BYTES,
    connectionLimits: { requestTimeoutMs: value.VECTOR_REQUEST_TIMEOUT_MS, headersTimeoutMs: value.VECTOR_HEADERS_TIMEOUT_MS, maxConnections: value.VECTOR_MAX_CONNECTIONS },
    apiKeyCacheMs: value.VECTOR_API_KEY_CACHE_MS,
    jwt: jwtOf(value),
    bootstrapToken: value.VECTOR_BOOTSTRAP_TOKEN,
    publicUrl: value.VECTOR_PUBLIC_URL,
    logLevel: value.LOG_LEVEL,
    docs: value.VECTOR_DOCS,
    console: value.VECTOR_CONSOLE,
    metrics:
      value.VECTOR_METRICS_TOKEN !== undefined || value.VECTOR_METRICS_PORT !== undefined
        ? { token: value.VECTOR_METRICS_TOKEN, port: value.VECTOR_METRICS_PORT, host: value.VECTOR_METRICS_HOST ?? '127.0.0.1' }
        : undefined,
    tracing:
      (value.OTEL_EXPORTER_OTLP_ENDPOINT || value.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) && value.OTEL_SDK_DISABLED !== true && value.OTEL_TRACES_EXPORTER !== 'none'
        ? { serviceName: value.OTEL_SERVICE_NAME ?? 'vector-server', ...(value.OTEL_BSP_SCHEDULE_DELAY ? { exportDelayMs: value.OTEL_BSP_SCHEDULE_DELAY } : {}) }
        : undefined,
    localBuilds: value.VECTOR_LOCAL_BUILDS,
    docker: value.VECTOR_DOCKER ? { socketPath: value.VECTOR_DOCKER_SOCKET?.replace(/^unix:\/\//, ''), baseImage: value.VECTOR_DOCKER_BASE_IMAGE } : undefined,
    buildsDir: resolve(value.VECTOR_BUILDS_DIR ?? defaultBuildsDir(value.VECTOR_DATA_DIR)),
    previewPort: value.VECTOR_PREVIEW_PORT,
    previewHost: value.VECTOR_PREVIEW_HOST ?? value.HOST,
    previewBaseUrl: value.VECTOR_PREVIEW_BASE_URL ?? (value.VECTOR_PREVIEW_PORT === 0 ? undefined : `http://{id}.preview.localhost:${value.VECTOR_PREVIEW_PORT}/`),
  });
}

/**
 * The source mirror is opt-in: it copies every deployed version's code into GitHub
 * repositories it creates, which an operator decides, never ambient credentials (GitHub
 * Actions sets `GITHUB_TOKEN` in every job). It needs a token and an owner; its own
 * variables without it are reported, since whoever set them expects a mirror.
 */
function sourceMirrorIssues(present: Record<string, string | undefined>, earlier: ReadonlyArray<{ path: string[] }>): Array<{ path: string[]; message: string }> {
  const issues: Array<{ path: string[]; message: string }> = [];
  if (present.VECTOR_SOURCE_MIRROR !== 'github') {
    for (const variable of ['VECTOR_SOURCE_MIRROR_SCOPE', 'GITHUB_MIRROR_OWNER']) {
      if (present[variable] !== undefined) issues.push({ path: [variable], message: 'only used by the source mirror: set VECTOR_SOURCE_MIRROR=github to turn it on' });
    }
    return issues;
  }
  // Already reported for GitHub storage: once is enough.
  if (!present.GITHUB_TOKEN && !earlier.some((issue) => issue.path[0] === 'GITHUB_TOKEN')) issues.push({ path: ['GITHUB_TOKEN'], message: 'required when VECTOR_SOURCE_MIRROR=github (a token that can create repositories under the mirror owner)' });
  if (!present.GITHUB_MIRROR_OWNER && !present.GITHUB_OWNER) {
    issues.push({ path: ['GITHUB_MIRROR_OWNER'], message: 'required when VECTOR_SOURCE_MIRROR=github (the GitHub organization that owns the mirror repositories; GITHUB_OWNER is used when unset)' });
  }
  return issues;
}

const postgresOnlyVariables = ['DATABASE_POOL_MAX', 'VECTOR_QUEUE_POOL_MAX', 'VECTOR_EVENTS_POOL_MAX', 'VECTOR_QUEUE_BATCH_SIZE', 'VECTOR_QUEUE_POLL_MS'] as const;

/** Pool and pg-boss settings need PostgreSQL; a batch never holds more jobs than run at once. */
function queueIssues(present: Record<string, string | undefined>, value: z.output<typeof environmentSchema> | undefined): Array<{ path: string[]; message: string }> {
  const issues: Array<{ path: string[]; message: string }> = [];
  if (!present.DATABASE_URL) {
    for (const variable of postgresOnlyVariables) {
      if (present[variable] !== undefined) issues.push({ path: [variable], message: 'only used with PostgreSQL: set DATABASE_URL (the embedded SQLite database has no pools and no pg-boss queue)' });
    }
  }
  if (value && value.VECTOR_QUEUE_BATCH_SIZE > value.VECTOR_WORKER_CONCURRENCY) {
    issues.push({ path: ['VECTOR_QUEUE_BATCH_SIZE'], message: `at most VECTOR_WORKER_CONCURRENCY (${value.VECTOR_WORKER_CONCURRENCY}): a batch's jobs run at once` });
  }
  return issues;
}

/** Each model setting's name, and the older alias still accepted for it. */
const modelAliases = [
  ['OPENAI_BASE_URL', 'VECTOR_MODEL_BASE_URL'],
  ['VECTOR_MODEL', 'VECTOR_AGENT_MODEL'],
] as const;

/**
 * A setting and its older alias may both be set only to the same value (neither can be
 * assumed meant), and a base URL needs the key that is sent to it.
 */
function modelIssues(present: Record<string, string | undefined>): Array<{ path: string[]; message: string }> {
  const issues: Array<{ path: string[]; message: string }> = [];
  const same = (name: string, a: string, b: string) => (name === 'OPENAI_BASE_URL' ? a.replace(/\/+$/, '') === b.replace(/\/+$/, '') : a === b);
  for (const [name, alias] of modelAliases) {
    const value = present[name];
    const older = present[alias];
    if (value !== undefined && older !== undefined && !same(name, value, older)) {
      issues.push({ path: [alias], message: `an older alias of ${name}, set to a different value: set only ${name}` });
    }
  }
  const baseUrlVariable = present.OPENAI_BASE_URL !== undefined ? 'OPENAI_BASE_URL' : present.VECTOR_MODEL_BASE_URL !== undefined ? 'VECTOR_MODEL_BASE_URL' : undefined;
  if (baseUrlVariable && present.OPENAI_API_KEY === undefined) {
    issues.push({ path: ['OPENAI_API_KEY'], message: `required with ${baseUrlVariable}, the key sent to that endpoint (servers that need none, such as Ollama, accept any non-empty value)` });
  }
  return issues;
}

const jwtVariables = ['VECTOR_JWT_JWKS_URL', 'VECTOR_JWT_ISSUER', 'VECTOR_JWT_AUDIENCE'] as const;
const jwtClaimVariables = ['VECTOR_JWT_USER_CLAIM', 'VECTOR_JWT_ORGANIZATION_CLAIM', 'VECTOR_JWT_ROLE_CLAIM'] as const;

/** JWT verification needs its key set, issuer and audience together; claim names alone configure nothing. */
function jwtIssues(present: Record<string, string | undefined>): Array<{ path: string[]; message: string }> {
  const given = jwtVariables.filter((variable) => present[variable] !== undefined);
  if (given.length === 0) {
    return jwtClaimVariables.filter((variable) => present[variable] !== undefined).map((variable) => ({ path: [variable], message: 'only used by JWT verification: set VECTOR_JWT_JWKS_URL, VECTOR_JWT_ISSUER and VECTOR_JWT_AUDIENCE' }));
  }
  return jwtVariables.filter((variable) => present[variable] === undefined).map((variable) => ({ path: [variable], message: `required with ${given.join(', ')} (JWT verification needs the key set, the issuer and the audience)` }));
}

function jwtOf(value: z.output<typeof environmentSchema>): ServerConfig['jwt'] {
  if (!value.VECTOR_JWT_JWKS_URL || !value.VECTOR_JWT_ISSUER || !value.VECTOR_JWT_AUDIENCE) return undefined;
  const claims = {
    ...(value.VECTOR_JWT_USER_CLAIM ? { userId: value.VECTOR_JWT_USER_CLAIM } : {}),
    ...(value.VECTOR_JWT_ORGANIZATION_CLAIM ? { organizationId: value.VECTOR_JWT_ORGANIZATION_CLAIM } : {}),
    ...(value.VECTOR_JWT_ROLE_CLAIM ? { role: value.VECTOR_JWT_ROLE_CLAIM } : {}),
  };
  return { jwksUrl: value.VECTOR_JWT_JWKS_URL, issuer: value.VECTOR_JWT_ISSUER, audience: value.VECTOR_JWT_AUDIENCE, claims };
}

function sourceMirrorOf(value: z.output<typeof environmentSchema>): ServerConfig['sourceMirror'] {
  const owner = value.GITHUB_MIRROR_OWNER ?? value.GITHUB_OWNER;
  if (value.VECTOR_SOURCE_MIRROR !== 'github' || !value.GITHUB_TOKEN || !owner) return undefined;
  return { type: 'github', token: value.GITHUB_TOKEN, owner, scope: value.VECTOR_SOURCE_MIRROR_SCOPE };
}

/**
 * `~/.cache/vector/servers/<hash>`: under the user's cache (outside any Node project, which
 * the local provider requires) and named after the data directory, so two servers started
 * from different directories keep their deployments apart.
 */
function defaultBuildsDir(dataDir: string): string {
  const hash = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16);
  return join(homedir(), '.cache', 'vector', 'servers', hash);
}

const hidden = '[redacted]';

/** The configuration with every secret replaced, safe to log or print. */
function redacted(config: ServerConfig): Record<string, unknown> {
  const databaseUrl = config.databaseUrl ? withoutPassword(config.databaseUrl) : undefined;
  const secret = (present: unknown) => (present ? hidden : undefined);
  return {
    ...config,
    databaseUrl,
    github: config.github ? { owner: config.github.owner, token: hidden } : undefined,
    sourceMirror: config.sourceMirror ? { ...config.sourceMirror, token: hidden } : undefined,
    railwayApiToken: secret(config.railwayApiToken),
    renderApiKey: secret(config.renderApiKey),
    model: config.model ? { ...config.model, apiKey: secret(config.model.apiKey), baseURL: config.model.baseURL ? withoutPassword(config.model.baseURL) : undefined } : undefined,
    bootstrapToken: secret(config.bootstrapToken),
    encryptionKeys: config.encryptionKeys.map(() => hidden),
    githubWebhookSecret: secret(config.githubWebhookSecret),
    metrics: config.metrics ? { ...config.metrics, token: secret(config.metrics.token) } : undefined,
    // A stdio server's environment may carry its own credentials.
    connectors: { ...config.connectors, stdio: config.connectors.stdio.map((entry) => ({ ...entry, env: Object.fromEntries(Object.keys(entry.env ?? {}).map((name) => [name, hidden])) })) },
  };
}

/** A URL with its password (in the user info or a `password` query parameter) replaced. */
function withoutPassword(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = hidden;
    // Passwords can also travel as a query parameter.
    if (url.searchParams.has('password')) url.searchParams.set('password', hidden);
    return url.toString();
  } catch {
    return hidden;
  }
}

// `JSON.stringify`, `String()` and `console.log`/`util.inspect` all see the redacted form, so
// logging the configuration by mistake leaks nothing; the fields themselves stay readable.
function withRedactedForms(config: ServerConfig): ServerConfig {
  Object.defineProperties(config, {
    toJSON: { value: () => redacted(config), enumerable: false },
    toString: { value: () => JSON.stringify(redacted(config)), enumerable: false },
    [Symbol.for('nodejs.util.inspect.custom')]: { value: () => redacted(config), enumerable: false },
  });
  return config;
}
