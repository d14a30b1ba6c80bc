import { mkdirSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createMemoryStorage, createScriptedAgent, createStaticProvider, createVector, type AgentEvent, type AgentRunContext, type Vector, type VectorDatabaseConnection } from '@vector/core';
import type { TestDatabase } from '@vector/core/testing';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { buildServer } from '../src/index.js';
import { bootstrapOrganization } from './server-fixture.js';

/** Where the browser tests put their screenshots (gitignored), for a reviewer to look at. */
export const screenshotDir = fileURLToPath(new URL('../../../.test-artifacts/console/', import.meta.url));

/** Saves a full-page screenshot as `<name>.png` under {@link screenshotDir}. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: `${screenshotDir}${name}.png`, fullPage: true });
}

/** Opens and closes gates the agent waits at, one per message. */
export class Gates {
  private readonly waiting = new Map<number, () => void>();
  private readonly opened = new Set<number>();
  readonly closed = new Set<number>();

  /** Resolves once `open(run)` was called, at once for runs not gated. */
  wait(run: number): Promise<void> {
    if (!this.closed.has(run) || this.opened.has(run)) return Promise.resolve();
    return new Promise((resolve) => this.waiting.set(run, resolve));
  }

  open(run: number): void {
    this.opened.add(run);
    this.waiting.get(run)?.();
  }

  openAll(): void {
    for (const run of this.closed) this.open(run);
  }
}

/**
 * The scripted model of the console tests: streams its reply in a few pieces, calls a tool,
 * writes `index.html` with the message as its heading, passes validation and reports one
 * priced model step. Runs whose number is in `gates.closed` stop after the first half of
 * the text until the test opens their gate.
 */
export function consoleAgentScript(gates: Gates) {
  let runs = 0;
  return async function* (context: AgentRunContext): AsyncGenerator<AgentEvent> {
    runs += 1;
    const run = runs;
    const message = context.message.content;
    yield { type: 'intent', intent: 'edit', detail: 'Put the message on the page' };
    yield { type: 'plan', steps: ['Read the page', 'Write the heading'], summary: 'Edit index.html' };
    for (const piece of ['Writing ', 'the ', 'page ']) yield { type: 'text_delta', text: piece };
    await gates.wait(run);
    for (const piece of ['with ', `“${message}”.`]) yield { type: 'text_delta', text: piece };
    yield { type: 'tool_call', callId: `write-${run}`, name: 'write_file', arguments: { path: 'index.html' } };
    yield { type: 'tool_result', callId: `write-${run}`, ok: true, output: { path: 'index.html' } };
    const existed = (await context.files.list()).some((file) => file.path === 'index.html');
    yield { type: 'file_changed', path: 'index.html', change: existed ? 'modified' : 'created' };
    yield { type: 'validation', status: 'passed', round: 1, errors: [] };
    yield { type: 'step', kind: 'model', name: 'change', model: 'gpt-4o-mini', usage: { promptTokens: 1200, completionTokens: 300, totalTokens: 1500 }, durationMs: 12 };
    yield {
      type: 'result',
      changes: [{ type: 'write', path: 'index.html', content: `<!doctype html>\n<title>console test</title>\n<h1>${message}</h1>\n<p>made by the scripted model</p>\n` }],
      commitMessage: `Heading: ${message}`,
      summary: `The page now says “${message}”.`,
      validationStatus: 'passed',
    };
  };
}

/** A real server on 127.0.0.1 (static previews, in-memory storage, the console agent) with an owner key. */
export interface ConsoleServer {
  base: string;
  key: string;
  app: FastifyInstance;
  vector: Vector;
  gates: Gates;
  /** Every request on a job's event stream, as the socket saw it (before any hook). */
  eventRequests: IncomingMessage[];
  api(method: string, path: string, body?: unknown): Promise<any>;
  close(): Promise<void>;
}

export async function startConsoleServer(database: TestDatabase): Promise<ConsoleServer> {
  const connection: VectorDatabaseConnection = await database.create();
  const gates = new Gates();
  const vector = createVector({
    database: connection,
    storage: [createMemoryStorage()],
    providers: [createStaticProvider({ buildDelayMs: 300 })],
    agents: [createScriptedAgent({ script: consoleAgentScript(gates), delayMs: 40 })],
    deploymentPollIntervalMs: 50,
    jobHeartbeatMs: 50,
  });
  const app = buildServer({ vector, rateLimit: false });
  const eventRequests: IncomingMessage[] = [];
  app.server.on('request', (request: IncomingMessage) => {
    if (/^\/v1\/jobs\/[^/]+\/events\?/.test(request.url ?? '')) eventRequests.push(request);
  });
  await vector.start();
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const { key } = await bootstrapOrganization(app, 'Console');
  return {
    base,
    key,
    app,
    vector,
    gates,
    eventRequests,
    async api(method, path, body) {
      const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${key}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return text ? JSON.parse(text) : null;
    },
    async close() {
      gates.openAll();
      await app.close();
      await vector.dispose();
      await connection.destroy();
    },
  };
}

/** Signs in on the console's page with the key. */
export async function signIn(page: Page, base: string, key: string, shot?: string): Promise<void> {
  await page.goto(`${base}/console`);
  await page.getByLabel('API key').fill(key);
  if (shot) await screenshot(page, shot);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Projects' }).waitFor();
}
