import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryStorage, createScriptedAgent, createStaticProvider, createVector } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { afterEach, expect, it } from 'vitest';
import { launchChromium, skipWithoutChromium } from '../../../test-support/chromium.js';
import { buildServer } from '../src/index.js';
import { bootstrapOrganization } from './server-fixture.js';

/** An agent that reports progress, then waits for `release()` before finishing. */
function gatedAgent() {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const agent = createScriptedAgent({
    script: async function* () {
      yield { type: 'intent', intent: 'edit', detail: 'start' };
      yield { type: 'log', level: 'info', message: 'working' };
      await gate;
      yield { type: 'result', changes: [{ type: 'write', path: 'a.md', content: 'x' }], commitMessage: 'c', summary: 's', validationStatus: 'not_run' };
    },
  });
  return { agent, release };
}

const until = async (check: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

interface Attempt {
  lastEventId: string | undefined;
  status: number | null;
}

// What the page runs: an EventSource on the stream-token URL that, like many clients, does not
// close itself after `done`; everything it sees is kept on `window.seen`.
function followInPage(url: string) {
  const seen: { events: Array<{ type: string; id: string }>; errors: number; readyState: number } = { events: [], errors: 0, readyState: 0 };
  (globalThis as unknown as { seen: typeof seen }).seen = seen;
  const source = new EventSource(url);
  // EventSource reports named events to their own listeners only: one for each type a job emits.
  for (const type of ['status', 'intent', 'plan', 'text_delta', 'tool_call', 'tool_result', 'file_changed', 'validation', 'usage', 'log', 'step', 'result', 'done', 'failed', 'cancelled']) {
    source.addEventListener(type, (event) => seen.events.push({ type, id: (event as MessageEvent).lastEventId }));
  }
  source.onerror = () => {
    seen.errors += 1;
    seen.readyState = source.readyState;
  };
}

describeEachDatabase('a browser follows a job with a stream token', (database) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  });

  it('streams in Chromium through EventSource, and stops it reconnecting once the job is over', async () => {
    if (skipWithoutChromium()) return;
    // The page lives on an origin of its own, as an embedding product's would.
    const page = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>follow</title>'));
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    const pageOrigin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
    cleanup.push(() => new Promise<void>((resolve) => page.close(() => resolve())));

    const connection = await database.create();
    const gated = gatedAgent();
    const vector = createVector({ database: connection, storage: [createMemoryStorage()], providers: [createStaticProvider()], agents: [gated.agent], deploymentPollIntervalMs: 20, jobHeartbeatMs: 50 });
    const app = buildServer({ vector, rateLimit: false, corsOrigins: [pageOrigin] });
    // Every connection attempt on a job's event stream, as the server's socket sees it (before any hook).
    const attempts: Attempt[] = [];
    app.server.on('request', (request, response) => {
      if (request.method !== 'GET' || !/^\/v1\/jobs\/[^/]+\/events\?/.test(request.url ?? '')) return;
      const attempt: Attempt = { lastEventId: request.headers['last-event-id'] as string | undefined, status: null };
      attempts.push(attempt);
      response.on('finish', () => (attempt.status = response.statusCode));
    });
    cleanup.push(async () => {
      gated.release();
      await app.close();
      await vector.dispose();
      await connection.destroy();
    });
    await vector.start();
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const { key } = await bootstrapOrganization(app, 'Browser');
    const call = async (method: string, path: string, body?: unknown) =>
      (await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })).json() as Promise<any>;
    const project = await call('POST', '/v1/projects', { name: 'p' });
    const session = await call('POST', `/v1/projects/${project.id}/sessions`, {});
    const jobId = (await call('POST', `/v1/sessions/${session.id}/messages`, { content: 'hi' })).job.id as string;
    const { token } = await call('POST', `/v1/jobs/${jobId}/stream-token`);
    expect(token).toEqual(expect.any(String));

    const browser = await launchChromium();
    cleanup.push(() => browser.close());
    const tab = await browser.newPage();
    await tab.goto(pageOrigin);
    await tab.evaluate(followInPage, `${base}/v1/jobs/${jobId}/events?access_token=${encodeURIComponent(token)}`);
    const seen = () => tab.evaluate(() => (globalThis as unknown as { seen: { events: Array<{ type: string; id: string }>; errors: number; readyState: number } }).seen);
    await until(async () => (await seen()).events.some((event) => event.type === 'log'), 'the page to receive the running job’s events');
    gated.release();
    await until(async () => (await seen()).events.some((event) => event.type === 'done'), 'the page to receive done');
    const received = (await seen()).events;
    const ids = received.map((event) => Number(event.id));
    expect(ids).toEqual(ids.map((_, index) => index + 1));
    const doneId = received.at(-1)?.id;
    expect(received.at(-1)?.type).toBe('done');

    // The server closed the stream after `done`; the browser reconnects once (after its retry
    // delay, 3 s), is answered 204, and gives up: the EventSource is CLOSED.
    await until(() => attempts.length >= 2 && attempts[1]?.status !== null, 'the reconnect');
    await until(async () => (await seen()).readyState === 2, 'the EventSource to close');
    // Well past another retry delay: no further attempt.
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    expect(attempts).toEqual([
      { lastEventId: undefined, status: 200 },
      { lastEventId: doneId, status: 204 },
    ]);
    expect((await seen()).events).toHaveLength(received.length);
  }, 60_000);
});
