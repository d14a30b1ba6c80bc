import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect } from 'vitest';

/** A tool call the fake streams; object arguments are JSON-encoded, strings sent as they are (malformed on purpose, if you like). */
export interface FakeToolCall {
  name: string;
  arguments: string | Record<string, unknown>;
  id?: string;
}

/** One scripted answer to one `POST /v1/chat/completions`. */
export type FakeTurn =
  | {
      kind?: 'reply';
      text?: string;
      toolCalls?: FakeToolCall[];
      /** Overrides the computed usage of the final chunk. */
      usage?: { prompt_tokens: number; completion_tokens: number };
      /** Leave the usage chunk out even when asked for (some local servers do). */
      omitUsage?: boolean;
      /** Pause between chunks (for cancellation tests). */
      chunkDelayMs?: number;
      /** Destroy the socket after this many `data:` lines. */
      dropAfterChunks?: number;
    }
  | { kind: 'error'; status: number; retryAfter?: string; retryAfterMs?: string; message?: string; type?: string; code?: string | null };

/** A turn made from the request it answers (e.g. from the last tool message the model got). */
export type FakeTurnFactory = (request: RecordedRequest) => FakeTurn;

/** A request the fake received. */
export interface RecordedRequest {
  authorization: string | undefined;
  body: Record<string, unknown>;
  /** Set when the client closed the connection before the response ended. */
  clientAborted: boolean;
  /** `data:` lines written before the response ended or was aborted. */
  chunksSent: number;
}

/** The running fake. */
export interface FakeOpenAIServer {
  /** e.g. `http://127.0.0.1:53211/v1` */
  baseURL: string;
  apiKey: string;
  requests: RecordedRequest[];
  /** Appends scripted turns; each request takes the next one (a factory is called with the request). */
  enqueue(...turns: Array<FakeTurn | FakeTurnFactory>): void;
  /** Turns not yet used. */
  pending(): number;
  /** Drops unused turns and recorded requests. */
  reset(): void;
  /** Resolves when a streamed response has sent its first chunk. */
  nextStreamStarted(): Promise<RecordedRequest>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function sendError(response: ServerResponse, status: number, error: { message: string; type: string; param?: string | null; code?: string | null }, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify({ error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code ?? null } }));
}

