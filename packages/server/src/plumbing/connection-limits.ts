import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Limits on connections and on how long a client may take to send its request. */
export interface ConnectionLimits {
  /** Longest a client may take to send a whole request (headers and body); 408 after. Default 60 s. */
  requestTimeoutMs?: number;
  /** Longest a client may take to send the request headers; 408 after. Default 20 s. */
  headersTimeoutMs?: number;
  /** Open connections at most; more are refused. Default 10,000. */
  maxConnections?: number;
}

const reasons: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' };

/** A connection-level failure (before any route runs) as status, stable code and message. */
function classify(error: NodeJS.ErrnoException): { status: number; code: string; message: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'LIMIT_EXCEEDED', message: 'The request headers are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return { status: 408, code: 'REQUEST_TIMEOUT', message: 'The request was not received in time' };
    default:
      return { status: 400, code: 'VALIDATION_FAILED', message: `Malformed request${error.code?.startsWith('HPE_') ? ` (${error.code.slice(4).toLowerCase().replaceAll('_', ' ')})` : ''}` };
  }
}

/**
 * Answers errors Node's HTTP parser raises before Fastify sees a request (oversized headers,
 * malformed chunked bodies, request timeouts) in the server's `{ error: { code, message } }`
 * shape, then closes the connection. A socket that is already gone is just destroyed.
 */
export function answerClientError(error: Error, socket: Socket): void {
  const failure = error as NodeJS.ErrnoException;
  if (failure.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const { status, code, message } = classify(failure);
  const body = JSON.stringify({ error: { code, message, ...(code === 'LIMIT_EXCEEDED' ? { details: { limit: 'header_size' } } : {}) } });
  socket.end(`HTTP/1.1 ${status} ${reasons[status] ?? 'Bad Request'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/**
 * The HTTP server Fastify runs on, with the request and header timeouts set (Node checks them
 * every `connectionsCheckingInterval`, here a tenth of the shorter one, at most a second) and
 * a cap on open connections.
 */
export function createLimitedServer(limits: ConnectionLimits) {
  const requestTimeout = limits.requestTimeoutMs ?? 60_000;
  const headersTimeout = Math.min(limits.headersTimeoutMs ?? 20_000, requestTimeout);
  return (handler: (request: IncomingMessage, response: ServerResponse) => void): Server => {
    const server = createServer({ requestTimeout, headersTimeout, connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(headersTimeout / 10))) }, handler);
    server.maxConnections = limits.maxConnections ?? 10_000;
    return server;
  };
}
