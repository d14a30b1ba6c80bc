import { describe, expect, it } from 'vitest';
import { createApiClient } from './api-client.js';
import { ApiError } from './api-error.js';

describe('createApiClient', () => {
  it('sends the key and JSON, and answers the JSON body', async () => {
    const seen: Array<{ url: string; init: RequestInit | undefined }> = [];
    const client = createApiClient({ baseUrl: 'http://api', key: 'vk_1', fetch: async (url, init) => (seen.push({ url: String(url), init }), new Response('{"id":"p1"}', { status: 201 })) });
    expect(await client.request('POST', '/v1/projects', { name: 'x' })).toEqual({ id: 'p1' });
    expect(seen[0]?.url).toBe('http://api/v1/projects');
    expect(seen[0]?.init?.headers).toMatchObject({ authorization: 'Bearer vk_1', 'content-type': 'application/json' });
    expect(seen[0]?.init?.body).toBe('{"name":"x"}');
  });

  it('throws the API’s own code and message', async () => {
    const client = createApiClient({ baseUrl: '', key: 'k', fetch: async () => new Response(JSON.stringify({ error: { code: 'CONFLICT', message: 'someone moved first', details: { a: 1 } } }), { status: 409 }) });
    const error = await client.request('POST', '/v1/projects/p/rollback', {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: 'CONFLICT', message: 'someone moved first', details: { a: 1 } });
  });

  it('names a status without an API body, and a network failure', async () => {
    const plain = createApiClient({ baseUrl: '', key: 'k', fetch: async () => new Response('<html>', { status: 502, statusText: 'Bad Gateway' }) });
    await expect(plain.request('GET', '/v1/x')).rejects.toMatchObject({ code: 'HTTP_502', message: 'Bad Gateway' });
    const down = createApiClient({ baseUrl: '', key: 'k', fetch: async () => Promise.reject(new TypeError('fetch failed')) });
    await expect(down.request('GET', '/v1/x')).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
  });
});
