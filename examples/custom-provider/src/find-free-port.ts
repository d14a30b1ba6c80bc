import { createServer } from 'node:net';

/**
 * A port nothing listens on right now, found by binding port 0 and releasing it. Another
 * process could take it before the child binds; the deployment then fails to start and
 * reports so, which is acceptable for local previews.
 */
export function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port was assigned'))));
    });
  });
}
