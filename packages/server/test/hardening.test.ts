import { createConnection, type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { createSqliteDatabase } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { describe, expect, it } from 'vitest';
import { buildServer } from '../src/index.js';
import { bootstrapOrganization, createTestVector, useServer } from './server-fixture.js';

describeEachDatabase('rate limits, body limits, CORS, security headers', (database) => {
  const get = useServer(database, { rateLimit: { max: 3, windowMs: 60_000 }, corsOrigins: ['https://app.example.com'], bodyLimitBytes: 4096 });

  it('answers 429 RATE_LIMITED with retry hints once a key spends its budget, per key', async () => {
    const { app, key, otherKey } = get();
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof app.inject>> | null = null;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      last = await app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${key}` } });
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(last?.json()).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringMatching(/^Rate limit exceeded: retry in \d+s$/) } });
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    expect(last?.headers['x-ratelimit-limit']).toBe('3');
    expect(last?.headers['x-ratelimit-remaining']).toBe('0');
    // Another key has its own budget; health checks are never limited.
    expect((await app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${otherKey}` } })).statusCode).toBe(200);
    for (let attempt = 0; attempt < 5; attempt += 1) expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('answers 413 LIMIT_EXCEEDED for a body over the limit, before touching the engine', async () => {
    const { app, key } = get();
    const response = await app.inject({
      method: 'POST',
      url: '/v1/projects',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'big', description: 'x'.repeat(5000) }),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({ error: { code: 'LIMIT_EXCEEDED', message: expect.any(String), details: { limit: 'body_size' } } });
    const projects = await app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${key}` } });
    expect(projects.json().items).toEqual([]);
  });

  it('lets an allowed origin read answers and preflight, and no other origin', async () => {
    const { app, key } = get();
    const allowed = await app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${key}`, origin: 'https://app.example.com' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(String(allowed.headers['access-control-expose-headers'])).toContain('retry-after');
    const other = await app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${key}`, origin: 'https://evil.example.com' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await app.inject({ method: 'OPTIONS', url: '/v1/projects', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const foreignPreflight = await app.inject({ method: 'OPTIONS', url: '/v1/projects', headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' } });
    expect(foreignPreflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends security headers on answers and on errors', async () => {
    const { app, key } = get();
    for (const response of [
      await app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${key}` } }),
      await app.inject({ method: 'GET', url: '/v1/projects' }),
      await app.inject({ method: 'GET', url: '/healthz' }),
    ]) {
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('is alive and ready while the database answers', async () => {
    const { app } = get();
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok', checks: { database: 'ok' } });
  });
});

describe('readiness', () => {
  it('reports not ready when the database is unreachable, while staying alive', async () => {
    const connection = createSqliteDatabase({ path: ':memory:' });
    const vector = createTestVector(connection);
    const app = buildServer({ vector, rateLimit: false });
    await app.ready();
    await connection.destroy();
    try {
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({ status: 'unavailable', checks: { database: 'unreachable' } });
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await vector.dispose();
    }
  });

  it('reports not ready as soon as shutdown begins, over real HTTP', async () => {
    const connection = createSqliteDatabase({ path: ':memory:' });
    const vector = createTestVector(connection);
    const app = buildServer({ vector, rateLimit: false });
    let readyDuringClose: { status: number; body: unknown } | null = null;
    let base = '';
    // Fastify runs preClose hooks in order; ours (registered first) has already flagged shutdown,
    // and the listener still accepts connections until the hooks are done.
    app.addHook('preClose', async () => {
      const response = await fetch(`${base}/readyz`);
      readyDuringClose = { status: response.status, body: await response.json() };
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    await app.close();
    await vector.dispose();
    await connection.destroy();
    expect(readyDuringClose).toEqual({ status: 503, body: { status: 'unavailable', checks: { shutdown: 'in progress' } } });
  });
});

describe('logs', () => {
  it('never writes the authorization header, cookies or API keys to the log', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const connection = createSqliteDatabase({ path: ':memory:' });
    const vector = createTestVector(connection);
    const app = buildServer({ vector, rateLimit: false, logger: { level: 'trace', stream } });
    // A route that logs its whole request, as careless application code might.
    app.get('/debug-echo', { config: { auth: false } }, async (request) => {
      request.log.info({ req: request }, 'echo request');
      request.log.info({ headers: request.headers }, 'echo headers');
      return { ok: true };
    });
    let key = '';
    try {
      await app.ready();
      key = (await bootstrapOrganization(app, 'Logs')).key;
      await app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${key}`, cookie: 'session=cookie-secret', 'x-api-key': key } });
      await app.inject({ method: 'GET', url: '/debug-echo', headers: { authorization: `Bearer ${key}`, cookie: 'session=cookie-secret', 'x-api-key': key } });
      await app.inject({ method: 'GET', url: '/v1/projects/nope', headers: { authorization: `Bearer ${key}` } });
    } finally {
      await app.close();
      await vector.dispose();
      await connection.destroy();
    }
    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(3);
    expect(log).toContain('echo headers');
    expect(log).toContain('/debug-echo');
    expect(key).toMatch(/^vk_/);
    expect(log).toContain('[Redacted]');
    expect(log).not.toContain(key.slice(3));
    expect(log).not.toContain('cookie-secret');
  });
});

describe('the connection cap', () => {
  it('closes a connection over the cap at once, and takes new ones when others close', async () => {
    const database = createSqliteDatabase({ path: ':memory:' });
    const vector = createTestVector(database);
    const app = buildServer({ vector, rateLimit: false, connectionLimits: { maxConnections: 2 } });
    try {
      await vector.start();
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as AddressInfo).port;
      // Two kept-alive connections, each answered.
      const open = [connect(port), connect(port)];
      const answers = await Promise.all(open.map((socket) => exchange(socket, 'GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n')));
      expect(answers.every((answer) => answer.startsWith('HTTP/1.1 200'))).toBe(true);
      // A third while both are open: closed without an answer.
      const third = connect(port);
      expect(await exchange(third, 'GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n')).toBe('');
      // One closes: a new connection is served again.
      await new Promise<void>((resolve) => {
        open[0]?.once('close', () => resolve());
        open[0]?.end();
      });
      for (let waited = 0; waited < 2_000 && (await connections(app)) > 1; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      const fourth = connect(port);
      expect(await exchange(fourth, 'GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200/);
      open[1]?.destroy();
    } finally {
      await app.close();
      await vector.dispose();
      await database.destroy();
    }
  });
});

function connect(port: number): Socket {
  return createConnection({ port, host: '127.0.0.1' });
}

/** Writes `request` and resolves with what came back within 1 s, or once the server closed the socket ('' for nothing). */
function exchange(socket: Socket, request: string): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    const done = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(received);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (received.includes('\r\n\r\n') && /content-length: (\d+)/i.test(received)) {
        const length = Number(/content-length: (\d+)/i.exec(received)?.[1]);
        if (received.length - received.indexOf('\r\n\r\n') - 4 >= length) done();
      }
    };
    const timer = setTimeout(done, 1_000);
    socket.on('data', onData);
    socket.once('close', done);
    socket.once('error', done);
    socket.write(request, () => undefined);
  });
}

function connections(app: ReturnType<typeof buildServer>): Promise<number> {
  return new Promise((resolve) => app.server.getConnections((_error, count) => resolve(count)));
}
