#!/usr/bin/env node
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { errorMessage } from '@vector/core';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './build-server.js';
import { loadConfig, type ServerConfig } from './load-config.js';
import { createLogDestination, resolveLogFormat } from './plumbing/create-log-destination.js';
import { describeListenFailure } from './plumbing/describe-listen-failure.js';
import { createPreviewGateway, type PreviewSource } from './previews/create-preview-gateway.js';
import { combinePreviewSources } from './previews/combine-preview-sources.js';
import { createRuntime } from './runtime/create-runtime.js';
import { describeStartFailure } from './runtime/describe-start-failure.js';
import { startTracing, type Tracing } from './runtime/start-tracing.js';

/**
 * The `vector-server` process: reads the environment, builds the engine, the HTTP server and
 * (with local builds) the preview gateway, and shuts them down gracefully on SIGINT/SIGTERM:
 * readiness fails, the listeners stop taking requests, SSE streams end, running jobs go back
 * to the queue, local deployments' processes stop, the database closes. A listener that
 * cannot start for a reason the operator can fix (port in use, no permission), and any other
 * failed start (the database unreachable, a migration failing), is one line on stderr and
 * exit code 1 (with `LOG_LEVEL=debug` or `trace`, the stack follows). Logs are pino-pretty lines on a terminal and JSON lines otherwise
 * (`LOG_FORMAT` decides when set).
 */
function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

/** A listener answering `GET /metrics` from the exporter, and 404 to anything else. */
function createMetricsListener(exporter: PrometheusExporter): Server {
  return createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/metrics') return exporter.getMetricsRequestHandler(request, response);
    response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'Only GET /metrics is served here' } }));
  });
}

