import { ValueType } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import Fastify, { type FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createSequenceFollower } from '../src/sse/follow-sequence.js';
import { createSseHub, encodeSseFrame, lastEventIdOf, type SseStream } from '../src/sse/sse-hub.js';

type Item = { sequence: number };
const items = (...sequences: number[]): Item[] => sequences.map((sequence) => ({ sequence }));

/** A follower over `history`, recording what it delivers and every read it makes. */
function follow(history: Item[], startAfter: number | (() => Promise<number>) = 0, pageSize = 500) {
  const delivered: number[] = [];
  const reads: number[] = [];
  const errors: unknown[] = [];
  const follower = createSequenceFollower<Item>({
    startAfter,
    readAfter: async (after) => {
      reads.push(after);
      return history.filter((item) => item.sequence > after).slice(0, pageSize);
    },
    deliver: (item) => delivered.push(item.sequence),
    onError: (error) => errors.push(error),
  });
  return { follower, delivered, reads, errors };
}

/** Polls `check` until it holds or about a second has passed (the expectations after it judge). */
async function settled(check: () => boolean) {
  for (let attempt = 0; attempt < 200 && !check(); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('the sequence follower behind every SSE stream', () => {
  it('replays history after the client’s last sequence, page after page, until a page is empty', async () => {
    const { follower, delivered, reads } = follow(items(1, 2, 3, 4, 5), 2, 2);
    await follower.replay();
    expect(delivered).toEqual([3, 4, 5]);
    expect(reads).toEqual([2, 4, 5]);
    expect(follower.lastSequence).toBe(5);
  });

  it('delivers the next live item at once, drops what the client has, and reads a gap from history first', async () => {
    const history = items(1, 2, 3, 4);
    const { follower, delivered, reads } = follow(history, 1);
    follower.push({ sequence: 2 });
    // Delivered synchronously: nothing was being read.
    expect(delivered).toEqual([2]);
    follower.push({ sequence: 2 });
    follower.push({ sequence: 1 });
    expect(delivered).toEqual([2]);
    expect(reads).toEqual([]);
    // 4 skips 3: history fills the gap, in order, and 4 is not sent twice.
    follower.push({ sequence: 4 });
    expect(delivered).toEqual([2]);
    await follower.replay();
    expect(delivered).toEqual([2, 3, 4]);
    expect(reads[0]).toBe(2);
  });

  it('holds live items back while a read is under way, then delivers them in order', async () => {
    const { follower, delivered } = follow(items(1, 2), 0);
    const replaying = follower.replay();
    // Offered during the replay: 3 is next only after 1 and 2, which the replay is reading.
    follower.push({ sequence: 3 });
    follower.push({ sequence: 2 });
    expect(delivered).toEqual([]);
    await replaying;
    await follower.replay();
    expect(delivered).toEqual([1, 2, 3]);
  });

  it('waits for a computed starting point before delivering anything, and drops what lies before it', async () => {
    let answer: (value: number) => void = () => undefined;
    const { follower, delivered } = follow(items(1, 2, 3, 4), () => new Promise<number>((resolve) => (answer = resolve)));
    follower.push({ sequence: 1 });
    follower.push({ sequence: 3 });
    expect(delivered).toEqual([]);
    // The starting point is asked for on the queue: let it get there.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(delivered).toEqual([]);
    answer(2);
    await follower.replay();
    expect(delivered).toEqual([3, 4]);
    expect(follower.lastSequence).toBe(4);
  });

  it('reports a failed read once, and after stop() neither delivers nor reports', async () => {
    const errors: unknown[] = [];
    const delivered: number[] = [];
    let fail = true;
    const follower = createSequenceFollower<Item>({
      startAfter: 0,
      readAfter: async (after) => {
        if (fail) throw new Error('database away');
        return items(1).filter((item) => item.sequence > after);
      },
      deliver: (item) => delivered.push(item.sequence),
      onError: (error) => errors.push(error),
    });
    await follower.replay();
    expect(errors).toEqual([new Error('database away')]);
    // The chain goes on after a failure.
    fail = false;
    await follower.replay();
    expect(delivered).toEqual([1]);
    follower.stop();
    follower.push({ sequence: 2 });
    fail = true;
    await follower.replay();
    expect(delivered).toEqual([1]);
    expect(errors).toHaveLength(1);
  });

  it('reads nothing more once stopped', async () => {
    const { follower, delivered, reads } = follow(items(1));
    await follower.replay();
    expect(reads).toEqual([0, 1]);
    follower.stop();
    await follower.replay();
    expect(reads).toEqual([0, 1]);
    expect(delivered).toEqual([1]);
  });

  it('does not report a read that fails after stop()', async () => {
    let reject: ((error: Error) => void) | undefined;
    const errors: unknown[] = [];
    const follower = createSequenceFollower<Item>({
      startAfter: 0,
      readAfter: () => new Promise<Item[]>((_, fail) => (reject = fail)),
      deliver: () => undefined,
      onError: (error) => errors.push(error),
    });
    const replaying = follower.replay();
    // The read is under way when the client leaves; it fails afterwards.
    await settled(() => reject !== undefined);
    follower.stop();
    reject?.(new Error('database away'));
    await replaying;
    expect(errors).toEqual([]);
  });

  it('delivers the next live item at once again when its reads are done, failed ones included', async () => {
    let fail = false;
    const delivered: number[] = [];
    const follower = createSequenceFollower<Item>({
      startAfter: () => Promise.resolve(0),
      readAfter: async (after) => {
        if (fail) throw new Error('database away');
        return items(1, 2).filter((item) => item.sequence > after);
      },
      deliver: (item) => delivered.push(item.sequence),
      onError: () => undefined,
    });
    await follower.replay();
    expect(delivered).toEqual([1, 2]);
    follower.push({ sequence: 3 });
    expect(delivered).toEqual([1, 2, 3]);
    fail = true;
    await follower.replay();
    follower.push({ sequence: 4 });
    expect(delivered).toEqual([1, 2, 3, 4]);
  });

  it('while a read is under way, delivers a queued next item itself, reads one that skips ahead from history, and drops old ones without a read', async () => {
    let answer: ((value: number) => void) | undefined;
    const { follower, delivered, reads } = follow(items(1, 2, 3, 4, 5), () => new Promise<number>((resolve) => (answer = resolve)));
    for (const sequence of [1, 2, 3, 5]) follower.push({ sequence });
    // The starting point is asked for on the queue; the pushes wait behind it.
    await settled(() => answer !== undefined);
    answer?.(2);
    await settled(() => delivered.length >= 3);
    await follower.replay();
    expect(delivered).toEqual([3, 4, 5]);
    // 3 came with the push; only 5's gap (4) was read, and the replay found nothing after 5.
    expect(reads).toEqual([3, 5, 5]);
  });
});

describe('SSE frames and Last-Event-ID', () => {
  it('encodes id (0 included), event name and one data line of JSON', () => {
    expect(encodeSseFrame({ id: 7, event: 'text_delta', data: { text: 'a\nb' } })).toBe('id: 7\nevent: text_delta\ndata: {"text":"a\\nb"}\n\n');
    expect(encodeSseFrame({ id: 0, data: 1 })).toBe('id: 0\ndata: 1\n\n');
    expect(encodeSseFrame({ event: '', data: null })).toBe('data: null\n\n');
  });

  it('reads the header first, then the query, else 0, clamped to the largest sequence there can be', () => {
    const request = (header?: string | string[]) => ({ headers: header === undefined ? {} : { 'last-event-id': header } }) as unknown as FastifyRequest;
    expect(lastEventIdOf(request('12'), 5)).toBe(12);
    expect(lastEventIdOf(request('0'), 5)).toBe(0);
    expect(lastEventIdOf(request(['9', '3']), undefined)).toBe(9);
    expect(lastEventIdOf(request('not a number'), 5)).toBe(5);
    expect(lastEventIdOf(request('-3'), 5)).toBe(5);
    expect(lastEventIdOf(request(), 5)).toBe(5);
    expect(lastEventIdOf(request(), undefined)).toBe(0);
    expect(lastEventIdOf(request('99999999999'), undefined)).toBe(2_147_483_647);
    expect(lastEventIdOf(request('99999999999999999999'), 4)).toBe(4);
    expect(lastEventIdOf(request(), 99_999_999_999)).toBe(2_147_483_647);
  });
});

describe('the SSE hub', () => {
  /** A Fastify server whose one route opens a hub stream (after a hook set a header), and a reader of the raw bytes. */
  async function served(heartbeatMs: number) {
    const hub = createSseHub({ heartbeatMs, metered: false });
    const app = Fastify();
    const streams: SseStream[] = [];
    app.addHook('onRequest', async (_request, reply) => {
      void reply.header('x-from-hook', 'kept');
    });
    app.get('/stream', async (request, reply) => {
      streams.push(hub.open(request, reply));
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    return { hub, app, streams, base };
  }
  const decoder = new TextDecoder();

  it('answers 200 with the event-stream headers (and those hooks set), opens with a comment, and sends a heartbeat while idle', async () => {
    const { hub, app, streams, base } = await served(30);
    try {
      const controller = new AbortController();
      const response = await fetch(`${base}/stream`, { signal: controller.signal });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
      expect(response.headers.get('x-accel-buffering')).toBe('no');
      expect(response.headers.get('connection')).toBe('keep-alive');
      expect(response.headers.get('x-from-hook')).toBe('kept');
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      while (!text.includes(': ping\n\n')) text += decoder.decode((await reader.read()).value);
      expect(text.startsWith(': stream opened\n\n')).toBe(true);
      expect(hub.size).toBe(1);
      streams[0]?.send({ id: 1, event: 'x', data: { a: 1 } });
      streams[0]?.sendFrame(encodeSseFrame({ id: 2, data: 'b' }));
      while (!text.includes('id: 2')) text += decoder.decode((await reader.read()).value);
      expect(text).toContain('id: 1\nevent: x\ndata: {"a":1}\n\nid: 2\ndata: "b"\n\n');
      controller.abort();
    } finally {
      hub.closeAll();
      await app.close();
    }
  });

  it('counts its open streams in a vector.sse.clients gauge of whole clients; an unmetered hub registers none', async () => {
    const readers = [0, 1].map(() => new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)).map((exporter) => ({ exporter, reader: new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 }) }));
    const [metered, unmetered] = readers.map(({ reader }) => new MeterProvider({ readers: [reader] }));
    createSseHub({ heartbeatMs: 1_000, meterProvider: metered });
    createSseHub({ heartbeatMs: 1_000, meterProvider: unmetered, metered: false });
    const collected = async (index: number) => {
      const { exporter, reader } = readers[index] as (typeof readers)[number];
      await reader.forceFlush();
      return exporter.getMetrics().flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
    };
    const [gauge] = await collected(0);
    expect(gauge?.descriptor).toMatchObject({ name: 'vector.sse.clients', description: 'Server-Sent Event streams open (job events and deployment logs)', unit: '{client}', valueType: ValueType.INT });
    expect(gauge?.dataPoints.map((point) => point.value)).toEqual([0]);
    expect(await collected(1)).toEqual([]);
    await Promise.all([metered, unmetered].map((provider) => provider?.shutdown()));
  });

  it('takes the response over from Fastify: a handler failing after it opened a stream is logged once, and the stream stays open', async () => {
    const lines: Array<{ level: number; msg: string; err?: { message: string } }> = [];
    const hub = createSseHub({ heartbeatMs: 1_000, metered: false });
    const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => lines.push(JSON.parse(line)) } } });
    app.get('/stream', async (request, reply) => {
      hub.open(request, reply);
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new Error('failed after opening');
    });
    app.get('/ping', async () => 'pong');
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const response = await fetch(`${base}/stream`);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      expect(decoder.decode((await reader.read()).value)).toBe(': stream opened\n\n');
      const problems = () => lines.filter((line) => line.level >= 40);
      for (let waited = 0; problems().length === 0 && waited < 2_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      // One more request through the server: whatever the failure led to is logged by then.
      expect(await (await fetch(`${base}/ping`)).text()).toBe('pong');
      expect(problems().map((line) => line.err?.message)).toEqual(['failed after opening']);
      expect(hub.size).toBe(1);
      await reader.cancel();
    } finally {
      hub.closeAll();
      await app.close();
    }
  });

  it('closes once: listeners run once, whoever ends the stream, nothing is written after, and the hub forgets it', async () => {
    const { hub, app, streams, base } = await served(20);
    try {
      // The server ends it.
      const first = await fetch(`${base}/stream`);
      const ended: string[] = [];
      streams[0]?.onClose(() => ended.push('a'));
      streams[0]?.close();
      streams[0]?.close();
      streams[0]?.send({ data: 'late' });
      streams[0]?.sendFrame('data: late\n\n');
      expect(await first.text()).toBe(': stream opened\n\n');
      expect(streams[0]?.closed).toBe(true);
      // A listener added after the end runs at once.
      streams[0]?.onClose(() => ended.push('b'));
      expect(ended).toEqual(['a', 'b']);
      // The client ends it.
      const controller = new AbortController();
      const second = await fetch(`${base}/stream`, { signal: controller.signal });
      await (second.body as ReadableStream<Uint8Array>).getReader().read();
      streams[1]?.onClose(() => ended.push('c'));
      expect(hub.size).toBe(1);
      controller.abort();
      for (let waited = 0; hub.size > 0 && waited < 2_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(hub.size).toBe(0);
      expect(streams[1]?.closed).toBe(true);
      // No more heartbeats are written to a closed stream (writing would throw after end).
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(ended).toEqual(['a', 'b', 'c']);
      // closeAll ends every open stream.
      const third = fetch(`${base}/stream`).then((response) => response.text());
      for (let waited = 0; hub.size < 1 && waited < 2_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      hub.closeAll();
      expect((await third).startsWith(': stream opened\n\n')).toBe(true);
      expect(hub.size).toBe(0);
    } finally {
      await app.close();
    }
  });
});
