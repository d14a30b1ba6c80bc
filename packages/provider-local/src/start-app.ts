import type { BuildPlan } from '@vector/core';
import { describeOutcome, startCommand, type RunningCommand } from './run-command.js';
import { findFreePort } from './serve-output.js';

/** How starting a server app went. */
export type StartOutcome = { ok: true; port: number } | { ok: false; error: { code: string; message: string } };

/**
 * Starts the plan's `startCommand` with the port variable set to a free port, and waits until
 * the app answers HTTP on it (any status counts). The app fails when it exits first, or when
 * it has not answered within `timeoutMs`; the error carries its last output lines.
 */
export async function startApp(input: {
  plan: BuildPlan;
  appDir: string;
  host: string;
  timeoutMs: number;
  maxLines: number;
  env: (port: number) => Record<string, string>;
  signal: AbortSignal;
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
  onStarted: (running: RunningCommand) => void;
  onExit: (description: string) => void;
}): Promise<StartOutcome> {
  const command = input.plan.startCommand;
  if (!command) return { ok: false, error: { code: 'START_FAILED', message: 'The plan has no start command' } };
  const port = await findFreePort(input.host);
  input.onLine(`$ ${command} (${input.plan.portVariable}=${port})`, 'stdout');
  const running = startCommand({
    command,
    cwd: input.appDir,
    env: input.env(port),
    // A server runs until it is stopped; the start timeout applies to answering, below.
    timeoutMs: 2_147_483_647,
    maxLines: input.maxLines,
    signal: input.signal,
    onLine: input.onLine,
  });
  input.onStarted(running);
  let exited: string | null = null;
  void running.done.then((outcome) => {
    exited = describeOutcome(outcome, 0);
    input.onExit(exited);
  });

  const host = input.host.includes(':') ? `[${input.host}]` : input.host;
  const deadline = Date.now() + input.timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== null || input.signal.aborted) break;
    try {
      const response = await fetch(`http://${host}:${port}/`, { signal: AbortSignal.timeout(1000), redirect: 'manual' });
      await response.body?.cancel();
      return { ok: true, port };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }
  if (input.signal.aborted) {
    await running.kill();
    return { ok: false, error: { code: 'CANCELLED', message: 'The start was cancelled' } };
  }
  const neverAnswered = exited === null;
  const outcome = neverAnswered ? await running.kill() : await running.done;
  const tail = outcome.tail.slice(-8);
  const why = !neverAnswered ? `The server app exited before it answered on port ${port} (${exited})` : `The server app did not answer HTTP on ${input.plan.portVariable}=${port} within ${Math.round(input.timeoutMs / 1000)} s`;
  return { ok: false, error: { code: 'START_FAILED', message: `${why}${tail.length > 0 ? `:\n${tail.join('\n')}` : ''}` } };
}
