import type { BuildContext } from './build-context.js';
import { decodeBuildKitStatus } from './buildkit-status.js';
import type { DockerClient } from './docker-client.js';
import type { BuildStep } from './dockerfile-for-plan.js';
import { createLineSplitter } from './line-splitter.js';

/** How an image build ended. */
export type BuildImageOutcome = { ok: true; imageId: string } | { ok: false; cancelled: boolean; error: { code: string; message: string } };

const codeOfStep: Record<BuildStep['name'], string> = { toolchain: 'INSTALL_FAILED', install: 'INSTALL_FAILED', typecheck: 'TYPECHECK_FAILED', build: 'BUILD_FAILED' };
const labelOfStep: Record<BuildStep['name'], string> = { toolchain: 'installing the package manager', install: 'install', typecheck: 'type check', build: 'build' };

/**
 * Builds `context` into an image tagged `tag` (`POST /build`), with host networking for `RUN`
 * steps and the image labelled, streaming every output line to `onLine` as it comes. With
 * `buildKit` it asks for BuildKit (`version=2`) and decodes its progress; otherwise the
 * classic builder (`version=1`). A failure carries the daemon's own message, the step it
 * happened in (install, type check or build) and that step's last lines of output. The build
 * ends after `timeoutMs` or on `signal`: the request is dropped, which cancels the build.
 */
