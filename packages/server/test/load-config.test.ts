import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { ValidationError } from '@vector/core';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/index.js';

function failure(env: Record<string, string>): ValidationError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('has working defaults for an empty environment (embedded mode)', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      sqlitePath: '.vector/vector.db',
      role: 'all',
      storage: 'internal',
      github: undefined,
      sourceMirror: undefined,
      model: undefined,
      corsOrigins: [],
      rateLimit: { max: 600, windowMs: 60_000 },
      bodyLimitBytes: 20 * 1024 * 1024,
      bootstrapToken: undefined,
      logLevel: 'info',
      docs: true,
    });
  });

  it('treats empty variables as unset and parses lists, numbers and booleans', () => {
    const config = loadConfig({ PORT: '8080', DATABASE_URL: '', CORS_ORIGINS: 'https://a.test, https://b.test,', VECTOR_DOCS: '0', RATE_LIMIT_MAX: '5' });
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.corsOrigins).toEqual(['https://a.test', 'https://b.test']);
    expect(config.docs).toBe(false);
    expect(config.rateLimit.max).toBe(5);
  });

  it('reads the per-IP rate limit and the proxy trust', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({}).rateLimit.maxPerIp).toBeUndefined();
    expect(loadConfig({ RATE_LIMIT_MAX_PER_IP: '50', TRUST_PROXY: 'true' })).toMatchObject({ rateLimit: { max: 600, maxPerIp: 50 }, trustProxy: true });
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(() => loadConfig({ TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ RATE_LIMIT_MAX_PER_IP: '0' })).toThrow(/RATE_LIMIT_MAX_PER_IP/);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://db'],
    ['DATABASE_SCHEMA', 'Bad-Schema'],
    ['VECTOR_ROLE', 'cook'],
    ['VECTOR_STORAGE', 's3'],
    ['VECTOR_MODEL_BASE_URL', 'not a url'],
    ['OPENAI_BASE_URL', 'not a url'],
    ['RATE_LIMIT_MAX', '0'],
    ['RATE_LIMIT_WINDOW_MS', '10'],
    ['BODY_LIMIT_BYTES', '12'],
    ['VECTOR_BOOTSTRAP_TOKEN', 'short'],
    ['VECTOR_PUBLIC_URL', 'nope'],
    ['LOG_LEVEL', 'loud'],
    ['VECTOR_DOCS', 'maybe'],
    ['VECTOR_LOCAL_BUILDS', 'yes'],
    ['VECTOR_PREVIEW_PORT', '-1'],
    ['VECTOR_PREVIEW_PORT', 'preview'],
    ['VECTOR_PREVIEW_BASE_URL', 'http://preview.localhost:3001/'],
    ['VECTOR_PREVIEW_BASE_URL', 'http://{id}.{id}.localhost/'],
    ['VECTOR_PREVIEW_BASE_URL', 'http://localhost:3001/{id}/'],
    ['VECTOR_PREVIEW_BASE_URL', 'http://{id}.preview.localhost/app/'],
    ['VECTOR_PREVIEW_BASE_URL', 'ftp://{id}.preview.localhost/'],
    ['VECTOR_PREVIEW_BASE_URL', '{id}.preview.localhost'],
    ['VECTOR_SOURCE_MIRROR', 'gitlab'],
    ['VECTOR_REQUEST_TIMEOUT_MS', '10'],
    ['VECTOR_HEADERS_TIMEOUT_MS', 'soon'],
    ['VECTOR_MAX_CONNECTIONS', '0'],
    ['VECTOR_METRICS_TOKEN', 'short'],
    ['VECTOR_METRICS_PORT', '-2'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector'],
  ])('names %s in the message when it is invalid (%s)', (variable, value) => {
    const error = failure({ [variable]: value });
    expect(error.message).toMatch(new RegExp(`^Invalid environment: .*\\b${variable}: `));
    expect(error.issues?.map((issue) => issue.path[0])).toContain(variable);
  });

  it('reads the connection limits, metrics and trace export settings, naming what does not fit', () => {
    expect(loadConfig({}).connectionLimits).toEqual({ requestTimeoutMs: 60_000, headersTimeoutMs: 20_000, maxConnections: 10_000 });
    expect(loadConfig({ VECTOR_REQUEST_TIMEOUT_MS: '5000', VECTOR_HEADERS_TIMEOUT_MS: '2000', VECTOR_MAX_CONNECTIONS: '50' }).connectionLimits).toEqual({ requestTimeoutMs: 5_000, headersTimeoutMs: 2_000, maxConnections: 50 });
    expect(failure({ VECTOR_REQUEST_TIMEOUT_MS: '5000', VECTOR_HEADERS_TIMEOUT_MS: '6000' }).issues.map((issue) => issue.path[0])).toEqual(['VECTOR_HEADERS_TIMEOUT_MS']);
    expect(loadConfig({}).metrics).toBeUndefined();
    expect(loadConfig({ VECTOR_METRICS_TOKEN: 'a-metrics-token-1234' }).metrics).toEqual({ token: 'a-metrics-token-1234', port: undefined, host: '127.0.0.1' });
    expect(loadConfig({ VECTOR_METRICS_PORT: '9464', VECTOR_METRICS_HOST: '0.0.0.0' }).metrics).toEqual({ token: undefined, port: 9464, host: '0.0.0.0' });
    expect(failure({ VECTOR_METRICS_HOST: '0.0.0.0' }).issues.map((issue) => issue.path[0])).toEqual(['VECTOR_METRICS_HOST']);
    expect(failure({ PORT: '4000', VECTOR_METRICS_PORT: '4000' }).issues.map((issue) => issue.path[0])).toEqual(['VECTOR_METRICS_PORT']);
    // The token is a secret: never in the printed configuration.
    expect(JSON.stringify(loadConfig({ VECTOR_METRICS_TOKEN: 'a-metrics-token-1234' }))).not.toContain('a-metrics-token-1234');
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SERVICE_NAME: 'api-1', OTEL_BSP_SCHEDULE_DELAY: '200' }).tracing).toEqual({ serviceName: 'api-1', exportDelayMs: 200 });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }).tracing).toEqual({ serviceName: 'vector-server' });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined();
  });

  it('reads model prices (JSON) and the money ceiling per job, naming what is wrong', () => {
    expect(loadConfig({})).toMatchObject({ modelPrices: {}, jobMaxCostUsd: undefined });
    const config = loadConfig({ VECTOR_MODEL_PRICES: '{"house-model": {"input": 0.5, "cachedInput": 0.05, "output": 1.5}}', VECTOR_JOB_MAX_COST_USD: '2.5' });
    expect(config).toMatchObject({ modelPrices: { 'house-model': { input: 0.5, cachedInput: 0.05, output: 1.5 } }, jobMaxCostUsd: 2.5 });
    expect(failure({ VECTOR_MODEL_PRICES: 'not json' }).issues.map((issue) => issue.path.join('.'))).toContain('VECTOR_MODEL_PRICES');
    expect(failure({ VECTOR_MODEL_PRICES: '{"m": {"input": -1, "output": 1}}' }).message).toMatch(/VECTOR_MODEL_PRICES/);
    expect(failure({ VECTOR_MODEL_PRICES: '{"m": {"input": 1, "output": 1, "typo": 2}}' }).message).toMatch(/VECTOR_MODEL_PRICES/);
    expect(failure({ VECTOR_JOB_MAX_COST_USD: '0' }).message).toMatch(/VECTOR_JOB_MAX_COST_USD/);
  });

  describe('model settings', () => {
    it('uses the scripted demo agent without OPENAI_API_KEY, and OpenAI with the default model with only the key', () => {
      expect(loadConfig({}).model).toBeUndefined();
      expect(loadConfig({ VECTOR_MODEL: 'gpt-4.1' }).model).toBeUndefined();
      expect(loadConfig({ OPENAI_API_KEY: 'sk-1' }).model).toEqual({ apiKey: 'sk-1', baseURL: undefined, model: undefined });
    });

    it('reads OPENAI_BASE_URL and VECTOR_MODEL, the names the OpenAI SDK and the codegen agent read', () => {
      const config = loadConfig({ OPENAI_API_KEY: 'sk-1', OPENAI_BASE_URL: 'http://localhost:11434/v1', VECTOR_MODEL: 'qwen3-coder' });
      expect(config.model).toEqual({ apiKey: 'sk-1', baseURL: 'http://localhost:11434/v1', model: 'qwen3-coder' });
    });

    it('still accepts the older names VECTOR_MODEL_BASE_URL and VECTOR_AGENT_MODEL, alone or agreeing', () => {
      expect(loadConfig({ OPENAI_API_KEY: 'sk-1', VECTOR_MODEL_BASE_URL: 'https://openrouter.ai/api/v1', VECTOR_AGENT_MODEL: 'old-name' }).model).toEqual({
        apiKey: 'sk-1',
        baseURL: 'https://openrouter.ai/api/v1',
        model: 'old-name',
      });
      const both = loadConfig({ OPENAI_API_KEY: 'sk-1', OPENAI_BASE_URL: 'https://openrouter.ai/api/v1/', VECTOR_MODEL_BASE_URL: 'https://openrouter.ai/api/v1', VECTOR_MODEL: 'm', VECTOR_AGENT_MODEL: 'm' });
      expect(both.model).toEqual({ apiKey: 'sk-1', baseURL: 'https://openrouter.ai/api/v1/', model: 'm' });
    });

    it('refuses a name and its older alias set to different values, naming both', () => {
      const error = failure({ OPENAI_API_KEY: 'sk-1', OPENAI_BASE_URL: 'https://a.example/v1', VECTOR_MODEL_BASE_URL: 'https://b.example/v1', VECTOR_MODEL: 'new', VECTOR_AGENT_MODEL: 'old' });
      expect(error.issues.map((issue) => issue.path[0])).toEqual(['VECTOR_MODEL_BASE_URL', 'VECTOR_AGENT_MODEL']);
      expect(error.message).toContain('VECTOR_MODEL_BASE_URL: an older alias of OPENAI_BASE_URL, set to a different value: set only OPENAI_BASE_URL');
      expect(error.message).toContain('VECTOR_AGENT_MODEL: an older alias of VECTOR_MODEL, set to a different value: set only VECTOR_MODEL');
    });

    it('needs OPENAI_API_KEY with a base URL, and an http(s) base URL', () => {
      expect(failure({ OPENAI_BASE_URL: 'http://localhost:11434/v1' }).message).toMatch(/OPENAI_API_KEY: required with OPENAI_BASE_URL/);
      expect(failure({ VECTOR_MODEL_BASE_URL: 'http://localhost:11434/v1' }).message).toMatch(/OPENAI_API_KEY: required with VECTOR_MODEL_BASE_URL/);
      expect(failure({ OPENAI_API_KEY: 'sk-1', OPENAI_BASE_URL: 'ftp://models.example/v1' }).issues.map((issue) => issue.path[0])).toEqual(['OPENAI_BASE_URL']);
    });

    it('hides the key and a password in the base URL from the printed forms', () => {
      const config = loadConfig({ OPENAI_API_KEY: 'sk-key-secret', OPENAI_BASE_URL: 'https://proxy:proxy-secret@llm.internal/v1' });
      expect(config.model?.baseURL).toBe('https://proxy:proxy-secret@llm.internal/v1');
      expect(JSON.stringify(config)).not.toMatch(/secret/);
      expect(JSON.stringify(config)).toContain('llm.internal/v1');
    });
  });

  it('reads LOG_FORMAT: auto by default, pretty or json when set', () => {
    expect(loadConfig({}).logFormat).toBe('auto');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(failure({ LOG_FORMAT: 'yaml' }).issues.map((issue) => issue.path[0])).toEqual(['LOG_FORMAT']);
  });

  it('reports every problem at once', () => {
    const error = failure({ PORT: 'x', LOG_LEVEL: 'loud', VECTOR_ROLE: 'worker', VECTOR_STORAGE: 'github' });
    for (const variable of ['PORT', 'LOG_LEVEL', 'VECTOR_ROLE', 'GITHUB_TOKEN']) expect(error.message).toContain(`${variable}: `);
  });

  it('lets api and worker roles run only on a shared PostgreSQL database', () => {
    expect(failure({ VECTOR_ROLE: 'api' }).message).toMatch(/VECTOR_ROLE: running as "api" alone needs a shared PostgreSQL DATABASE_URL/);
    expect(failure({ VECTOR_ROLE: 'worker' }).message).toMatch(/VECTOR_ROLE: running as "worker"/);
    expect(loadConfig({ VECTOR_ROLE: 'worker', DATABASE_URL: 'postgres://db/vector', VECTOR_LOCAL_BUILDS: 'false' }).role).toBe('worker');
    expect(loadConfig({ VECTOR_ROLE: 'all' }).role).toBe('all');
  });

  it('builds and serves previews locally by default, on port 3001 under *.preview.localhost', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ localBuilds: true, previewPort: 3001, previewHost: '127.0.0.1', previewBaseUrl: 'http://{id}.preview.localhost:3001/' });
    // Under the user's cache, named after the data directory: two servers never share deployments.
    expect(config.buildsDir.startsWith(join(homedir(), '.cache', 'vector', 'servers'))).toBe(true);
    expect(loadConfig({}).buildsDir).toBe(config.buildsDir);
    expect(loadConfig({ VECTOR_DATA_DIR: '/srv/other' }).buildsDir).not.toBe(config.buildsDir);
    expect(loadConfig({ VECTOR_DATA_DIR: resolve('.vector') }).buildsDir).toBe(config.buildsDir);
  });

  it('reads the preview and build variables', () => {
    const config = loadConfig({
      HOST: '0.0.0.0',
      VECTOR_PREVIEW_PORT: '8081',
      VECTOR_PREVIEW_BASE_URL: 'https://{id}.preview.example.com/',
      VECTOR_BUILDS_DIR: 'relative/builds',
    });
    expect(config).toMatchObject({ previewPort: 8081, previewHost: '0.0.0.0', previewBaseUrl: 'https://{id}.preview.example.com/', buildsDir: resolve('relative/builds') });
    expect(loadConfig({ HOST: '0.0.0.0', VECTOR_PREVIEW_HOST: '127.0.0.1' }).previewHost).toBe('127.0.0.1');
    expect(loadConfig({ VECTOR_PREVIEW_BASE_URL: 'http://preview-{id}.example.com:8080/' }).previewBaseUrl).toBe('http://preview-{id}.example.com:8080/');
    // Port 0 (any free port): the URL is known only once the gateway listens.
    expect(loadConfig({ VECTOR_PREVIEW_PORT: '0' }).previewBaseUrl).toBeUndefined();
    expect(loadConfig({ VECTOR_LOCAL_BUILDS: 'false' }).localBuilds).toBe(false);
    expect(loadConfig({ VECTOR_LOCAL_BUILDS: '0' }).localBuilds).toBe(false);
    expect(failure({ PORT: '3001' }).message).toMatch(/VECTOR_PREVIEW_PORT: the preview gateway needs a port of its own/);
    expect(loadConfig({ PORT: '3001', VECTOR_LOCAL_BUILDS: 'false' }).port).toBe(3001);
  });

  it('refuses local builds with split api and worker roles, naming the way out', () => {
    for (const role of ['api', 'worker']) {
      const error = failure({ VECTOR_ROLE: role, DATABASE_URL: 'postgres://db/vector' });
      expect(error.message).toMatch(/VECTOR_ROLE: local builds \(VECTOR_LOCAL_BUILDS, on by default\) need VECTOR_ROLE=all/);
      expect(error.message).toContain('set VECTOR_LOCAL_BUILDS=false');
    }
    expect(loadConfig({ VECTOR_ROLE: 'api', DATABASE_URL: 'postgres://db/vector', VECTOR_LOCAL_BUILDS: 'false' }).role).toBe('api');
  });

  it('needs both GitHub variables for GitHub storage', () => {
    expect(failure({ VECTOR_STORAGE: 'github' }).message).toContain('GITHUB_TOKEN: required when VECTOR_STORAGE=github');
    expect(failure({ VECTOR_STORAGE: 'github', GITHUB_TOKEN: 'ghp_x' }).message).toContain('GITHUB_OWNER: required');
  });

  describe('the GitHub source mirror', () => {
    const mirror = { VECTOR_SOURCE_MIRROR: 'github', GITHUB_TOKEN: 'ghp_x' };

    it('is off unless VECTOR_SOURCE_MIRROR=github, even with GitHub credentials and a hosted provider', () => {
      expect(loadConfig({ GITHUB_TOKEN: 'ghp_x', GITHUB_OWNER: 'acme', RAILWAY_API_TOKEN: 'rw', RENDER_API_KEY: 'rnd' }).sourceMirror).toBeUndefined();
      expect(loadConfig({ VECTOR_SOURCE_MIRROR: 'off', GITHUB_TOKEN: 'ghp_x', GITHUB_OWNER: 'acme' }).sourceMirror).toBeUndefined();
    });

    it('takes GITHUB_MIRROR_OWNER, else GITHUB_OWNER, and a scope (a repository per project by default)', () => {
      expect(loadConfig({ ...mirror, GITHUB_OWNER: 'acme' }).sourceMirror).toEqual({ type: 'github', token: 'ghp_x', owner: 'acme', scope: 'project' });
      expect(loadConfig({ ...mirror, GITHUB_OWNER: 'acme', GITHUB_MIRROR_OWNER: 'acme-mirrors', VECTOR_SOURCE_MIRROR_SCOPE: 'organization' }).sourceMirror).toEqual({
        type: 'github',
        token: 'ghp_x',
        owner: 'acme-mirrors',
        scope: 'organization',
      });
      // The mirror owner alone is enough; GitHub storage still needs GITHUB_OWNER.
      expect(loadConfig({ ...mirror, GITHUB_MIRROR_OWNER: 'acme-mirrors' })).toMatchObject({ github: undefined, sourceMirror: { owner: 'acme-mirrors' } });
    });

    it('names the missing token and owner', () => {
      const missing = failure({ VECTOR_SOURCE_MIRROR: 'github' });
      expect(missing.message).toContain('GITHUB_TOKEN: required when VECTOR_SOURCE_MIRROR=github');
      expect(missing.message).toContain('GITHUB_MIRROR_OWNER: required when VECTOR_SOURCE_MIRROR=github');
      expect(missing.issues?.map((issue) => issue.path[0])).toEqual(['GITHUB_TOKEN', 'GITHUB_MIRROR_OWNER']);
      expect(failure({ ...mirror }).message).toMatch(/GITHUB_MIRROR_OWNER: .*GITHUB_OWNER is used when unset/);
      expect(failure({ VECTOR_SOURCE_MIRROR: 'github', GITHUB_OWNER: 'acme' }).issues?.map((issue) => issue.path[0])).toEqual(['GITHUB_TOKEN']);
      // Needed by GitHub storage and the mirror alike: reported once.
      expect(failure({ VECTOR_SOURCE_MIRROR: 'github', VECTOR_STORAGE: 'github', GITHUB_OWNER: 'acme' }).issues?.map((issue) => issue.path[0])).toEqual(['GITHUB_TOKEN']);
    });

    it('rejects a bad scope or owner name, and mirror settings without the mirror', () => {
      expect(failure({ ...mirror, GITHUB_OWNER: 'acme', VECTOR_SOURCE_MIRROR_SCOPE: 'team' }).message).toMatch(/VECTOR_SOURCE_MIRROR_SCOPE: /);
      expect(failure({ ...mirror, GITHUB_MIRROR_OWNER: 'acme mirrors' }).message).toMatch(/GITHUB_MIRROR_OWNER: a GitHub organization or user name/);
      for (const variable of ['VECTOR_SOURCE_MIRROR_SCOPE', 'GITHUB_MIRROR_OWNER']) {
        const value = variable === 'VECTOR_SOURCE_MIRROR_SCOPE' ? 'organization' : 'acme-mirrors';
        expect(failure({ [variable]: value, GITHUB_TOKEN: 'ghp_x' }).message).toContain(`${variable}: only used by the source mirror: set VECTOR_SOURCE_MIRROR=github to turn it on`);
      }
    });
  });

  it('turns JWT verification on with its key set, issuer and audience together', () => {
    expect(loadConfig({}).jwt).toBeUndefined();
    const config = loadConfig({
      VECTOR_JWT_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
      VECTOR_JWT_ISSUER: 'https://idp.example.com/',
      VECTOR_JWT_AUDIENCE: 'vector, vector-admin',
      VECTOR_JWT_ORGANIZATION_CLAIM: 'https://example.com/org',
    });
    expect(config.jwt).toEqual({
      jwksUrl: 'https://idp.example.com/.well-known/jwks.json',
      issuer: 'https://idp.example.com/',
      audience: ['vector', 'vector-admin'],
      claims: { organizationId: 'https://example.com/org' },
    });
    const partial = failure({ VECTOR_JWT_JWKS_URL: 'https://idp.example.com/jwks', VECTOR_JWT_ISSUER: 'https://idp.example.com/' });
    expect(partial.issues.map((issue) => issue.path[0])).toEqual(['VECTOR_JWT_AUDIENCE']);
    const stray = failure({ VECTOR_JWT_ROLE_CLAIM: 'roles' });
    expect(stray.issues).toEqual([expect.objectContaining({ path: ['VECTOR_JWT_ROLE_CLAIM'], message: expect.stringContaining('VECTOR_JWT_JWKS_URL') })]);
    const malformed = failure({ VECTOR_JWT_JWKS_URL: 'ftp://idp.example.com/jwks', VECTOR_JWT_ISSUER: 'i', VECTOR_JWT_AUDIENCE: ' , ' });
    expect(malformed.issues.map((issue) => issue.path[0]).sort()).toEqual(['VECTOR_JWT_AUDIENCE', 'VECTOR_JWT_JWKS_URL']);
  });

  it('never echoes a secret value in a validation message', () => {
    const error = failure({ DATABASE_URL: 'mysql://admin:hunter2-secret@db/vector', VECTOR_BOOTSTRAP_TOKEN: 'tok-secret' });
    expect(error.message).not.toContain('hunter2-secret');
    expect(error.message).not.toContain('tok-secret');
    expect(JSON.stringify(error.toJSON())).not.toContain('secret');
  });

  it('redacts secrets from the JSON, string and inspected forms while keeping them usable', () => {
    const secrets = {
      DATABASE_URL: 'postgres://vector:db-pass-secret@db.internal:5432/vector?password=query-pass-secret',
      OPENAI_API_KEY: 'sk-openai-secret',
      RAILWAY_API_TOKEN: 'railway-secret',
      RENDER_API_KEY: 'render-secret',
      GITHUB_TOKEN: 'ghp_github_secret',
      GITHUB_OWNER: 'acme',
      VECTOR_STORAGE: 'github',
      VECTOR_SOURCE_MIRROR: 'github',
      VECTOR_BOOTSTRAP_TOKEN: 'bootstrap-token-secret',
    };
    const config = loadConfig(secrets);
    expect(config.databaseUrl).toBe(secrets.DATABASE_URL);
    expect(config.model?.apiKey).toBe('sk-openai-secret');
    expect(config.bootstrapToken).toBe('bootstrap-token-secret');
    expect(config.sourceMirror?.token).toBe('ghp_github_secret');
    for (const form of [JSON.stringify(config), String(config), `${config}`, inspect(config, { depth: 5 })]) {
      expect(form).not.toMatch(/secret/);
      expect(form).toContain('[redacted]');
      expect(form).toContain('db.internal');
      expect(form).toContain('acme');
    }
    const json = JSON.parse(JSON.stringify(config)) as { databaseUrl: string; model: { apiKey: string }; sourceMirror: unknown };
    expect(json.sourceMirror).toEqual({ type: 'github', owner: 'acme', scope: 'project', token: '[redacted]' });
    expect(json.databaseUrl).toMatch(/^postgres:\/\/vector:%5Bredacted%5D@db\.internal:5432\/vector\?password=%5Bredacted%5D$/);
    expect(json.model.apiKey).toBe('[redacted]');
  });

  it('turns the Docker provider on with VECTOR_DOCKER, and names the variable of every misuse', () => {
    expect(loadConfig({}).docker).toBeUndefined();
    expect(loadConfig({ VECTOR_DOCKER: 'true', VECTOR_DOCKER_SOCKET: 'unix:///run/user/docker.sock', VECTOR_DOCKER_BASE_IMAGE: 'node:24-slim' }).docker).toEqual({ socketPath: '/run/user/docker.sock', baseImage: 'node:24-slim' });
    expect(loadConfig({ VECTOR_DOCKER: '1' }).docker).toEqual({ socketPath: undefined, baseImage: undefined });
    const issuesOf = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        if (ValidationError.isInstance(error)) return error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
        throw error;
      }
      return [];
    };
    expect(issuesOf({ VECTOR_DOCKER_SOCKET: '/var/run/docker.sock' })).toEqual(['VECTOR_DOCKER_SOCKET: only used by the Docker provider: set VECTOR_DOCKER=true to turn it on']);
    expect(issuesOf({ VECTOR_DOCKER: 'true', VECTOR_DOCKER_SOCKET: 'tcp://10.0.0.1:2375' })[0]).toMatch(/^VECTOR_DOCKER_SOCKET: a unix socket path/);
    expect(issuesOf({ VECTOR_DOCKER: 'true', VECTOR_LOCAL_BUILDS: 'false', VECTOR_ROLE: 'worker', DATABASE_URL: 'postgres://x@127.0.0.1/db' })).toEqual(['VECTOR_ROLE: the Docker provider (VECTOR_DOCKER) needs VECTOR_ROLE=all: its deployments are watched by the process that runs them']);
  });
  it('sizes the PostgreSQL pools and the worker from the environment, with defaults, and names every misuse', () => {
    const postgres = 'postgres://x@127.0.0.1/db';
    expect(loadConfig({ DATABASE_URL: postgres })).toMatchObject({ connectionPools: { engine: 10, queue: 4, events: 2 }, queue: { concurrency: 8, batchSize: 1, pollIntervalMs: 2_000 } });
    const tuned = loadConfig({
      DATABASE_URL: postgres,
      DATABASE_POOL_MAX: '5',
      VECTOR_QUEUE_POOL_MAX: '3',
      VECTOR_EVENTS_POOL_MAX: '1',
      VECTOR_WORKER_CONCURRENCY: '16',
      VECTOR_QUEUE_BATCH_SIZE: '4',
      VECTOR_QUEUE_POLL_MS: '750',
    });
    expect(tuned).toMatchObject({ connectionPools: { engine: 5, queue: 3, events: 1 }, queue: { concurrency: 16, batchSize: 4, pollIntervalMs: 750 } });
    // The in-process queue of the embedded database takes the concurrency too.
    expect(loadConfig({ VECTOR_WORKER_CONCURRENCY: '3' }).queue?.concurrency).toBe(3);
    const issuesOf = (env: Record<string, string>) => failure(env).issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    expect(issuesOf({ DATABASE_POOL_MAX: '4', VECTOR_QUEUE_POLL_MS: '1000' })).toEqual([
      'DATABASE_POOL_MAX: only used with PostgreSQL: set DATABASE_URL (the embedded SQLite database has no pools and no pg-boss queue)',
      'VECTOR_QUEUE_POLL_MS: only used with PostgreSQL: set DATABASE_URL (the embedded SQLite database has no pools and no pg-boss queue)',
    ]);
    expect(issuesOf({ DATABASE_URL: postgres, VECTOR_WORKER_CONCURRENCY: '2', VECTOR_QUEUE_BATCH_SIZE: '4' })).toEqual(['VECTOR_QUEUE_BATCH_SIZE: at most VECTOR_WORKER_CONCURRENCY (2): a batch\'s jobs run at once']);
    expect(issuesOf({ DATABASE_URL: postgres, DATABASE_POOL_MAX: '0', VECTOR_QUEUE_POLL_MS: '100' }).map((issue) => issue.split(':')[0])).toEqual(['DATABASE_POOL_MAX', 'VECTOR_QUEUE_POLL_MS']);
  });
});
