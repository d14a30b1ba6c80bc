import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** How a command ended. */
export interface CommandOutcome {
  /** Exit code, or null when a signal ended it. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Ended by the time limit. */
  timedOut: boolean;
  /** Ended by the abort signal. */
  aborted: boolean;
  /** The last lines of output (stdout and stderr interleaved), for error messages. */
  tail: string[];
  /** Every line kept (up to `maxLines`), for diagnostics. */
  lines: string[];
  /** Lines beyond `maxLines` that were counted but not kept. */
  droppedLines: number;
  durationMs: number;
}

/** A command started by {@link startCommand}. */
export interface RunningCommand {
  readonly pid: number;
  /** Resolves when the process has exited (never rejects). */
  readonly done: Promise<CommandOutcome>;
  /** Ends the whole process group: SIGTERM, then SIGKILL after `graceMs`. Resolves on exit. */
  kill(graceMs?: number): Promise<CommandOutcome>;
}

const maxLineLength = 2000;
const tailLength = 40;

/**
 * Runs `command` with `/bin/sh -c` in its own process group, with exactly `env` (nothing is
 * inherited from this process), no standard input, a wall-clock limit and capped output.
 * Each output line is passed to `onLine` as it arrives (cut at 2000 characters; after
 * `maxLines` lines only counted). Killing ends the whole group, so children the command
 * started end with it.
 */
export function startCommand(input: {
  command: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  maxLines: number;
  signal?: AbortSignal;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}): RunningCommand {
  const started = Date.now();
  const child: ChildProcess = spawn('/bin/sh', ['-c', input.command], {
    cwd: input.cwd,
    env: input.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const tail: string[] = [];
  let droppedLines = 0;
  let timedOut = false;
  let aborted = false;

  const accept = (line: string, stream: 'stdout' | 'stderr') => {
    // Terminal control sequences (colours, cursor moves) say nothing in a log.
    const clean = line.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\r/g, '').slice(0, maxLineLength);
    if (clean.trim() === '') return;
    tail.push(clean);
    if (tail.length > tailLength) tail.shift();
    if (lines.length < input.maxLines) {
      lines.push(clean);
      input.onLine?.(clean, stream);
    } else {
      droppedLines += 1;
    }
  };
  for (const [stream, name] of [[child.stdout, 'stdout'], [child.stderr, 'stderr']] as const) {
    let pending = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      pending += chunk;
      // A line longer than the cap is cut where it is, so a runaway line can't grow memory.
      if (pending.length > maxLineLength * 4 && !pending.includes('\n')) {
        accept(pending, name);
        pending = '';
        return;
      }
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const part of parts) accept(part, name);
    });
    stream?.on('end', () => {
      if (pending !== '') accept(pending, name);
      pending = '';
    });
  }

  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };

  let exited = false;
  const done = new Promise<CommandOutcome>((resolve) => {
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null) => {
      if (exited) return;
      exited = true;
      clearTimeout(timer);
      input.signal?.removeEventListener('abort', onAbort);
      // The shell may be gone while a child it started still runs in the group.
      killGroup('SIGKILL');
      resolve({ exitCode, signal, timedOut, aborted, tail: [...tail], lines, droppedLines, durationMs: Date.now() - started });
    };
    child.once('error', (error) => {
      accept(`could not start: ${error.message}`, 'stderr');
      finish(null, null);
    });
    // 'exit' comes first; a process the command left behind could hold the pipes open and keep
    // 'close' away, so the rest of the group is ended at once and 'close' waited for briefly.
    child.once('exit', (code, signal) => {
      killGroup('SIGKILL');
      const late = setTimeout(() => finish(code, signal), 2000);
      late.unref();
      child.once('close', () => {
        clearTimeout(late);
        finish(code, signal);
      });
    });
  });

  const kill = async (graceMs = 2000): Promise<CommandOutcome> => {
    if (!exited) {
      killGroup('SIGTERM');
      const force = setTimeout(() => killGroup('SIGKILL'), graceMs);
      force.unref();
      await done;
      clearTimeout(force);
    }
    // Members of the group may take a moment to die after SIGKILL: wait (briefly) until none is left.
    if (child.pid !== undefined) {
      for (let attempt = 0; attempt < 100 && groupExists(child.pid); attempt += 1) {
        killGroup('SIGKILL');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    return done;
  };
  const timer = setTimeout(() => {
    timedOut = true;
    void kill(1000);
  }, input.timeoutMs);
  timer.unref();
  const onAbort = () => {
    aborted = true;
    void kill(1000);
  };
  if (input.signal?.aborted) onAbort();
  else input.signal?.addEventListener('abort', onAbort, { once: true });

  return { pid: child.pid ?? -1, done, kill };
}

/** Runs a command to its end; see {@link startCommand}. */
export function runCommand(input: Parameters<typeof startCommand>[0]): Promise<CommandOutcome> {
  return startCommand(input).done;
}

/** A one-line description of how a command ended, e.g. `exit 2` or `timed out after 300 s`. */
export function describeOutcome(outcome: CommandOutcome, timeoutMs: number): string {
  if (outcome.timedOut) return `timed out after ${Math.round(timeoutMs / 1000)} s`;
  if (outcome.aborted) return 'was cancelled';
  if (outcome.signal) return `was killed by ${outcome.signal}`;
  return `exit ${outcome.exitCode ?? 'unknown'}`;
}

/** True while any process of the group is alive (zombies, already dead, don't count). */
function groupExists(groupId: number): boolean {
  try {
    process.kill(-groupId, 0);
  } catch {
    return false;
  }
  // A group of zombies still answers signal 0; look for a living member.
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readStat(entry);
      if (stat && stat.group === groupId && stat.state !== 'Z') return true;
    }
    return false;
  } catch {
    return true;
  }
}

function readStat(pid: string): { state: string; group: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name (in parentheses, may contain spaces): state, ppid, pgrp, ...
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', group: Number(fields[2]) };
  } catch {
    return null;
  }
}
