import { Agent } from 'node:http';
import type { Socket } from 'node:net';
import type { ProviderDeploymentState } from '@vector/core';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createProxyServer } from 'http-proxy-3';
import { type LoggerOption, loggerOptions } from '../plumbing/logger-options.js';
import { parsePreviewAddress } from './parse-preview-address.js';
import { sendPreviewPage, writePreviewPage } from './send-preview-page.js';

/** Where a live preview's own HTTP server listens. */
export interface PreviewUpstream {
  host: string;
  port: number;
}

/**
 * The deployments a gateway serves: `createLocalProvider()`'s result fits as it is, and so
 * does any provider that runs its deployments' servers on this machine.
 */
export interface PreviewSource {
  /** The upstream of a live deployment, by provider deployment id (the `{id}` of the base URL); else null. */
  resolveUpstream(providerDeploymentId: string): PreviewUpstream | null;
  /**
   * The deployment's state, so a request for a preview that is not live says why: still
   * building (503, the page reloads itself), failed (502) or unknown (404). Without it every
   * such request answers 404.
   */
  getStatus?(input: { providerDeploymentId: string }): Promise<Pick<ProviderDeploymentState, 'status' | 'error'>>;
}

/** Options of {@link createPreviewGateway}. */
export interface PreviewGatewayOptions {
  /** The deployments to serve. */
  source: PreviewSource;
  /**
   * A preview's public URL, `{id}` standing for the provider deployment id, e.g.
   * `http://{id}.preview.localhost:3001/` or `https://{id}.preview.example.com/` behind your
   * own TLS proxy. Requests are routed by their `Host` header's name (the port is ignored).
   */
  baseUrl: string;
  /** As `buildServer`'s `logger`. Default: off. */
  logger?: LoggerOption;
}

/**
 * Builds the preview gateway (not listening): a Fastify instance of its own that answers
 * every request whose host is a preview's, `<id>.preview.localhost` by default, by proxying
 * it (any method, bodies streamed both ways, never parsed) to that deployment's upstream,
 * WebSocket upgrades included. The upstream sees `Host: <its own address>` and
 * `X-Forwarded-Host`/`-Proto`/`-For`. A host that is no preview's, or a preview that is not
 * live, gets a small HTML page: 404 (unknown or destroyed), 503 (building; it reloads
 * itself) or 502 (failed, or its server does not answer) — never a 500.
 *
 * Listen on a port of its own, `await gateway.listen({ port: 3001, host })`; closing it ends
 * open connections, WebSockets included, and does not touch the deployments.
 */
