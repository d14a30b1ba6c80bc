import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';

/** A running `@modelcontextprotocol/server-everything` (the MCP project's reference server), over Streamable HTTP. */
export interface EverythingServer {
  /** `http://127.0.0.1:<port>/mcp` */
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts server-everything on a free port (it reads `PORT`; the first argument picks the
 * transport) and resolves once it says it listens. Its environment is only PATH and PORT.
 */
export async function startEverythingServer(options: { transport?: 'streamableHttp' | 'sse'; resolveFrom: string }): Promise<EverythingServer> {
  const transport = options.transport ?? 'streamableHttp';
  const entry = join(dirname(createRequire(options.resolveFrom).resolve('@modelcontextprotocol/server-everything/package.json')), 'dist/index.js');
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    const child: ChildProcess = spawn(process.execPath, [entry, transport], { env: { PATH: process.env.PATH ?? '', PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
    const ready = await new Promise<boolean>((resolve) => {
      let output = '';
      const timer = setTimeout(() => resolve(false), 15_000);
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (/listening on port|running on port/i.test(output)) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (!ready) {
      child.kill('SIGKILL');
      continue;
    }
    return {
      url: `http://127.0.0.1:${port}/${transport === 'sse' ? 'sse' : 'mcp'}`,
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    };
  }
  throw new Error('server-everything did not start');
}

/** A plain HTTP server answering every request with one status and body: a URL that refuses credentials (401) or does not speak MCP (HTML). */
export async function startPlainServer(status: number, body: string, contentType = 'text/plain'): Promise<{ url: string; requests: Array<{ headers: Record<string, unknown> }>; stop(): Promise<void> }> {
  const requests: Array<{ headers: Record<string, unknown> }> = [];
  const server: Server = createServer((request, response) => {
    requests.push({ headers: { ...request.headers } });
    request.resume();
    response.writeHead(status, { 'content-type': contentType }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/mcp`, requests, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
