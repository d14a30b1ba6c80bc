import { request, type IncomingMessage } from 'node:http';
import { ProviderError } from '@vector/core';

/** Query values; arrays repeat the key (`t=a&t=b`), objects are sent as JSON (`filters`). */
export type DockerQuery = Record<string, string | number | boolean | string[] | Record<string, unknown> | undefined>;

/** Options of one Engine API call. */
export interface DockerRequestOptions {
  query?: DockerQuery;
  /** A JSON body (objects) or raw bytes (a tar archive). */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Ends a call with no answer after this long. Default 60 s; streams have none. */
  timeoutMs?: number;
}

/**
 * The slice of the Docker Engine API this provider uses, spoken as HTTP/1.1 over the daemon's
 * unix socket. Failed calls throw {@link ProviderError} carrying the daemon's own message and
 * the HTTP status (404 for a missing container or image).
 */
export interface DockerClient {
  /** The socket, as `unix://…`, for messages. */
  readonly address: string;
  /** Sends a call and parses its JSON answer (`undefined` for an empty one). */
  json<T>(method: string, path: string, options?: DockerRequestOptions): Promise<T>;
  /** Sends a call and hands over its answer as a stream once the status is known to be 2xx. */
  stream(method: string, path: string, options?: DockerRequestOptions): Promise<IncomingMessage>;
  /** The API version this client speaks (negotiated once with `GET /version`). */
  apiVersion(): Promise<string>;
  /** The daemon's `/_ping` headers (`builder-version`, `api-version`, `ostype`). */
  ping(): Promise<Record<string, string>>;
}

/** The newest API version whose changes were read against what this provider sends and reads. */
const NEWEST_API = '1.47';
/** The oldest: Docker 20.10. */
const OLDEST_API = '1.41';

/** Creates a client for the daemon at `socketPath`. Each client negotiates its own version. */
export function createDockerClient(input: { socketPath: string; provider?: string }): DockerClient {
  const socketPath = input.socketPath;
  const provider = input.provider ?? 'docker';
  const address = `unix://${socketPath}`;
  let negotiated: Promise<string> | null = null;

  const unreachable = (error: NodeJS.ErrnoException): ProviderError =>
    new ProviderError({
      provider,
      message: `Cannot reach the Docker daemon at ${address} (${error.code ?? error.message}): is dockerd running, and may this user open its socket?`,
      isRetryable: true,
      details: { socketPath },
      cause: error,
    });

  const send = (method: string, path: string, options: DockerRequestOptions, streaming: boolean): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted'));
        return;
      }
      let payload: Uint8Array | undefined;
      let contentType = options.contentType;
      if (options.body instanceof Uint8Array) payload = options.body;
      else if (options.body !== undefined) {
        payload = Buffer.from(JSON.stringify(options.body));
        contentType ??= 'application/json';
      }
      const headers: Record<string, string> = { ...options.headers };
      if (contentType) headers['content-type'] = contentType;
      if (payload) headers['content-length'] = String(payload.byteLength);
      const call = request({ socketPath, method, path: `${path}${queryString(options.query)}`, headers }, (response) => {
        options.signal?.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
        if (streaming && response.statusCode !== undefined && response.statusCode < 300) {
          // A stream ends with its signal, so the daemon sees the client go (and cancels a build).
          if (options.signal) {
            const stop = () => response.destroy(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
            if (options.signal.aborted) stop();
            else options.signal.addEventListener('abort', stop, { once: true });
            response.once('close', () => options.signal?.removeEventListener('abort', stop));
          }
        }
        resolve(response);
      });
      const onAbort = () => call.destroy(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const timeoutMs = options.timeoutMs ?? (streaming ? 0 : 60_000);
      const timer = timeoutMs > 0 ? setTimeout(() => call.destroy(Object.assign(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`), { code: 'ETIMEDOUT' })), timeoutMs) : null;
      call.on('error', (error: NodeJS.ErrnoException) => {
        options.signal?.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
        if (options.signal?.aborted) reject(options.signal.reason instanceof Error ? options.signal.reason : error);
        else if (['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTSOCK', 'EPERM'].includes(error.code ?? '')) reject(unreachable(error));
        else reject(new ProviderError({ provider, message: `The Docker daemon at ${address} did not answer ${method} ${path}: ${error.message}`, isRetryable: true, cause: error }));
      });
      call.end(payload);
    });

  const failIfNotOk = async (method: string, path: string, response: IncomingMessage): Promise<IncomingMessage> => {
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return response;
    const text = await readText(response);
    let message = text.trim();
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // Not JSON: the text as it is.
    }
    throw new ProviderError({ provider, status, message: message || `${method} ${path} answered ${status}`, details: { method, path: path.replace(/\?.*/, '') } });
  };

  const versioned = async (path: string) => `/v${await client.apiVersion()}${path}`;

  const client: DockerClient = {
    address,
    async json<T>(method: string, path: string, options: DockerRequestOptions = {}): Promise<T> {
      const full = await versioned(path);
      const response = await failIfNotOk(method, path, await send(method, full, options, false));
      const text = await readText(response);
      return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
    },
    async stream(method: string, path: string, options: DockerRequestOptions = {}): Promise<IncomingMessage> {
      const full = await versioned(path);
      return failIfNotOk(method, path, await send(method, full, options, true));
    },
    apiVersion() {
      negotiated ??= (async () => {
        const response = await failIfNotOk('GET', '/version', await send('GET', '/version', {}, false));
        const version = JSON.parse(await readText(response)) as { ApiVersion?: string; MinAPIVersion?: string };
        return negotiate(version.ApiVersion, version.MinAPIVersion);
      })().catch((error: unknown) => {
        negotiated = null;
        throw error;
      });
      return negotiated;
    },
    async ping() {
      const response = await failIfNotOk('GET', '/_ping', await send('GET', '/_ping', { timeoutMs: 10_000 }, false));
      await readText(response);
      return Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')]));
    },
  };
  return client;
}

/**
 * The version to speak: the daemon's newest capped at {@link NEWEST_API}, never below the
 * daemon's minimum (Docker 29 refuses anything below 1.44) nor below {@link OLDEST_API}.
 */
export function negotiate(daemonVersion: string | undefined, daemonMinimum: string | undefined): string {
  let version = daemonVersion && compareVersions(daemonVersion, NEWEST_API) < 0 ? daemonVersion : NEWEST_API;
  if (daemonMinimum && compareVersions(version, daemonMinimum) < 0) version = daemonMinimum;
  if (compareVersions(version, OLDEST_API) < 0) {
    throw new ProviderError({ provider: 'docker', message: `The Docker daemon speaks API ${daemonVersion ?? 'unknown'}; this provider needs ${OLDEST_API} (Docker 20.10) or newer`, isRetryable: false });
  }
  return version;
}

function compareVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor === bMajor ? aMinor - bMinor : aMajor - bMajor;
}

function queryString(query: DockerQuery | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, item);
    else if (typeof value === 'object') params.append(key, JSON.stringify(value));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** Reads a whole (small) answer as text. */
export async function readText(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
