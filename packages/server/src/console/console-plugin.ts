import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { consoleAssetsDir } from '@vector/console';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Options of {@link consolePlugin}. */
export interface ConsolePluginOptions {
  /** The built console (its `index.html` and `assets/`). Default: `@vector/console`'s `consoleAssetsDir()`. */
  assetsDir?: string;
}

/**
 * The console's Content-Security-Policy: its own scripts, styles and API only. No inline code,
 * no other origin (previews open in their own tabs), never framed.
 */
export const consoleContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const routeConfig = { auth: false, rateLimit: false } as const;

/**
 * Serves the web console at `/console`: hashed assets under `/console/assets/` (cached for a
 * year), and `index.html` for `/console` and every other path below it (the app routes itself),
 * never cached. The page holds no secret: it asks the user for an API key and talks to the
 * public `/v1` API like any other client. Without a built console, `/console` answers 503 with
 * how to build it.
 */
export async function consolePlugin(app: FastifyInstance, options: ConsolePluginOptions): Promise<void> {
  const root = options.assetsDir ?? consoleAssetsDir();
  const built = existsSync(join(root, 'index.html'));
  const secure = (reply: FastifyReply) => reply.header('content-security-policy', consoleContentSecurityPolicy).header('x-content-type-options', 'nosniff');

  if (!built) {
    app.log.warn(`The console is not built (no ${join(root, 'index.html')}): /console answers 503. Build it with \`pnpm --filter @vector/console build\`.`);
    const notBuilt = async (_request: unknown, reply: FastifyReply) =>
      secure(reply)
        .code(503)
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .send('The Vector console is not built on this server. Build it with `pnpm --filter @vector/console build` (or `pnpm build`), then restart the server.\n');
    app.get('/console', { config: routeConfig, schema: { hide: true } }, notBuilt);
    app.get('/console/*', { config: routeConfig, schema: { hide: true } }, notBuilt);
    return;
  }

  await app.register(fastifyStatic, { root, serve: false, decorateReply: true });
  const sendIndex = async (_request: unknown, reply: FastifyReply) => secure(reply).header('cache-control', 'no-cache').sendFile('index.html', root, { cacheControl: false });
  app.get('/console', { config: routeConfig, schema: { hide: true } }, sendIndex);
  app.get<{ Params: { '*': string } }>('/console/*', { config: routeConfig, schema: { hide: true } }, async (request, reply) => {
    const path = request.params['*'];
    // Vite names every asset by its content's hash: a name never changes meaning.
    if (path.startsWith('assets/')) return secure(reply).sendFile(path, root, { maxAge: '365d', immutable: true });
    return sendIndex(request, reply);
  });
}
