import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPreviewGateway, type PreviewSource } from '../src/index.js';
import { previewRequest, previewUpgrade } from './preview-request.js';

// The gateway on its own, in front of a plain Node upstream, with a hand-made source of
// deployments: routing by host, bodies both ways, WebSocket upgrades, and every page.
describe('the preview gateway', () => {
  let upstream: Server;
  let upstreamPort = 0;
  let deadPort = 0;
  let gateway: FastifyInstance;
  let port = 0;
  const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];
  let releaseStream: () => void = () => undefined;

  beforeAll(async () => {
    upstream = createServer((request, response) => {
      if (request.url === '/stream') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.write('first;');
        releaseStream = () => response.end('second');
        return;
      }
      if (request.url === '/unavailable') {
        seen.push({ method: request.method ?? '', url: request.url, headers: request.headers, body: '' });
        response.writeHead(503, { 'content-type': 'text/plain' }).end('the app says 503');
        return;
      }
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
        response.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' }).end(JSON.stringify({ method: request.method, url: request.url, body }));
      });
    });
    upstream.on('upgrade', (_request, socket: Socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n');
      socket.on('data', (data: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), data])));
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamPort = (upstream.address() as AddressInfo).port;
    // A port nothing listens on: a deployment whose server just died.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    deadPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    const source: PreviewSource = {
      resolveUpstream: (id) => (id === 'lapp1' ? { host: '127.0.0.1', port: upstreamPort } : id === 'ldead' ? { host: '127.0.0.1', port: deadPort } : null),
      getStatus: async ({ providerDeploymentId: id }) => {
        if (id === 'lbuilding') return { status: 'building' };
        if (id === 'lfailed') return { status: 'failed', error: { code: 'BUILD_FAILED', message: 'tsc said <no>' } };
        if (id === 'ldestroyed') return { status: 'destroyed' };
        if (id === 'lbroken') throw new Error('status store down');
        return { status: 'failed', error: { code: 'DEPLOYMENT_NOT_FOUND', message: 'no such deployment' } };
      },
    };
    gateway = createPreviewGateway({ source, baseUrl: 'http://{id}.preview.localhost:3001/' });
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    port = (gateway.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await gateway.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  const host = (id: string) => `${id}.preview.localhost:${port}`;

  it('proxies a request by host name to the upstream, with forwarded headers and the query kept', async () => {
    const answer = await previewRequest({ port, host: host('lapp1'), path: '/some/page?q=a%20b&x=1' });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-upstream']).toBe('yes');
    expect(JSON.parse(answer.body)).toMatchObject({ method: 'GET', url: '/some/page?q=a%20b&x=1' });
    const request = seen.at(-1);
    expect(request?.headers.host).toBe(`127.0.0.1:${upstreamPort}`);
    expect(request?.headers['x-forwarded-host']).toBe(host('lapp1'));
    expect(request?.headers['x-forwarded-proto']).toBe('http');
    expect(request?.headers['x-forwarded-for']).toBe('127.0.0.1');
    // Host names are case-insensitive, and the port of the Host header does not matter.
    expect((await previewRequest({ port, host: 'LAPP1.Preview.Localhost' })).status).toBe(200);
  });

  it('passes bodies through untouched, whatever the method and content type', async () => {
    const json = '{ "spaced":   true }';
    const put = await previewRequest({ port, host: host('lapp1'), method: 'PUT', path: '/items/1', headers: { 'content-type': 'application/json' }, body: json });
    expect(JSON.parse(put.body)).toEqual({ method: 'PUT', url: '/items/1', body: json });
    async function* chunks() {
      for (let index = 0; index < 50; index += 1) yield Buffer.from(`chunk ${index};`);
    }
    const streamed = await previewRequest({ port, host: host('lapp1'), method: 'POST', path: '/upload', body: chunks() });
    expect(JSON.parse(streamed.body).body).toBe(Array.from({ length: 50 }, (_, index) => `chunk ${index};`).join(''));
    const form = await previewRequest({ port, host: host('lapp1'), method: 'PATCH', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=2' });
    expect(JSON.parse(form.body)).toMatchObject({ method: 'PATCH', body: 'a=1&b=2' });
    const removed = await previewRequest({ port, host: host('lapp1'), method: 'DELETE', path: '/items/1' });
    expect(JSON.parse(removed.body)).toMatchObject({ method: 'DELETE' });
  });

  it('streams responses as the upstream writes them', async () => {
    const received = await new Promise<string>((resolve, reject) => {
      import('node:http').then(({ request }) => {
        const outgoing = request({ host: '127.0.0.1', port, path: '/stream', headers: { host: host('lapp1') } }, (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
            // The upstream ends only once the first chunk got through the gateway.
            if (text === 'first;') releaseStream();
          });
          response.on('end', () => resolve(text));
        });
        outgoing.on('error', reject);
        outgoing.end();
      }, reject);
    });
    expect(received).toBe('first;second');
  });

  it("passes the upstream's own error statuses through without retrying", async () => {
    const before = seen.filter((request) => request.url === '/unavailable').length;
    const answer = await previewRequest({ port, host: host('lapp1'), path: '/unavailable' });
    expect(answer.status).toBe(503);
    expect(answer.body).toBe('the app says 503');
    expect(seen.filter((request) => request.url === '/unavailable').length).toBe(before + 1);
  });

  it('answers pages of its own for previews that are not there, never a 500', async () => {
    const notPreview = await previewRequest({ port, host: `127.0.0.1:${port}` });
    expect(notPreview.status).toBe(404);
    expect(notPreview.headers['content-type']).toMatch(/^text\/html/);
    expect(notPreview.body).toContain('Not a preview address');
    expect(notPreview.body).toContain('http://&#60;id&#62;.preview.localhost:3001/');
    expect((await previewRequest({ port, host: 'preview.localhost' })).status).toBe(404);
    expect((await previewRequest({ port, host: 'a.b.preview.localhost' })).status).toBe(404);

    const unknown = await previewRequest({ port, host: host('lnothere') });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain('No such preview');
    expect((await previewRequest({ port, host: host('ldestroyed') })).status).toBe(404);

    const building = await previewRequest({ port, host: host('lbuilding'), path: '/deep/link' });
    expect(building.status).toBe(503);
    expect(building.headers['retry-after']).toBe('3');
    expect(building.headers['cache-control']).toBe('no-store');
    expect(building.body).toContain('http-equiv="refresh"');

    const failed = await previewRequest({ port, host: host('lfailed') });
    expect(failed.status).toBe(502);
    expect(failed.body).toContain('BUILD_FAILED');
    // Build output stays in the deployment logs, not on a page anyone with the URL can open.
    expect(failed.body).not.toContain('tsc said');

    expect((await previewRequest({ port, host: host('lbroken') })).status).toBe(502);
    const dead = await previewRequest({ port, host: host('ldead'), method: 'POST', body: 'x' });
    expect(dead.status).toBe(502);
    expect(dead.body).toContain('Preview not answering');
  });

  it('proxies WebSocket upgrades byte for byte, and refuses those for unknown previews', async () => {
    const { status, socket } = await previewUpgrade({ port, host: host('lapp1'), path: '/socket' });
    expect(status).toBe(101);
    const echoed = await new Promise<string>((resolve) => {
      socket?.once('data', (data: Buffer) => resolve(data.toString('utf8')));
      socket?.write('hello');
    });
    expect(echoed).toBe('echo:hello');
    socket?.destroy();
    expect((await previewUpgrade({ port, host: host('lnothere') })).status).toBe(404);
    expect((await previewUpgrade({ port, host: `127.0.0.1:${port}` })).status).toBe(404);
  });

  it('closes with WebSockets still open', async () => {
    const other = createPreviewGateway({ source: { resolveUpstream: () => ({ host: '127.0.0.1', port: upstreamPort }) }, baseUrl: 'http://{id}.preview.localhost/' });
    await other.listen({ port: 0, host: '127.0.0.1' });
    const otherPort = (other.server.address() as AddressInfo).port;
    const { status, socket } = await previewUpgrade({ port: otherPort, host: 'lany.preview.localhost' });
    expect(status).toBe(101);
    const closed = new Promise((resolve) => socket?.once('close', resolve));
    await other.close();
    await closed;
    // Without getStatus, a preview that is not live is simply not found.
    const plain = createPreviewGateway({ source: { resolveUpstream: () => null }, baseUrl: 'http://{id}.preview.localhost/' });
    const answer = await plain.inject({ method: 'GET', url: '/', headers: { host: 'lx.preview.localhost' } });
    expect(answer.statusCode).toBe(404);
    await plain.close();
  });

  it('refuses a base URL it cannot route by', () => {
    expect(() => createPreviewGateway({ source: { resolveUpstream: () => null }, baseUrl: 'http://localhost:3001/{id}/' })).toThrow(/host name/);
  });
});
