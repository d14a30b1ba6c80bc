import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A child `node` process with its output delivered line by line. */
export interface NodeProcess {
  readonly pid: number | undefined;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs: number): Promise<void>;
}

/**
 * Starts `node <script> ...args` in `cwd` with exactly `env` (the parent's environment is not
 * inherited, so the host's secrets never reach the app). Output lines go to `onLine`.
 */
export function runNodeProcess(input: {
  nodePath: string;
  script: string;
  args: ReadonlyArray<string>;
  cwd: string;
  env: Record<string, string>;
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
}): NodeProcess {
  const child = spawn(input.nodePath, [input.script, ...input.args], { cwd: input.cwd, env: input.env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of ['stdout', 'stderr'] as const) {
    createInterface({ input: child[stream] }).on('line', (line) => input.onLine(stream, line));
  }
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? String(code)));
    child.once('error', (error) => {
      input.onLine('stderr', `could not start node: ${error.message}`);
      resolve('spawn-error');
    });
  });
  let running = true;
  void exited.then(() => {
    running = false;
  });
  return {
    pid: child.pid,
    exited,
    async stop(graceMs) {
      if (!running) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
