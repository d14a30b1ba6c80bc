import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

/** A request a {@link WebhookReceiver} got. */
export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  /** The raw body, byte for byte as sent. */
  body: string;
}

/** A local HTTP endpoint for webhook deliveries: records every request and answers `status`. */
export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** The status answered (default 202). */
  status: number;
}

/** A receiver started before the file's tests and closed after them. */
export function useWebhookReceiver(): WebhookReceiver {
  const receiver: WebhookReceiver = { url: '', received: [], status: 202 };
  let server: Server | null = null;
  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        receiver.received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(receiver.status).end();
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/github`;
  });
  afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));
  return receiver;
}
