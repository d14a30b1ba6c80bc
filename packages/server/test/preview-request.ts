import { request } from 'node:http';
import type { Socket } from 'node:net';

/** An answer read whole. */
export interface PreviewAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP request to 127.0.0.1:`port` with the given `Host` header, since Node's fetch can't
 * resolve `*.localhost` names (browsers map them to loopback themselves).
 */
export function previewRequest(input: { port: number; host: string; path?: string; method?: string; headers?: Record<string, string>; body?: string | Buffer | AsyncIterable<Buffer> }): Promise<PreviewAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port: input.port, method: input.method ?? 'GET', path: input.path ?? '/', headers: { ...input.headers, host: input.host } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    const body = input.body;
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
      outgoing.end(body);
      return;
    }
    void (async () => {
      for await (const chunk of body) outgoing.write(chunk);
      outgoing.end();
    })().catch(reject);
  });
}

/** Sends an HTTP upgrade with the given `Host`; resolves with the 101 socket, or the status when refused. */
export function previewUpgrade(input: { port: number; host: string; path?: string }): Promise<{ status: number; socket: Socket | null }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({
      host: '127.0.0.1',
      port: input.port,
      path: input.path ?? '/',
      headers: { host: input.host, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    outgoing.on('upgrade', (response, socket) => resolve({ status: response.statusCode ?? 0, socket }));
    outgoing.on('response', (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, socket: null });
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
