import { describeEachDatabase } from '@vector/core/testing';
import { expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { type RawAnswer, rawHttp } from '../../../test-support/raw-http.js';
import { sampleFiles, useServer } from './server-fixture.js';

/** A small seeded PRNG (mulberry32), so a failure is reproducible from its seed. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// NUL bytes and lone surrogates: PostgreSQL's text cannot hold them, SQLite's can (both must answer 400).
const nasty = ['', ' ', '0', '-1', '1e309', 'null', 'true', '../../etc/passwd', '%00', '%E0%A4%A', 'ö', '🦄', 'a'.repeat(2000), "'; drop table x;--", '{"$gt":""}', '[]', 'NaN', 'a\u0000b', '\u0000', 'x\uD800', '\uDC00y', '{"title":"\\ud800"}'];

/** JSON nested `depth` levels deep. */
function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level += 1) value = level % 2 === 0 ? { a: value } : [value];
  return value;
}

/** A path segment or query value: a lone surrogate cannot be percent-encoded (it travels as U+FFFD; inside JSON text it stays an escape), NUL as %00. */
const encode = (text: string) => encodeURIComponent(text.toWellFormed());
const queryText = (item: unknown) => (typeof item === 'object' && item !== null ? JSON.stringify(item) : String(item));

function generator(next: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const value = (depth: number): unknown => {
    const kind = Math.floor(next() * (depth > 2 ? 5 : 9));
    switch (kind) {
      case 8: return nested(next() < 0.5 ? 70 : 3000);
      case 0: return pick(nasty);
      case 1: return Math.floor(next() * 2 ** 53) * (next() < 0.5 ? -1 : 1);
      case 2: return next() < 0.5;
      case 3: return null;
      case 4: return next() * 1e300;
      case 5: return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
      default: {
        const keys = ['name', 'files', 'changes', 'content', 'path', 'parentVersionId', 'data', 'columns', 'environment', 'role', 'message', 'type', 'encoding', 'where', 'allowDestructiveDataChanges', 'includeData', 'targetVersionId', 'versionId', '__proto__', 'constructor'];
        return Object.fromEntries(Array.from({ length: Math.floor(next() * 5) }, () => [pick(keys), value(depth + 1)]));
      }
    }
  };
  return { pick, value };
}

describeEachDatabase('fuzzed input never answers 500', (database) => {
  const get = useServer(database, { connectionLimits: { requestTimeoutMs: 700, headersTimeoutMs: 500 } });

  it('answers every route’s broken connections (huge headers, malformed chunking, stalled bodies) below 500, in the error shape', async () => {
    const { app, key } = get();
    const document = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ path: path.replace(/\{[^}]+\}/g, 'x').replace('/*', '/f'), method: method.toUpperCase() })));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    const auth = `Authorization: Bearer ${key}\r\n`;
    const failures: string[] = [];
    // `expected`: the status; null: any answer below 500 (a route may answer before reading a body it does not need), in the error shape when it is an error.
    const check = (label: string, answer: RawAnswer, expected: number | null) => {
      let code: unknown = null;
      try {
        code = (JSON.parse(answer.body) as { error?: { code?: unknown } }).error?.code;
      } catch {
        code = null;
      }
      const status = answer.status ?? 0;
      const wrongStatus = expected === null ? status === 0 || status >= 500 : status !== expected;
      if (wrongStatus || (status >= 400 && typeof code !== 'string')) failures.push(`${label} → ${answer.status} ${answer.body.slice(0, 120)}`);
    };
    // In batches, so the stalled bodies' timeouts overlap.
    for (let start = 0; start < routes.length; start += 12) {
      await Promise.all(
        routes.slice(start, start + 12).map(async ({ path, method }) => {
          const label = `${method} ${path}`;
          check(`${label} huge header`, await rawHttp({ port, send: `${method} ${path} HTTP/1.1\r\nHost: x\r\n${auth}X-Big: ${'a'.repeat(40_000)}\r\n\r\n` }), 431);
          check(`${label} malformed chunk`, await rawHttp({ port, send: `${method} ${path} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n` }), 400);
          check(`${label} stalled body`, await rawHttp({ port, send: `${method} ${path} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 50\r\n\r\n{"a":`, timeoutMs: 4000 }), null);
        }),
      );
    }
    expect(failures).toEqual([]);
  });

  it('survives random bodies, params and queries on every documented route', async () => {
    const { app, call, key } = get();
    const project = (await call('POST', '/v1/projects', { name: 'p' })).json;
    const version = (await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: null, files: sampleFiles(), message: 'v1' })).json;
    const table = (await call('POST', `/v1/projects/${project.id}/tables`, { name: 't', columns: [{ name: 'a', type: 'string' }] })).json;
    const real: Record<string, string> = { projectId: project.id, versionId: version.id, tableId: table.id };
    const document = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ path, method: method.toUpperCase() })));
    expect(routes.length).toBeGreaterThan(30);

    const seed = Number(process.env.FUZZ_SEED ?? 20_260_101);
    const next = random(seed);
    const { pick, value } = generator(next);
    const failures: string[] = [];
    for (let round = 0; round < 6; round += 1) {
      for (const route of routes) {
        if (route.path === '/v1/organization' && route.method === 'DELETE') continue;
        const url = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => (next() < 0.4 && real[name] ? real[name] : encode(String(pick(nasty)) || 'x'))).replace('/*', `/${encode(pick(nasty) || 'f')}`);
        const query = next() < 0.5 ? `?${pick(['limit', 'cursor', 'where', 'include', 'from', 'status', 'since', 'lastEventId', 'orderBy', 'afterIndex', 'groupBy', 'start', 'end', 'asOf', 'environment'])}=${encode(queryText(value(2)))}` : '';
        const rawBody = next() < 0.2 ? pick(['{', '[1,', '"str"', 'null', '{"a":}', '\u0000']) : JSON.stringify(value(0));
        const response = await app.inject({
          method: route.method as 'GET',
          url: `${url}${query}`,
          headers: { authorization: `Bearer ${key}`, accept: 'application/json', ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { 'content-type': 'application/json' }) },
          ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: rawBody }),
        });
        if (response.statusCode >= 500) failures.push(`${route.method} ${`${url}${query}`.slice(0, 200)} ${rawBody.slice(0, 200)} → ${response.statusCode} ${response.body.slice(0, 300)}`);
        else if (response.statusCode >= 400) {
          const body = response.json() as { error?: { code?: unknown } };
          if (typeof body.error?.code !== 'string') failures.push(`${route.method} ${url.slice(0, 200)} → ${response.statusCode} without the error shape: ${response.body.slice(0, 200)}`);
        }
      }
    }
    expect(failures, `seed ${seed}`).toEqual([]);
  });
});
