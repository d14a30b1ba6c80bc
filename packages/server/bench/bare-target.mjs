// The peer: bare Fastify, in its own process, serving the same JSON body and the same SSE frames.
import Fastify from 'fastify';
import { clock, serveParent } from './bench-target.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const [filesBody, sampleEvent] = await new Promise((resolve) => process.once('message', (message) => resolve([message.filesBody, message.sampleEvent])));

const app = Fastify({ logger: false });
app.get('/files', async (_request, reply) => reply.type('application/json').send(filesBody));
const clients = new Set();
app.get('/events', (request, reply) => {
  reply.hijack();
  reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  reply.raw.write(': stream opened\n\n');
  clients.add(reply.raw);
  request.raw.on('close', () => clients.delete(reply.raw));
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });

serveParent(
  { url },
  {
    clients: () => clients.size,
    // Pushes `events` frames `delayMs` apart to every open stream, then ends them all.
    async push({ events, delayMs }) {
      const sentAt = [];
      for (let sequence = 1; sequence <= events; sequence += 1) {
        if (sequence > 1) await sleep(delayMs);
        const frame = `id: ${sequence}\nevent: log\ndata: ${JSON.stringify({ ...sampleEvent, sequence })}\n\n`;
        sentAt.push([sequence, clock()]);
        for (const raw of clients) raw.write(frame);
      }
      for (const raw of clients) raw.end();
      return sentAt;
    },
    close: async () => {
      await app.close();
      setImmediate(() => process.exit(0));
      return true;
    },
  },
);