async function main(): Promise<void> {
  let config: ServerConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    process.stderr.write(`${errorMessage(error)}\n`);
    process.exitCode = 1;
    return;
  }
  // Human-readable on a terminal, JSON for collectors; colours only on a terminal, and never with NO_COLOR.
  const format = resolveLogFormat(config.logFormat ?? 'auto', process.stdout.isTTY === true);
  const colorize = (stream: NodeJS.WriteStream) => stream.isTTY === true && !process.env.NO_COLOR;
  const stdout = createLogDestination({ format, destination: process.stdout, colorize: colorize(process.stdout) });
  const stderr = createLogDestination({ format, destination: process.stderr, colorize: colorize(process.stderr) });
  // JSON lines keep pino's own fast stdout writer; pretty ones go through pino-pretty (redaction happens before either).
  const logger = { level: config.logLevel, ...(format === 'pretty' ? { stream: stdout } : {}) };
  // Before Fastify's logger exists, runtime messages go out as the same pino-style lines.
  const line = (level: number, message: string) => JSON.stringify({ level, time: Date.now(), pid: process.pid, msg: message });
  const warn = (message: string) => stderr.write(`${line(40, message)}\n`);
  const info = (message: string) => {
    if (['info', 'debug', 'trace'].includes(config.logLevel)) stdout.write(`${line(30, message)}\n`);
  };
  // What the operator can fix is one line, not a stack trace.
  const refuse = (message: string) => {
    process.stderr.write(`vector-server: ${message}\n`);
    process.exitCode = 1;
  };
  // Anything else that stops the start: what is open closes first, then one line says why.
  const failStart = async (error: unknown, cleanup: () => Promise<unknown>) => {
    await cleanup().catch(() => undefined);
    refuse(describeStartFailure(error, { databaseUrl: config.databaseUrl }));
    if (['debug', 'trace'].includes(config.logLevel) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    // Whatever a half-done start left open (a connection attempt still retrying) must not keep the process alive.
    setTimeout(() => process.exit(1), 5_000).unref();
  };

  // The preview gateway listens first: with VECTOR_PREVIEW_PORT=0 its port, and with it the
  // URLs the local provider hands out, is known only then. Until the runtime exists, previews
  // answer "building".
  let previewSources: PreviewSource[] = [];
  let previews: FastifyInstance | null = null;
  let previewBaseUrl = config.previewBaseUrl;
  if (config.localBuilds || config.docker) {
    previews = createPreviewGateway({
      baseUrl: previewBaseUrl ?? 'http://{id}.preview.localhost/',
      source: combinePreviewSources(() => previewSources),
      logger,
    });
    let address: string;
    try {
      address = await previews.listen({ port: config.previewPort, host: config.previewHost });
    } catch (error) {
      await previews.close();
      const hostVariable = process.env.VECTOR_PREVIEW_HOST ? 'VECTOR_PREVIEW_HOST' : 'HOST';
      const reason = describeListenFailure(error, { port: config.previewPort, host: config.previewHost, portVariable: 'VECTOR_PREVIEW_PORT', hostVariable });
      if (!reason) return failStart(error, async () => undefined);
      return refuse(reason);
    }
    previewBaseUrl ??= `http://{id}.preview.localhost:${(previews.server.address() as AddressInfo).port}/`;
    previews.log.info(`Vector previews on ${previewBaseUrl} (gateway on ${address}; builds in ${config.buildsDir})`);
  }
  // Deployed apps reach their data here; with no configured URL, this process's own address once it listens.
  let listeningAt: string | undefined;
  const dataApiUrl = () => config.dataApiUrl ?? listeningAt;
  // Traces go out over OTLP when an endpoint is configured; the SDK is registered before anything records.
  let tracing: Tracing | undefined;
  if (config.tracing) {
    try {
      tracing = await startTracing(config.tracing);
    } catch (error) {
      return failStart(error, async () => previews?.close());
    }
    info(`OpenTelemetry: exporting traces over OTLP/HTTP as service ${config.tracing.serviceName}`);
  }
  let runtime: Awaited<ReturnType<typeof createRuntime>>;
  try {
    runtime = await createRuntime(config, { info, warn }, { ...(previewBaseUrl ? { previewBaseUrl } : {}), dataApiUrl });
  } catch (error) {
    return failStart(error, async () => {
      await previews?.close();
      await tracing?.shutdown();
    });
  }
  previewSources = runtime.previewSources;
  if (!config.bootstrapToken) warn('VECTOR_BOOTSTRAP_TOKEN is not set: anyone who can reach this server may create an organization (fine for local development only)');
  const app = buildServer({
    vector: runtime.vector,
    logger,
    ...(config.bootstrapToken ? { bootstrapToken: config.bootstrapToken } : {}),
    corsOrigins: config.corsOrigins,
    rateLimit: config.rateLimit,
    // A hop count trusts that many proxies nearest to us (Fastify's typings accept it only as a function).
    ...(runtime.eventFeed ? { eventFeed: runtime.eventFeed } : {}),
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    bodyLimitBytes: config.bodyLimitBytes,
    ...(config.connectionLimits ? { connectionLimits: config.connectionLimits } : {}),
    apiKeyCacheMs: config.apiKeyCacheMs,
    ...(config.jwt ? { jwt: config.jwt } : {}),
    docs: config.docs,
    console: config.console,
    ...(config.githubWebhookSecret ? { githubWebhookSecret: config.githubWebhookSecret } : {}),
    ...(runtime.metrics ? { telemetry: { meterProvider: runtime.metrics.meterProvider } } : {}),
    ...(runtime.metrics && config.metrics?.token ? { metrics: { exporter: runtime.metrics.exporter, token: config.metrics.token } } : {}),
  });
  // Metrics on a listener of their own: for a scraper on a network the API's clients cannot reach.
  const metricsListener = runtime.metrics && config.metrics?.port !== undefined ? createMetricsListener(runtime.metrics.exporter) : null;
  // Closes what is open, in order; a stuck step cannot keep the process alive for more than 30 s.
  const closeAll = async () => {
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    try {
      await app.close();
      await previews?.close();
      if (metricsListener?.listening) await new Promise((resolve) => metricsListener.close(resolve));
      await runtime.close();
      await tracing?.shutdown();
    } finally {
      clearTimeout(force);
    }
  };
  try {
    await runtime.vector.start();
    // During a key rotation (VECTOR_SECRETS_PREVIOUS_KEYS set), what older keys sealed is re-sealed with the current key.
    if (config.encryptionKeys.length > 1) {
      const rotated = await runtime.vector.rotateSecrets();
      info(`re-encrypted ${rotated} stored secret(s) with the current VECTOR_SECRETS_KEY; once every server runs with it, VECTOR_SECRETS_PREVIOUS_KEYS can be removed`);
    }
    if (config.role === 'worker') await app.ready();
  } catch (error) {
    return failStart(error, closeAll);
  }
  if (metricsListener && config.metrics?.port !== undefined) {
    const { port, host } = config.metrics;
    try {
      await new Promise<void>((resolve, reject) => {
        metricsListener.once('error', reject);
        metricsListener.listen(port, host, () => resolve());
      });
    } catch (error) {
      const reason = describeListenFailure(error, { port, host, portVariable: 'VECTOR_METRICS_PORT', hostVariable: 'VECTOR_METRICS_HOST' });
      await closeAll().catch((closeError: unknown) => app.log.error({ err: closeError }, 'closing after the failed start failed'));
      if (!reason) return failStart(error, async () => undefined);
      return refuse(reason);
    }
    const bound = metricsListener.address() as AddressInfo;
    app.log.info(`Prometheus metrics on http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}/metrics`);
  }
  if (config.role !== 'worker') {
    let address: string;
    try {
      address = await app.listen({ port: config.port, host: config.host });
    } catch (error) {
      const reason = describeListenFailure(error, { port: config.port, host: config.host, portVariable: 'PORT', hostVariable: 'HOST' });
      // The engine has started: running jobs go back to the queue before the process ends.
      await closeAll().catch((closeError: unknown) => app.log.error({ err: closeError }, 'closing after the failed start failed'));
      if (!reason) return failStart(error, async () => undefined);
      return refuse(reason);
    }
    listeningAt = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/data/v1`;
    app.log.info(`Vector API on ${address} (docs: ${address}/docs${config.console ? `, console: ${address}/console` : ''}, database: ${config.databaseUrl ? 'postgres' : config.sqlitePath}, role: ${config.role})`);
  } else {
    app.log.info('Vector worker started (no HTTP listener)');
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info(`${signal}: shutting down`);
    try {
      await closeAll();
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exitCode = 1;
    }
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

await main();
