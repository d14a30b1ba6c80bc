import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sirv from 'sirv';

/** A running static server for one deployment's built output. */
export interface OutputServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `directory` on `host` (port chosen by the system) with sirv: content types, ETags,
 * range requests, no dotfiles, and with `spaFallback` every unknown path answers index.html
 * (client-side routing). Only files under `directory` can be reached.
 */
export async function serveOutput(input: { directory: string; host: string; spaFallback: boolean; onNotFound?: (path: string) => void }): Promise<OutputServer> {
  const handler = sirv(input.directory, { single: input.spaFallback, dev: false, etag: true, dotfiles: false });
  const server: Server = createServer((request, response) => {
    handler(request, response, () => {
      input.onNotFound?.((request.url ?? '/').slice(0, 300));
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('Not Found\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, input.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port that was free a moment ago on `host`, for a server app to listen on. */
export async function findFreePort(host: string): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, host, () => resolve());
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