export function createPreviewGateway(options: PreviewGatewayOptions): FastifyInstance {
  const address = parsePreviewAddress(options.baseUrl);
  const { source } = options;
  const app = Fastify({
    ...loggerOptions(options.logger),
    forceCloseConnections: true,
    frameworkErrors: (error, _request, reply) => {
      void sendPreviewPage(reply as FastifyReply, { status: 400, title: 'Bad request', message: error.message });
    },
  });
  // http-proxy-3 (a maintained rewrite of node-http-proxy) streams each request and response
  // as is and pipes upgraded sockets; the agent is ours so that closing the gateway ends its
  // keep-alive connections to upstreams.
  const agent = new Agent({ keepAlive: true });
  const proxy = createProxyServer({ agent, changeOrigin: true });
  // Bodies are never read here: each request's stream goes to the upstream as it arrives.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.setErrorHandler((error: { statusCode?: number; message?: string }, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 502;
    if (status === 502) request.log.error({ err: error }, 'preview gateway error');
    return sendPreviewPage(reply, { status, title: status === 502 ? 'Preview unavailable' : 'Bad request', message: status === 502 ? 'The preview gateway could not serve this request.' : (error.message ?? '') });
  });

  app.all('*', async (request, reply) => {
    const id = address.match(request.headers.host);
    if (id === null) {
      return sendPreviewPage(reply, { status: 404, title: 'Not a preview address', message: `This is Vector's preview gateway: previews are at ${address.url('<id>')}.` });
    }
    const upstream = source.resolveUpstream(id);
    if (!upstream) return notLive(request, reply, id);
    reply.hijack();
    const response = reply.raw;
    proxy.web(request.raw, response, { target: targetOf(upstream), headers: forwardedHeaders(request, address.protocol) }, (error) => {
      request.log.warn({ err: error, previewId: id }, 'preview upstream failed');
      if (response.headersSent) response.destroy();
      else writePreviewPage(response, { status: 502, title: 'Preview not answering', message: "The preview's server did not answer; it may have stopped. Its deployment logs say why." });
    });
  });

  const notLive = async (request: FastifyRequest, reply: FastifyReply, id: string) => {
    let state: Pick<ProviderDeploymentState, 'status' | 'error'> | null = null;
    if (source.getStatus) {
      try {
        state = await source.getStatus({ providerDeploymentId: id });
      } catch (error) {
        request.log.warn({ err: error, previewId: id }, 'preview status unavailable');
        return sendPreviewPage(reply, { status: 502, title: 'Preview unavailable', message: "The preview's status could not be read; try again shortly." });
      }
    }
    switch (state?.status) {
      case 'pending':
      case 'building':
        return sendPreviewPage(reply, { status: 503, title: 'Preview building', message: 'This preview is still being built; this page reloads by itself.', retryAfterSeconds: 3 });
      case 'failed':
        if (state.error?.code !== 'DEPLOYMENT_NOT_FOUND') {
          return sendPreviewPage(reply, { status: 502, title: 'Preview failed', message: `This preview failed${state.error ? ` (${state.error.code})` : ''}. Its deployment logs say why.` });
        }
        break;
      case 'live':
        // Live by its state, but its server is gone this instant (it is being replaced or stopped).
        return sendPreviewPage(reply, { status: 502, title: 'Preview not answering', message: "The preview's server is not running right now; try again shortly." });
      default:
        break;
    }
    return sendPreviewPage(reply, { status: 404, title: 'No such preview', message: `There is no live preview ${id} here: it was never deployed, or it was destroyed.` });
  };

  // Upgrades bypass Fastify's router. Both ends of each upgraded connection are tracked, so
  // closing the gateway ends them (Node's server forgets a socket once it is upgraded).
  const upgraded = new Set<Socket>();
  const track = (socket: Socket) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
  };
  proxy.on('open', track);
  // Every call passes its own error callback; this only keeps a stray error from ending the process.
  proxy.on('error', (error) => app.log.warn({ err: error }, 'preview proxy error'));
  app.server.on('upgrade', (request: FastifyRequest['raw'], socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const id = address.match(request.headers.host);
    const upstream = id === null ? null : source.resolveUpstream(id);
    if (!upstream) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    track(socket);
    const forwarded = forwardedHeaders({ headers: request.headers, ip: request.socket.remoteAddress ?? '' }, address.protocol);
    proxy.ws(request, socket, head, { target: targetOf(upstream), headers: forwarded }, (error) => {
      app.log.warn({ err: error, previewId: id }, 'preview WebSocket upstream failed');
      socket.destroy();
    });
  });
  app.addHook('preClose', async () => {
    for (const socket of upgraded) socket.destroy();
  });
  app.addHook('onClose', async () => {
    agent.destroy();
  });
  return app;
}

function targetOf(upstream: PreviewUpstream): string {
  return `http://${upstream.host.includes(':') ? `[${upstream.host}]` : upstream.host}:${upstream.port}`;
}

/** `X-Forwarded-*` for the upstream: the public host and protocol, and the client address appended. */
function forwardedHeaders(request: Pick<FastifyRequest, 'headers' | 'ip'>, protocol: 'http:' | 'https:'): Record<string, string> {
  const previous = request.headers['x-forwarded-for'];
  const chain = [...(Array.isArray(previous) ? previous : previous ? [previous] : []), request.ip].join(', ');
  return { 'x-forwarded-for': chain, 'x-forwarded-host': request.headers.host ?? '', 'x-forwarded-proto': protocol.slice(0, -1) };
}
