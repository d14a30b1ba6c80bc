import { fetchWithRetry, ProviderError, retryAfterMs, type SourceFile } from '@vector/core';
import { Header, Pack, ReadEntry } from 'tar';

/** What `railway up` never uploads (its archive walker skips these directories). */
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);
const EPOCH = new Date(0);

/**
 * A gzipped tarball of a version's files, laid out like the one `railway up` makes: entries
 * named `./<path>`, without `.git` and `node_modules`. Built in memory with node-tar; fixed
 * modes and times keep it the same for the same files.
 */
export async function createTarball(files: ReadonlyArray<SourceFile>): Promise<Buffer> {
  const pack = new Pack({ gzip: true, portable: true });
  const chunks: Buffer[] = [];
  const finished = new Promise<void>((resolve, reject) => {
    pack.on('data', (chunk: Buffer) => chunks.push(chunk));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const file of files) {
    if (file.path.split('/').some((segment) => SKIPPED_DIRECTORIES.has(segment))) continue;
    const content = Buffer.from(file.content.buffer, file.content.byteOffset, file.content.byteLength);
    const entry = new ReadEntry(new Header({ path: `./${file.path}`, mode: 0o644, size: content.byteLength, type: 'File', mtime: EPOCH }));
    entry.end(content);
    pack.add(entry);
  }
  pack.end();
  await finished;
  return Buffer.concat(chunks);
}

/** Where and as whom to upload. */
export interface TarballUpload {
  provider: string;
  fetch: typeof fetch;
  /** Backboard's origin, e.g. `https://backboard.railway.com`. */
  origin: string;
  token: string;
  projectId: string;
  environmentId: string;
  serviceId: string;
  message?: string;
  body: Uint8Array;
  requestTimeoutMs: number;
  signal?: AbortSignal;
}

/**
 * `POST /project/{projectId}/environment/{environmentId}/up?serviceId=…` with the tarball
 * (`Content-Type: application/gzip`, the token as `Authorization: Bearer`), as Railway's CLI
 * does; answers `{ deploymentId, url, logsUrl, deploymentDomain }`. Sent once: a failure after
 * the request left may have created the deployment, so it is never repeated here (the
 * provider's deployment marker finds it on the engine's retry).
 */
export async function uploadTarball(input: TarballUpload): Promise<{ deploymentId: string }> {
  const url = new URL(`/project/${encodeURIComponent(input.projectId)}/environment/${encodeURIComponent(input.environmentId)}/up`, input.origin);
  url.searchParams.set('serviceId', input.serviceId);
  if (input.message) url.searchParams.set('message', input.message);
  const answer = await fetchWithRetry({
    fetch: input.fetch,
    url,
    init: { method: 'POST', headers: { authorization: `Bearer ${input.token}`, 'content-type': 'application/gzip' }, body: input.body },
    signal: input.signal,
    timeoutMs: input.requestTimeoutMs,
    retry: { maxRetries: 0, baseDelayMs: 0, maxDelayMs: 0 },
    idempotent: false,
    name: 'Uploading the files to Railway',
    provider: input.provider,
  });
  const { status, ok, text } = answer;
  let body: { deploymentId?: unknown; message?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not JSON (a 413 from a proxy answers text): described below by status.
  }
  if (ok && typeof body.deploymentId === 'string') return { deploymentId: body.deploymentId };
  const detail = typeof body.message === 'string' ? body.message : text.slice(0, 200);
  if (status === 413) throw new ProviderError({ provider: input.provider, status: 413, isRetryable: false, message: `Railway refused the upload as too large (${input.body.byteLength} bytes): ${detail}` });
  if (status === 401 || status === 403) throw new ProviderError({ provider: input.provider, status, isRetryable: false, message: `Railway rejected the credentials for the upload: ${detail}`, details: { reason: 'unauthorized' } });
  const retryAfter = retryAfterMs(answer.headers);
  throw new ProviderError({
    provider: input.provider,
    status,
    isRetryable: status === 429 || status >= 500 || ok,
    ...(retryAfter !== undefined && retryAfter > 0 ? { retryAfterMs: retryAfter } : {}),
    message: ok ? 'Railway accepted the upload but named no deployment' : `Railway answered the upload with HTTP ${status}: ${detail}`,
  });
}