// The checks the real endpoint makes on the parts of a request this agent sends.
function rejectInvalid(body: Record<string, unknown>): { message: string; type: string; param?: string | null; code?: string | null } | null {
  const invalid = (message: string, param: string | null = null, code: string | null = null) => ({ message, type: 'invalid_request_error', param, code });
  if (typeof body.model !== 'string' || body.model === '') return invalid('you must provide a model parameter');
  if (body.messages === undefined) return invalid("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (!Array.isArray(body.messages)) return invalid("Invalid type for 'messages': expected an array of objects.", 'messages', 'invalid_type');
  if (body.messages.length === 0) return invalid("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'messages', 'empty_array');
  if (body.stream_options !== undefined && body.stream !== true) return invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
  for (const [index, tool] of ((body.tools as unknown[] | undefined) ?? []).entries()) {
    const fn = (tool as { type?: unknown; function?: { name?: unknown } }).function;
    if ((tool as { type?: unknown }).type !== 'function' || typeof fn?.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(fn.name)) {
      return invalid(`Invalid 'tools[${index}]': expected a function tool with a valid name.`, `tools[${index}]`);
    }
  }
  const open = new Set<string>();
  for (const [index, message] of (body.messages as Array<Record<string, unknown>>).entries()) {
    const role = message.role;
    if (!['system', 'developer', 'user', 'assistant', 'tool'].includes(String(role))) {
      return invalid(`Invalid value: '${String(role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`, `messages[${index}].role`, 'invalid_value');
    }
    if (role !== 'tool' && open.size > 0) {
      return invalid(`An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(', ')}`, `messages.[${index}].role`);
    }
    if (role === 'assistant' && Array.isArray(message.tool_calls)) for (const call of message.tool_calls as Array<{ id: string }>) open.add(call.id);
    if (role === 'tool') {
      if (!open.delete(String(message.tool_call_id))) {
        return invalid("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", `messages.[${index}].role`);
      }
    }
  }
  return null;
}

/**
 * A local stand-in for an OpenAI-compatible chat-completions endpoint, streaming chunks
 * exactly as the real API does (`data:` lines, tool-call arguments split over chunks,
 * usage in a last chunk with empty `choices` when `stream_options.include_usage`, then
 * `data: [DONE]`), driven by a queue of scripted turns.
 */
export async function startFakeOpenAIServer(options: { apiKey?: string } = {}): Promise<FakeOpenAIServer> {
  const apiKey = options.apiKey ?? 'sk-test-fake-key';
  const turns: Array<FakeTurn | FakeTurnFactory> = [];
  const requests: RecordedRequest[] = [];
  const startedWaiters: Array<(request: RecordedRequest) => void> = [];

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
      return sendError(response, 404, { message: `Invalid URL (${request.method} ${request.url})`, type: 'invalid_request_error' });
    }
    const authorization = request.headers.authorization;
    let body: Record<string, unknown> | null = null;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      // Reported below, after authentication, as the real API orders its checks.
    }
    const recorded: RecordedRequest = { authorization, body: body ?? {}, clientAborted: false, chunksSent: 0 };
    requests.push(recorded);
    if (!authorization?.startsWith('Bearer ')) {
      return sendError(response, 401, { message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", type: 'invalid_request_error' });
    }
    if (authorization.slice(7) !== apiKey) {
      return sendError(response, 401, { message: `Incorrect API key provided: ${authorization.slice(7, 12)}***. You can find your API key at https://platform.openai.com/account/api-keys.`, type: 'invalid_request_error', code: 'invalid_api_key' });
    }
    if (body === null) return sendError(response, 400, { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error' });
    const invalid = rejectInvalid(body);
    if (invalid) return sendError(response, 400, invalid);
    const next = turns.shift();
    const turn = typeof next === 'function' ? next(recorded) : next;
    if (!turn) return sendError(response, 400, { message: 'fake: no scripted turn left for this request', type: 'invalid_request_error', code: 'fake_script_exhausted' });
    if (turn.kind === 'error') {
      const headers: Record<string, string> = {};
      if (turn.retryAfter !== undefined) headers['retry-after'] = turn.retryAfter;
      if (turn.retryAfterMs !== undefined) headers['retry-after-ms'] = turn.retryAfterMs;
      if (turn.status === 429) Object.assign(headers, { 'x-ratelimit-limit-requests': '500', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1s' });
      const fallback = turn.status === 429
        ? { message: 'Rate limit reached for requests. Please try again later.', type: 'requests', code: 'rate_limit_exceeded' }
        : { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null };
      return sendError(response, turn.status, { message: turn.message ?? fallback.message, type: turn.type ?? fallback.type, code: turn.code ?? fallback.code }, headers);
    }

    const id = `chatcmpl-${randomUUID().replaceAll('-', '').slice(0, 24)}`;
    const created = Math.floor(Date.now() / 1000);
    const model = String(body.model);
    const toolCalls = (turn.toolCalls ?? []).map((call, index) => ({ id: call.id ?? `call_${randomUUID().replaceAll('-', '').slice(0, 20)}`, index, name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments) }));
    const text = turn.text ?? '';
    const finishReason = toolCalls.length > 0 ? 'tool_calls' : 'stop';
    const promptTokens = turn.usage?.prompt_tokens ?? Math.ceil(JSON.stringify(body.messages).length / 4);
    const completionTokens = turn.usage?.completion_tokens ?? Math.max(1, Math.ceil((text + toolCalls.map((call) => call.name + call.arguments).join('')).length / 4));
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens, prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } };

    if (body.stream !== true) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({
        id, object: 'chat.completion', created, model,
        choices: [{ index: 0, message: { role: 'assistant', content: toolCalls.length > 0 && text === '' ? null : text, refusal: null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) } : {}) }, logprobs: null, finish_reason: finishReason }],
        usage,
      }));
      return;
    }

    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
      id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}),
    });
    const lines: unknown[] = [chunk({ role: 'assistant', content: '', refusal: null })];
    for (const piece of text.match(/[\s\S]{1,12}/g) ?? []) lines.push(chunk({ content: piece }));
    for (const call of toolCalls) {
      lines.push(chunk({ tool_calls: [{ index: call.index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }));
      // Real streams split arguments at arbitrary points, often mid-token.
      const size = Math.max(1, Math.ceil(call.arguments.length / 3));
      for (let at = 0; at < call.arguments.length; at += size) lines.push(chunk({ tool_calls: [{ index: call.index, function: { arguments: call.arguments.slice(at, at + size) } }] }));
    }
    lines.push(chunk({}, finishReason));
    if (includeUsage && !turn.omitUsage) lines.push({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake', choices: [], usage });

    response.on('close', () => {
      if (!response.writableFinished) recorded.clientAborted = true;
    });
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    for (const line of lines) {
      if (recorded.clientAborted || response.destroyed) return;
      if (turn.dropAfterChunks !== undefined && recorded.chunksSent >= turn.dropAfterChunks) {
        response.socket?.destroy();
        return;
      }
      response.write(`data: ${JSON.stringify(line)}\n\n`);
      recorded.chunksSent += 1;
      if (recorded.chunksSent === 1) for (const waiter of startedWaiters.splice(0)) waiter(recorded);
      if (turn.chunkDelayMs) await sleep(turn.chunkDelayMs);
    }
    response.end('data: [DONE]\n\n');
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, { message: String(error), type: 'server_error' });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    apiKey,
    requests,
    enqueue: (...next) => void turns.push(...next),
    pending: () => turns.length,
    reset: () => {
      turns.length = 0;
      requests.length = 0;
    },
    nextStreamStarted: () => new Promise((resolve) => startedWaiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * The fake of a test file: started before its tests and closed after them. The handle returned
 * at once stands for the fake the tests see.
 */
export function useFakeOpenAIServer(): FakeOpenAIServer {
  let server: FakeOpenAIServer | undefined;
  beforeAll(async () => {
    server = await startFakeOpenAIServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  const started = () => {
    if (!server) throw new Error('the fake OpenAI server is only running while the tests run');
    return server;
  };
  return {
    get baseURL() {
      return started().baseURL;
    },
    get apiKey() {
      return started().apiKey;
    },
    get requests() {
      return started().requests;
    },
    enqueue: (...turns) => started().enqueue(...turns),
    pending: () => started().pending(),
    reset: () => started().reset(),
    nextStreamStarted: () => started().nextStreamStarted(),
    close: () => started().close(),
  };
}

/** Fails the test when the fake has scripted turns left, which it drops first, with its recorded requests, for the next test. */
export function expectEveryTurnUsed(fake: FakeOpenAIServer): void {
  const unused = fake.pending();
  fake.reset();
  expect(unused, 'every scripted turn was used').toBe(0);
}
