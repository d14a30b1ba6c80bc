import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI entry (`vector-server`). */
export const cliEntry = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** A running `node dist/main.js` and what it printed so far. */
export interface CliProcess {
  child: ChildProcess;
  /** Every stdout and stderr line so far. */
  output: string[];
  /** The stderr lines alone. */
  errors: string[];
  /** Resolves with the first line matching `pattern`; rejects on exit or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves once the process exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then the exit status. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts the CLI in `cwd` with only the given environment (plus PATH), so nothing from the
 * developer's shell (a DATABASE_URL, a model key) leaks into the test.
 */
export function startCli(options: { cwd: string; env: Record<string, string> }): CliProcess {
  const child = spawn(process.execPath, [cliEntry], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: options.cwd, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const errors: string[] = [];
  const waiters = new Set<() => void>();
  const collect = (stream: NodeJS.ReadableStream | null, also?: string[]) => {
    let buffer = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      output.push(...lines);
      also?.push(...lines);
      for (const waiter of waiters) waiter();
    });
  };
  collect(child.stdout);
  collect(child.stderr, errors);
  let exitStatus: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exitStatus = { code, signal };
      resolve(exitStatus);
      for (const waiter of waiters) waiter();
    });
  });

  return {
    child,
    output,
    errors,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const line of output) {
            const match = line.match(pattern);
            if (match) return done(() => resolve(match));
          }
          if (exitStatus) done(() => reject(new Error(`the CLI exited (${JSON.stringify(exitStatus)}) before printing ${pattern}:\n${output.join('\n')}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${pattern}:\n${output.join('\n')}`))), timeoutMs);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (!exitStatus) child.kill('SIGTERM');
      return exited;
    },
  };
}
