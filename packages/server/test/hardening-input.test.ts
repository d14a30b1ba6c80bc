import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createScriptedAgent } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { expect, it } from 'vitest';
import { rawHttp } from '../../../test-support/raw-http.js';
import { sampleFiles, useServer } from './server-fixture.js';

/** JSON text nested `depth` levels deep (as text: a client's own JSON.stringify would overflow first). */
function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

const slowAgent = createScriptedAgent({
  delayMs: 200,
  script: async function* () {
    for (let step = 0; step < 50; step += 1) yield { type: 'text_delta', text: `step ${step} ` };
    yield { type: 'result', changes: [], commitMessage: 'nothing', summary: 'done', validationStatus: 'not_run' };
  },
});

describeEachDatabase('hardening: inputs no store can hold', (database) => {
  const get = useServer(database, { agents: [slowAgent], bodyLimitBytes: 1024 * 1024, connectionLimits: { requestTimeoutMs: 600, headersTimeoutMs: 400 } });

  it('answers 400 naming the field for a NUL byte or a lone surrogate anywhere, on both databases', async () => {
    const { call } = get();
    const project = (await call('POST', '/v1/projects', { name: 'p' })).json as { id: string };
    const version = (await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: null, files: sampleFiles(), message: 'v1' })).json as { id: string };
    const table = (await call('POST', `/v1/projects/${project.id}/tables`, { name: 't', columns: [{ name: 'title', type: 'string' }] })).json as { id: string };
    const cases: Array<[string, Parameters<typeof call>, string]> = [
      ['a name', ['POST', '/v1/projects', { name: 'a\u0000b' }], 'body.name'],
      // Path parameters are the server guard's to refuse, on every route, whether or not the engine checks that id.
      ['a path id', ['GET', '/v1/projects/ab%00cd'], 'path.projectId'],
      ['an API key id (no engine check behind it)', ['DELETE', '/v1/api-keys/ab%00cd'], 'path.apiKeyId'],
      ['a lone surrogate in a path id', ['DELETE', '/v1/api-keys/%ED%A0%80'], ''],
      ['a message', ['POST', `/v1/projects/${project.id}/versions`, { parentVersionId: version.id, changes: [{ type: 'write', path: 'x.txt', content: 'x' }], message: 'bad\u0000' }], 'body.message'],
      ['a file path', ['POST', `/v1/projects/${project.id}/versions`, { parentVersionId: version.id, changes: [{ type: 'write', path: 'x\u0000.txt', content: 'x' }], message: 'm' }], 'body.changes.0.path'],
      ['a query parameter', ['GET', `/v1/projects?cursor=${encodeURIComponent('a\u0000')}`], 'query.cursor'],
      ['a session title', ['POST', `/v1/projects/${project.id}/sessions`, { title: 'x\uD800' }], 'body.title'],
      ['a row value', ['POST', `/v1/tables/${table.id}/rows`, { data: { title: 'x\uDC00y' } }], 'body.data.title'],
      ['a key', ['PATCH', `/v1/projects/${project.id}`, { settings: { 'k\u0000': 1 } }], 'body.settings.k\u0000'],
    ];
    for (const [what, args, path] of cases) {
      const response = await call(...args);
      expect(response.status, what).toBe(400);
      expect(response.json.error.code, what).toBe('VALIDATION_FAILED');
      // Named by the server's guard (`query.cursor`) or, past it, by core's own check (`cursor`).
      if (path.startsWith('path.')) expect(response.json.error.details.issues[0].path.join('.'), what).toBe(path);
      else if (path) expect([path, path.split('.').slice(1).join('.')], what).toContain(response.json.error.details.issues[0].path.join('.'));
    }
    // A lone surrogate inside a `where` filter's JSON reaches core, which refuses it the same way.
    const where = await call('GET', `/v1/tables/${table.id}/rows?where=${encodeURIComponent('{"title":"\\ud800"}')}`);
    expect(where.status).toBe(400);
    expect(where.json.error.code).toBe('VALIDATION_FAILED');
    // File content may hold any bytes.
    const binary = await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: version.id, changes: [{ type: 'write', path: 'nul.bin', content: 'a\u0000b' }], message: 'bytes' });
    expect(binary.status).toBe(201);
  });

  it('answers 400 for deeply nested JSON instead of overflowing the stack', async () => {
    const { call, app, key } = get();
    const project = (await call('POST', '/v1/projects', { name: 'p' })).json as { id: string };
    const table = (await call('POST', `/v1/projects/${project.id}/tables`, { name: 't', columns: [{ name: 'meta', type: 'json' }] })).json as { id: string };
    const send = (method: 'POST' | 'PATCH', url: string, payload: string) => app.inject({ method, url, payload, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } });
    for (const [method, url, body] of [
      ['PATCH', `/v1/projects/${project.id}`, `{"settings":${nested(5000)}}`],
      ['POST', `/v1/tables/${table.id}/rows`, `{"data":{"meta":${nested(2000)}}}`],
      ['POST', '/v1/projects', `{"name":"deep","settings":${nested(100)}}`],
    ] as const) {
      const response = await send(method, url, body);
      expect(response.statusCode, url).toBe(400);
      expect(response.json().error.message).toMatch(/nested deeper than 64/);
    }
    expect((await send('POST', '/v1/projects', `{"name":"shallow","settings":${nested(20)}}`)).statusCode).toBe(201);
  });

  it('keeps the error shape for oversized headers and malformed chunked bodies, and times out a stalled body', async () => {
    const { app, key } = get();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    const huge = await rawHttp({ port, send: `GET /v1/projects HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n` });
    expect(huge.status).toBe(431);
    expect(JSON.parse(huge.body)).toMatchObject({ error: { code: 'LIMIT_EXCEEDED', details: { limit: 'header_size' } } });
    const chunked = await rawHttp({ port, send: 'POST /v1/projects HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n' });
    expect(chunked.status).toBe(400);
    expect(JSON.parse(chunked.body)).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    // Headers sent, then 10 of 100 declared bytes, then nothing.
    const stalled = await rawHttp({ port, send: `POST /v1/projects HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":"a`, timeoutMs: 5000 });
    expect(stalled.status).toBe(408);
    expect(JSON.parse(stalled.body)).toMatchObject({ error: { code: 'REQUEST_TIMEOUT' } });
    expect(stalled.elapsedMs).toBeLessThan(3000);
    // Headers that never end.
    const slowHeaders = await rawHttp({ port, send: 'GET /v1/projects HTTP/1.1\r\nHost: x\r\n', timeoutMs: 5000 });
    expect(slowHeaders.status).toBe(408);
    expect(slowHeaders.elapsedMs).toBeLessThan(3000);
  });

  it('answers 413 to a declared oversized upload before reading it, and the client reads the answer instead of a broken pipe', async () => {
    const { app, key } = get();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    const body = Buffer.alloc(4 * 1024 * 1024, 0x61);
    const answer = await new Promise<{ status: number; body: string; error: string | null }>((resolve) => {
      const request = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v1/projects', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': body.length } }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text, error: null }));
      });
      request.on('error', (error: NodeJS.ErrnoException) => resolve({ status: 0, body: '', error: error.code ?? error.message }));
      request.end(body);
    });
    expect(answer.error).toBeNull();
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'LIMIT_EXCEEDED', details: { limit: 'body_size' } } });
  });

  it('answers a cancel with the state it leads to', async () => {
    const { call } = get();
    const project = (await call('POST', '/v1/projects', { name: 'p' })).json as { id: string };
    const session = (await call('POST', `/v1/projects/${project.id}/sessions`, {})).json as { id: string };
    const posted = (await call('POST', `/v1/sessions/${session.id}/messages`, { content: 'work slowly' })).json as { job: { id: string } };
    for (let waited = 0; waited < 5000; waited += 50) {
      if ((await call('GET', `/v1/jobs/${posted.job.id}`)).json.status === 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const cancelled = await call('POST', `/v1/jobs/${posted.job.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ status: 'cancelled', cancelRequested: false });
    // Again: the job is already over.
    expect((await call('POST', `/v1/jobs/${posted.job.id}/cancel`)).json).toMatchObject({ status: 'cancelled', cancelRequested: false });
  });
});
