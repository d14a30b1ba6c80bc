import { describeEachDatabase } from '@vector/core/testing';
import { describe, expect, it } from 'vitest';
import { prefersRawFile } from '../src/plumbing/raw-file.js';
import { useServer } from './server-fixture.js';

// Not valid UTF-8 and with NUL bytes: stored and answered as binary.
const pngBytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0x01, 0x80]);
const files = [
  { path: 'index.html', content: '<!doctype html><script>alert(document.cookie)</script><h1>hi</h1>' },
  { path: 'src/app.css', content: 'body { color: rebeccapurple; }\n' },
  { path: 'logo.svg', content: '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>' },
  { path: 'assets/logo.png', content: pngBytes.toString('base64'), encoding: 'base64' },
  { path: 'Dockerfile', content: 'FROM node:24\n' },
  { path: 'notes/ünïcode file.txt', content: 'grüße ✓\n' },
];

describeEachDatabase('raw files: GET /v1/versions/:id/files/<path>', (database) => {
  const get = useServer(database);

  async function version() {
    const { call } = get();
    const project = (await call('POST', '/v1/projects', { name: 'raw' })).json;
    const created = await call('POST', `/v1/projects/${project.id}/versions`, { parentVersionId: null, files, message: 'v1' });
    expect(created.status).toBe(201);
    return created.json.id as string;
  }

  async function fetchFile(url: string, headers: Record<string, string> = {}, key = get().key) {
    return get().app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}`, ...headers } });
  }

  it('keeps the JSON wrapper as the default, also for */* and browsers-style Accept lists that rank JSON first', async () => {
    const id = await version();
    for (const accept of [undefined, '*/*', 'application/json', 'application/json, text/css', 'text/css;q=0.5, application/json']) {
      const response = await fetchFile(`/v1/versions/${id}/files/src/app.css`, accept ? { accept } : {});
      expect(response.statusCode, accept).toBe(200);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(response.headers.vary).toMatch(/accept/i);
      expect(response.json()).toEqual({ path: 'src/app.css', content: 'body { color: rebeccapurple; }\n', encoding: 'utf8', size: 31 });
    }
    // `?raw=0` wins over an Accept that would pick the bytes.
    const forced = await fetchFile(`/v1/versions/${id}/files/src/app.css?raw=0`, { accept: 'application/octet-stream' });
    expect(forced.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('answers text with its type and charset=utf-8, by ?raw=1 or by Accept', async () => {
    const id = await version();
    for (const [query, accept] of [['?raw=1', undefined], ['?raw=true', 'application/json'], ['', 'text/css'], ['', 'application/octet-stream'], ['', 'text/plain']] as const) {
      const response = await fetchFile(`/v1/versions/${id}/files/src/app.css${query}`, accept ? { accept } : {});
      expect(response.statusCode, `${query} ${accept}`).toBe(200);
      expect(response.headers['content-type']).toBe('text/css; charset=utf-8');
      expect(response.body).toBe('body { color: rebeccapurple; }\n');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
      expect(response.headers['content-disposition']).toBeUndefined();
    }
    // Text with an unknown extension is plain text; a non-ASCII name and content round-trip.
    const dockerfile = await fetchFile(`/v1/versions/${id}/files/Dockerfile?raw=1`);
    expect(dockerfile.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(dockerfile.body).toBe('FROM node:24\n');
    const unicode = await fetchFile(`/v1/versions/${id}/files/${encodeURI('notes/ünïcode file.txt')}?raw=1`);
    expect(unicode.statusCode).toBe(200);
    expect(unicode.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(unicode.rawPayload.equals(Buffer.from('grüße ✓\n', 'utf8'))).toBe(true);
  });

  it('answers binary files byte for byte', async () => {
    const id = await version();
    const response = await fetchFile(`/v1/versions/${id}/files/assets/logo.png`, { accept: 'image/png' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('image/png');
    expect(response.headers['content-length']).toBe(String(pngBytes.length));
    expect(response.rawPayload.equals(pngBytes)).toBe(true);
    // The JSON wrapper still says base64.
    const json = (await fetchFile(`/v1/versions/${id}/files/assets/logo.png`)).json();
    expect(json).toMatchObject({ encoding: 'base64', size: pngBytes.length });
    expect(Buffer.from(json.content as string, 'base64').equals(pngBytes)).toBe(true);
  });

  it('sandboxes HTML and SVG and sends them as downloads, so they cannot run script on the API origin', async () => {
    const id = await version();
    const html = await fetchFile(`/v1/versions/${id}/files/index.html`, { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.body).toBe(files[0]?.content);
    expect(html.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
    expect(html.headers['x-content-type-options']).toBe('nosniff');
    expect(html.headers['content-disposition']).toBe("attachment; filename*=UTF-8''index.html");
    const svg = await fetchFile(`/v1/versions/${id}/files/logo.svg?raw=1`);
    expect(svg.headers['content-type']).toBe('image/svg+xml; charset=utf-8');
    expect(svg.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
    expect(svg.headers['content-disposition']).toBe("attachment; filename*=UTF-8''logo.svg");
  });

  it("answers 404 for a missing path and for another organization's version, raw or not", async () => {
    const id = await version();
    for (const query of ['', '?raw=1']) {
      const missing = await fetchFile(`/v1/versions/${id}/files/missing.txt${query}`);
      expect(missing.statusCode).toBe(404);
      expect(missing.headers['content-type']).toMatch(/^application\/json/);
      expect(missing.json().error.code).toBe('NOT_FOUND');
      const foreign = await fetchFile(`/v1/versions/${id}/files/src/app.css${query}`, { accept: 'application/octet-stream' }, get().otherKey);
      expect(foreign.statusCode).toBe(404);
      expect(foreign.body).not.toContain('rebeccapurple');
    }
    expect((await fetchFile(`/v1/versions/${id}/files/src/app.css?raw=yes`)).statusCode).toBe(400);
  });

  it('describes both answers in the OpenAPI document', async () => {
    const document = (await get().app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    const operation = document.paths['/v1/versions/{versionId}/files/{*}'].get;
    expect(Object.keys(operation.responses['200'].content).sort()).toEqual(['application/json', 'application/octet-stream']);
    expect(operation.parameters.map((parameter: { name: string }) => parameter.name)).toContain('raw');
  });
});

describe('prefersRawFile', () => {
  const css = 'text/css; charset=utf-8';
  it.each([
    [undefined, false],
    ['', false],
    ['*/*', false],
    ['application/*', false],
    ['application/json', false],
    ['text/css, application/json', true],
    ['application/json;q=0.9, text/css', true],
    ['application/json;q=0, */*', true],
    ['application/octet-stream', true],
    ['image/png', true],
  ])('Accept %j → raw %s', (accept, raw) => {
    expect(prefersRawFile({ raw: undefined, accept, contentType: css })).toBe(raw);
  });
});
