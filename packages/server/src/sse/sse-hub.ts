import { type MeterProvider, metrics, ValueType } from '@opentelemetry/api';
import { SERVER_METER_NAME } from '../plumbing/server-meter-name.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { maxSqlInteger } from '../plumbing/http-schemas.js';

/** One Server-Sent Event. */
export interface SseEvent {
  id?: string | number;
  event?: string;
  data: unknown;
}

/** The wire form of one event: `id:` and `event:` lines, one `data:` line of JSON, a blank line. */
export function encodeSseFrame(event: SseEvent): string {
  let frame = '';
  if (event.id !== undefined) frame += `id: ${event.id}\n`;
  if (event.event) frame += `event: ${event.event}\n`;
  // JSON never contains raw newlines, so one data line carries the whole payload.
  return `${frame}data: ${JSON.stringify(event.data)}\n\n`;
}

/** One open Server-Sent Events stream. */
export interface SseStream {
  /** Sends one event; `id` becomes the client's `Last-Event-ID` on reconnect. */
  send(event: SseEvent): void;
  /** Sends a frame made by {@link encodeSseFrame} (to encode an event once for many streams). */
  sendFrame(frame: string): void;
  /** Ends the stream (idempotent). */
  close(): void;
  readonly closed: boolean;
  /** Runs once when the stream ends, whoever ended it. */
  onClose(listener: () => void): void;
}

/** Opens SSE streams and closes them all on shutdown. */
export interface SseHub {
  open(request: FastifyRequest, reply: FastifyReply): SseStream;
  /** Ends every open stream (graceful shutdown). */
  closeAll(): void;
  readonly size: number;
}

/** Creates the hub; `heartbeatMs` keeps proxies from closing idle streams. */
export function createSseHub(options: { heartbeatMs: number; meterProvider?: MeterProvider; metered?: boolean }): SseHub {
  const open = new Set<SseStream>();
  if (options.metered !== false) {
    // Read when metrics are collected: the streams open on this process.
    const clients = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SERVER_METER_NAME).createObservableUpDownCounter('vector.sse.clients', {
      description: 'Server-Sent Event streams open (job events and deployment logs)',
      unit: '{client}',
      valueType: ValueType.INT,
    });
    clients.addCallback((result) => result.observe(open.size));
  }
  return {
    get size() {
      return open.size;
    },
    open(request, reply) {
      // Headers set by hooks (CORS, security headers) live on the reply; carry them over.
      const inherited: Record<string, string | number | string[]> = {};
      for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) inherited[name] = value;
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...inherited,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write(': stream opened\n\n');
      const listeners: Array<() => void> = [];
      let closed = false;
      const finish = () => {
        // Stryker disable next-line ConditionalExpression: unguarded, a second run would repeat only idempotent steps (interval already cleared, stream already out of the set, listeners already taken)
        if (closed) return;
        closed = true;
        // Stryker disable next-line CallExpression: the heartbeat checks `closed` as well; clearing it frees the timer
        clearInterval(heartbeat);
        open.delete(stream);
        for (const listener of listeners.splice(0)) listener();
      };
      const heartbeat = setInterval(() => {
        // Stryker disable next-line ConditionalExpression,BooleanLiteral: the timer is cleared when the stream closes; this guard is the second of two
        if (!closed) raw.write(': ping\n\n');
      }, options.heartbeatMs);
      // Stryker disable next-line OptionalChaining: Node's timers always have unref
      heartbeat.unref?.();
      const stream: SseStream = {
        get closed() {
          return closed;
        },
        send(event) {
          if (!closed) raw.write(encodeSseFrame(event));
        },
        sendFrame(frame) {
          if (!closed) raw.write(frame);
        },
        close() {
          // Stryker disable next-line ConditionalExpression: unguarded, a second close would only rerun the guarded finish() and end(), which Node ignores on a response already ended or whose client left
          if (closed) return;
          finish();
          raw.end();
        },
        onClose(listener) {
          if (closed) listener();
          else listeners.push(listener);
        },
      };
      // The response closes when it ends and when the client leaves (before the request does).
      raw.on('close', finish);
      open.add(stream);
      return stream;
    },
    closeAll() {
      for (const stream of [...open]) stream.close();
    },
  };
}

/**
 * The `Last-Event-ID` header (or `?lastEventId=`) as a sequence number; 0 when absent. One past
 * any sequence there can be counts as the largest (it is past the last event all the same).
 */
export function lastEventIdOf(request: FastifyRequest, fromQuery: number | undefined): number {
  const header = request.headers['last-event-id'];
  const value = Array.isArray(header) ? header[0] : header;
  const parsed = value === undefined ? Number.NaN : Number.parseInt(value, 10);
  if (Number.isSafeInteger(parsed) && parsed >= 0) return Math.min(parsed, maxSqlInteger);
  return Math.min(fromQuery ?? 0, maxSqlInteger);
}
