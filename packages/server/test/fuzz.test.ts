import { describeEachDatabase } from '@vector/core/testing';
import { expect, it } from 'vitest';
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

const nasty = ['', ' ', '0', '-1', '1e309', 'null', 'true', '../../etc/passwd', '%00', '%E0%A4%A', 'ö', '🦄', 'a'.repeat(2000), "'; drop table x;--", '{"$gt":""}', '[]', 'NaN'];

function generator(next: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const value = (depth: number): unknown => {
    const kind = Math.floor(next() * (depth > 2 ? 5 : 8));
    switch (kind) {
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
  const get = useServer(database);

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
        const url = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => (next() < 0.4 && real[name] ? real[name] : encodeURIComponent(String(pick(nasty)) || 'x'))).replace('/*', `/${encodeURIComponent(pick(nasty) || 'f')}`);
        const query = next() < 0.5 ? `?${pick(['limit', 'cursor', 'where', 'include', 'from', 'status', 'since', 'lastEventId', 'orderBy', 'afterIndex', 'groupBy', 'start', 'end', 'asOf', 'environment'])}=${encodeURIComponent(String(value(2)))}` : '';
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
