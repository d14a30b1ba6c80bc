import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isValidFilePath } from '../files/path-rules.js';
import type { SourceFile } from '../schemas/source-file.js';
import { contentTypeFor } from './content-type.js';

/** A running server for one deployment's files. */
export interface StaticFileServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `files` over HTTP on `host`, port 0. Requests are answered from the in-memory map
 * only (never the disk), so no URL can reach anything outside the deployment.
 */
export async function startStaticFileServer(input: {
  files: ReadonlyArray<SourceFile>;
  host: string;
  onRequest?: (entry: { method: string; path: string; status: number }) => void;
}): Promise<StaticFileServer> {
  const files = new Map(input.files.map((file) => [file.path, file.content]));
  const server = createServer((request, response) => {
    const status = respond(files, request, response);
    input.onRequest?.({ method: request.method ?? 'GET', path: (request.url ?? '/').slice(0, 300), status });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, input.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostname = input.host.includes(':') ? `[${input.host}]` : input.host;
  return { url: `http://${hostname}:${port}/`, close: () => closeServer(server) };
}

function respond(files: ReadonlyMap<string, Uint8Array>, request: IncomingMessage, response: ServerResponse): number {
  const send = (status: number, body: string | Uint8Array, headers: Record<string, string | number> = {}): number => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    response.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': bytes.byteLength,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...headers,
    });
    response.end(request.method === 'HEAD' ? undefined : bytes);
    return status;
  };
  if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'Method Not Allowed\n', { allow: 'GET, HEAD' });
  const path = lookupPath(request.url ?? '/');
  if (path === null) return send(400, 'Bad Request\n');
  const candidates = path === '' ? ['index.html'] : path.endsWith('/') ? [`${path}index.html`] : [path, `${path}/index.html`];
  for (const candidate of candidates) {
    const content = isValidFilePath(candidate) ? files.get(candidate) : undefined;
    if (content !== undefined) return send(200, content, { 'content-type': contentTypeFor(candidate) });
  }
  return send(404, 'Not Found\n');
}

/** The request's path without the leading `/`, decoded; null when it cannot be decoded. */
function lookupPath(rawUrl: string): string | null {
  try {
    return decodeURIComponent(new URL(rawUrl, 'http://static.invalid').pathname).replace(/^\/+/, '');
  } catch {
    return null;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    // Keep-alive sockets would hold close() open; a destroyed deployment serves nothing more.
    server.closeAllConnections();
  });
}
