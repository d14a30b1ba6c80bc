import { describeEachDatabase } from '@vector/core/testing';
import { expect, it } from 'vitest';
import { useServer } from './server-fixture.js';

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
    // Health checks are never limited.
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });
});
