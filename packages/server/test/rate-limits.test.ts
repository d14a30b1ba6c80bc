import { describeEachDatabase } from '@vector/core/testing';
import { expect, it } from 'vitest';
import { buildServer } from '../src/index.js';
import { createTestVector, useServer } from './server-fixture.js';

describeEachDatabase('rate limits count verified callers and client IPs, never raw tokens', (database) => {
  const get = useServer(database, { rateLimit: { max: 3, windowMs: 60_000, maxPerIp: 8 } });

  it('throttles key guessing: a fresh unverified token per request shares the IP budget', async () => {
    const { app } = get();
    // The fixture's two anonymous bootstrap requests already spent 2 of this IP's anonymous budget of 3.
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      statuses.push((await app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer vk_guess${attempt}` } })).statusCode);
    }
    expect(statuses).toEqual([401, 429, 429, 429, 429, 429]);
  });

  it('throttles organization creation per IP whatever token is sent', async () => {
    const { app } = get();
    // The fixture already created two organizations from this IP (budget 3).
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      statuses.push((await app.inject({ method: 'POST', url: '/v1/organizations', payload: { name: `x${attempt}` }, headers: { authorization: `Bearer random${attempt}` } })).statusCode);
    }
    expect(statuses).toEqual([201, 429, 429]);
  });

  it('gives each verified key its own budget, under a per-IP ceiling', async () => {
    const { app, key, otherKey } = get();
    const as = async (bearer: string) => (await app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${bearer}` } })).statusCode;
    // 2 bootstrap requests already counted against the IP ceiling of 8.
    expect([await as(key), await as(key), await as(key), await as(key)]).toEqual([200, 200, 200, 429]);
    // 2 + 4 = 6 requests from this IP; the other key's own budget is untouched, the IP ceiling (8) is not.
    expect([await as(otherKey), await as(otherKey)]).toEqual([200, 200]);
    const limited = await app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${otherKey}` } });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // The message says when to come back, in the same seconds as the header.
    expect(limited.json().error.message).toBe(`Rate limit exceeded: retry in ${limited.headers['retry-after']}s`);
    // Health checks are never limited.
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('tells a counted caller its budget on every answer, not only once it is spent', async () => {
    const { app, key } = get();
    const first = await app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${key}` } });
    expect(first.statusCode).toBe(200);
    // The caller's own budget (3), never the IP ceiling's (8).
    expect([first.headers['x-ratelimit-limit'], first.headers['x-ratelimit-remaining']]).toEqual(['3', '2']);
    expect(Number(first.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
    const second = await app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${key}` } });
    expect(second.headers['x-ratelimit-remaining']).toBe('1');
  });

  it('counts requests outside /v1 against the IP ceiling silently until it is spent, then answers 429 with its figures', async () => {
    const { app } = get();
    // 2 bootstrap requests already counted; 6 more reach the ceiling of 8.
    for (let request = 0; request < 6; request += 1) {
      const answer = await app.inject({ method: 'GET', url: '/nowhere' });
      expect(answer.statusCode).toBe(404);
      // No per-caller check runs here, and the ceiling's own figures stay hidden until it bites.
      expect(Object.keys(answer.headers).filter((name) => name.startsWith('x-ratelimit') || name === 'retry-after')).toEqual([]);
    }
    const limited = await app.inject({ method: 'GET', url: '/nowhere' });
    expect(limited.statusCode).toBe(429);
    expect([limited.headers['x-ratelimit-limit'], limited.headers['x-ratelimit-remaining']]).toEqual(['8', '0']);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // The message says when to come back, in the same seconds as the header.
    expect(limited.json().error.message).toBe(`Rate limit exceeded: retry in ${limited.headers['retry-after']}s`);
    // Health checks stay outside every limit, even now.
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});

describeEachDatabase('routes an embedder adds', (database) => {
  it('are never limited when they opt out with config.rateLimit false, whoever calls', async () => {
    const connection = await database.create();
    const vector = createTestVector(connection);
    const app = buildServer({ vector, rateLimit: { max: 2, windowMs: 60_000, maxPerIp: 3 } });
    app.get('/v1/ping', { config: { auth: false, rateLimit: false } }, async () => ({ ok: true }));
    app.get('/v1/counted', { config: { auth: false } }, async () => ({ ok: true }));
    try {
      await vector.start();
      await app.ready();
      const ping = [];
      for (let request = 0; request < 6; request += 1) ping.push((await app.inject({ method: 'GET', url: '/v1/ping' })).statusCode);
      expect(ping).toEqual([200, 200, 200, 200, 200, 200]);
      // The same caller on a route that does not opt out is limited as usual.
      const counted = [];
      for (let request = 0; request < 3; request += 1) counted.push((await app.inject({ method: 'GET', url: '/v1/counted' })).statusCode);
      expect(counted).toEqual([200, 200, 429]);
    } finally {
      await app.close();
      await vector.dispose();
      await connection.destroy();
    }
  });
});
