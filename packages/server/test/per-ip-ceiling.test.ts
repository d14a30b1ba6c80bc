import { describeEachDatabase } from '@vector/core/testing';
import { expect, it } from 'vitest';
import { useServer } from './server-fixture.js';

const max = 3;
/** The documented default ceiling per client IP when `maxPerIp` is not set: 10 × max. */
const defaultPerIp = 10 * max;

describeEachDatabase('the default per-IP ceiling', (database) => {
  const server = useServer(database, { rateLimit: { max, windowMs: 60_000 } });

  /** Owner keys of new organizations, each created from its own address so none of this counts against the address under test. */
  async function keysFromElsewhere(count: number): Promise<string[]> {
    const keys: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const response = await server().app.inject({ method: 'POST', url: '/v1/organizations', payload: { name: `Org ${index}` }, remoteAddress: `198.51.100.${index + 1}` });
      expect(response.statusCode).toBe(201);
      keys.push((response.json() as { apiKey: { key: string } }).apiKey.key);
    }
    return keys;
  }

  it('answers 429 to the request past 10 × max from one address, though every key still has budget of its own', async () => {
    const { app } = server();
    // Enough keys to spend the whole ceiling at `max` each, and one left untouched.
    const keys = await keysFromElsewhere(defaultPerIp / max + 1);
    const fresh = keys.pop() as string;
    const from = (address: string, key: string) => app.inject({ method: 'GET', url: '/v1/projects', headers: { authorization: `Bearer ${key}` }, remoteAddress: address });

    const statuses: number[] = [];
    for (const key of keys) for (let request = 0; request < max; request += 1) statuses.push((await from('203.0.113.7', key)).statusCode);
    expect(statuses).toEqual(Array.from({ length: defaultPerIp }, () => 200));

    // Request 31 from that address, with a key that has sent nothing yet: the address's ceiling answers.
    const over = await from('203.0.113.7', fresh);
    expect(over.statusCode).toBe(429);
    expect((over.json() as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    // The ceiling is the address's: the same key from another address is served.
    expect((await from('203.0.113.8', fresh)).statusCode).toBe(200);
  });
});