export async function buildImage(input: {
  client: DockerClient;
  context: BuildContext;
  tag: string;
  labels: Record<string, string>;
  buildKit: boolean;
  /** Extra build arguments (proxy settings), on top of the context's. */
  buildArgs?: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
  onLine: (level: 'info' | 'warn' | 'error', message: string) => void;
}): Promise<BuildImageOutcome> {
  const { context } = input;
  const controller = new AbortController();
  const onAbort = () => controller.abort(input.signal.reason);
  input.signal.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('build time limit'));
  }, input.timeoutMs);

  // Written from the stream's callbacks: an object, so the checks after the stream see them.
  // A "unit" is the builder's own step: a BuildKit vertex (by digest) or a classic `Step n/m`.
  const progress = { imageId: '', failure: null as string | null, currentUnit: '', failedUnit: null as string | null };
  const instructions = new Map<string, string>();
  const tails = new Map<string, string[]>();
  const stepOf = (instruction: string): BuildStep | null => context.steps.find((step) => instruction.includes(step.command)) ?? null;
  const output = (unit: string, line: string, level: 'info' | 'warn' = 'info') => {
    const clean = cleanLine(line);
    if (clean.trim() === '') return;
    const tail = tails.get(unit) ?? [];
    tail.push(clean);
    if (tail.length > 20) tail.shift();
    tails.set(unit, tail);
    input.onLine(level, clean);
  };

  const vertexes = new Map<string, { logged: boolean }>();
  const vertexLines = new Map<string, ReturnType<typeof createLineSplitter>>();
  const classicLines = createLineSplitter((line) => {
    const step = /^Step (\d+)\/\d+ : (.*)$/.exec(line);
    if (step) {
      progress.currentUnit = `step ${step[1]}`;
      instructions.set(progress.currentUnit, step[2] ?? '');
      input.onLine('info', cleanLine(line));
      return;
    }
    if (/^ ---> (?:[0-9a-f]{12}|Running in [0-9a-f]{12})$/.test(line) || /^Removing intermediate container /.test(line)) return;
    output(progress.currentUnit, line);
  });

  const handle = (message: { stream?: string; error?: string; errorDetail?: { message?: string }; id?: string; aux?: unknown; status?: string }) => {
    if (typeof message.error === 'string') {
      progress.failure ??= message.errorDetail?.message ?? message.error;
      if (!input.buildKit) progress.failedUnit = progress.currentUnit;
      return;
    }
    if (message.id === 'moby.buildkit.trace' && typeof message.aux === 'string') {
      const status = decodeBuildKitStatus(message.aux);
      for (const vertex of status.vertexes) {
        const known = vertexes.get(vertex.digest) ?? { logged: false };
        vertexes.set(vertex.digest, known);
        if (vertex.name !== '') instructions.set(vertex.digest, vertex.name);
        // Steps of BuildKit's own (loading the Dockerfile and the context) say nothing useful.
        const internal = vertex.name.startsWith('[internal]') || vertex.name === 'copy /context /';
        if (!known.logged && (vertex.started || vertex.cached) && !internal && vertex.name !== '') {
          known.logged = true;
          input.onLine('info', `${vertex.cached ? 'CACHED ' : ''}${vertex.name}`);
        }
        if (vertex.error !== '' && !vertex.error.includes('context canceled')) {
          progress.failedUnit ??= vertex.digest;
          progress.failure ??= vertex.error;
        }
      }
      for (const log of status.logs) {
        let splitter = vertexLines.get(log.vertex);
        if (!splitter) {
          splitter = createLineSplitter((line) => output(log.vertex, line));
          vertexLines.set(log.vertex, splitter);
        }
        splitter.push(Buffer.from(log.message).toString('utf8'));
      }
      for (const warning of status.warnings) input.onLine('warn', `warning: ${warning}`);
      return;
    }
    if (message.id === 'moby.image.id' && message.aux && typeof message.aux === 'object') {
      progress.imageId = String((message.aux as { ID?: string }).ID ?? '');
      return;
    }
    if (message.aux && typeof message.aux === 'object' && 'ID' in message.aux) progress.imageId = String((message.aux as { ID?: string }).ID ?? '');
    if (typeof message.stream === 'string') {
      if (input.buildKit) for (const line of message.stream.split('\n')) output('', line);
      else classicLines.push(message.stream);
    }
    if (typeof message.status === 'string') output('', message.status);
  };

  try {
    const response = await input.client.stream('POST', '/build', {
      query: {
        t: input.tag,
        dockerfile: context.dockerfilePath,
        networkmode: 'host',
        labels: input.labels,
        buildargs: { ...input.buildArgs, ...context.buildArgs },
        rm: true,
        forcerm: true,
        version: input.buildKit ? '2' : '1',
      },
      body: context.archive,
      contentType: 'application/x-tar',
      signal: controller.signal,
    });
    const messages = createLineSplitter((line) => {
      if (line.trim() === '') return;
      try {
        handle(JSON.parse(line) as Parameters<typeof handle>[0]);
      } catch {
        output('', line);
      }
    });
    for await (const chunk of response) messages.push((chunk as Buffer).toString('utf8'));
    messages.end();
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    input.signal.removeEventListener('abort', onAbort);
    classicLines.end();
    for (const splitter of vertexLines.values()) splitter.end();
  }

  if (input.signal.aborted) return { ok: false, cancelled: true, error: { code: 'CANCELLED', message: 'the build was cancelled' } };
  if (timedOut) return { ok: false, cancelled: false, error: { code: 'BUILD_FAILED', message: `the image build ran past its time limit (${Math.round(input.timeoutMs / 1000)} s) and was cancelled` } };
  if (progress.failure === null && progress.imageId !== '') return { ok: true, imageId: progress.imageId };
  const daemonMessage = progress.failure ?? 'the daemon ended the build without an image';
  const unit = progress.failedUnit ?? '';
  const step = stepOf(instructions.get(unit) ?? '');
  const tail = (tails.get(unit) ?? []).slice(-8);
  const label = step ? labelOfStep[step.name] : context.source === 'project' ? 'docker build (the project’s Dockerfile)' : 'docker build';
  const message = `${label} failed: ${daemonMessage}${tail.length > 0 ? `\n${tail.join('\n')}` : ''}`;
  return { ok: false, cancelled: false, error: { code: step ? codeOfStep[step.name] : 'BUILD_FAILED', message: message.slice(0, 4000) } };
}

/** Drops terminal control sequences and carriage returns, and cuts very long lines. */
export function cleanLine(line: string): string {
  return line.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\r/g, '').trimEnd().slice(0, 2000);
}
