#!/usr/bin/env node
import { buildServer } from './build-server.js';
import { loadConfig, type ServerConfig } from './load-config.js';
import { createRuntime } from './runtime/create-runtime.js';

/**
 * The `vector-server` process: reads the environment, builds the engine and the HTTP server,
 * and shuts both down gracefully on SIGINT/SIGTERM: readiness fails, the listener stops
 * taking requests, SSE streams end, running jobs go back to the queue, the database closes.
 */
function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

async function main(): Promise<void> {
  let config: ServerConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
    return;
  }
  // Before Fastify's logger exists, runtime messages go out as the same pino-style JSON lines.
  const line = (level: number, message: string) => JSON.stringify({ level, time: Date.now(), pid: process.pid, msg: message });
  const warn = (message: string) => process.stderr.write(`${line(40, message)}\n`);
  const info = (message: string) => {
    if (['info', 'debug', 'trace'].includes(config.logLevel)) process.stdout.write(`${line(30, message)}\n`);
  };
  const runtime = await createRuntime(config, { info, warn });
  if (!config.bootstrapToken) warn('VECTOR_BOOTSTRAP_TOKEN is not set: anyone who can reach this server may create an organization (fine for local development only)');
  const app = buildServer({
    vector: runtime.vector,
    logger: { level: config.logLevel },
    ...(config.bootstrapToken ? { bootstrapToken: config.bootstrapToken } : {}),
    corsOrigins: config.corsOrigins,
    rateLimit: config.rateLimit,
    // A hop count trusts that many proxies nearest to us (Fastify's typings accept it only as a function).
    ...(runtime.eventFeed ? { eventFeed: runtime.eventFeed } : {}),
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    bodyLimitBytes: config.bodyLimitBytes,
    docs: config.docs,
  });
  await runtime.vector.start();
  if (config.role !== 'worker') {
    const address = await app.listen({ port: config.port, host: config.host });
    app.log.info(`Vector API on ${address} (docs: ${address}/docs, database: ${config.databaseUrl ? 'postgres' : config.sqlitePath}, role: ${config.role})`);
  } else {
    await app.ready();
    app.log.info('Vector worker started (no HTTP listener)');
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info(`${signal}: shutting down`);
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    try {
      await app.close();
      await runtime.close();
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exitCode = 1;
    }
    clearTimeout(force);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

await main();
