import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

/** What a gateway page says: its status, a title and one or two sentences. */
export interface PreviewPage {
  status: number;
  title: string;
  message: string;
  /** Seconds after which the browser reloads the page (a preview still building). */
  retryAfterSeconds?: number;
}

/**
 * Answers with a small HTML page of the gateway's own (never cached), for a preview that is
 * not there: unknown, still building, failed, or unreachable.
 */
export function sendPreviewPage(reply: FastifyReply, page: PreviewPage): FastifyReply {
  return reply.code(page.status).headers(pageHeaders(page)).send(pageHtml(page));
}

/** The same page on a raw response (a proxied request whose upstream failed before answering). */
export function writePreviewPage(response: ServerResponse, page: PreviewPage): void {
  response.writeHead(page.status, pageHeaders(page)).end(pageHtml(page));
}

function pageHeaders(page: PreviewPage): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...(page.retryAfterSeconds === undefined ? {} : { 'retry-after': String(page.retryAfterSeconds) }),
  };
}

function pageHtml(page: PreviewPage): string {
  const refresh = page.retryAfterSeconds === undefined ? '' : `<meta http-equiv="refresh" content="${page.retryAfterSeconds}">`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">${refresh}` +
    `<title>${escapeHtml(page.title)}</title>` +
    '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:15vh auto;padding:0 1rem;color:#222}small{color:#777}</style></head>' +
    `<body><h1>${escapeHtml(page.title)}</h1><p>${escapeHtml(page.message)}</p><small>Vector preview gateway · ${page.status}</small></body></html>`
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
