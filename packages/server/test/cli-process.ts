import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { dropSchemas } from './postgres-schemas.js';

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

/**
 * Builds the CLI and the packages it loads unless `pnpm test` has built every package already
 * (`VECTOR_PACKAGES_BUILT=1`, so parallel test files never rebuild dist/ underneath each other).
 * For a `beforeAll` of a test file that runs the built CLI.
 */
export async function buildCliUnlessBuilt(): Promise<void> {
  if (process.env.VECTOR_PACKAGES_BUILT === '1') return;
  const repositoryRoot = fileURLToPath(new URL('../../..', import.meta.url));
  await promisify(execFile)('pnpm', ['-r', '--filter', '@vector/server...', 'build'], { cwd: repositoryRoot, timeout: 240_000, maxBuffer: 32 * 1024 * 1024 });
}

/** A JSON request to a running CLI over real HTTP, with an API key and extra headers when given. */
export async function callCli(base: string, method: string, path: string, options: { key?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(options.key ? { authorization: `Bearer ${options.key}` } : {}), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  return { status: response.status, json: (await response.json()) as any };
}

/**
 * A test file's CLI set-up: builds the CLI first (unless built), and after the file stops every
 * process pushed to `running` and removes every directory `scratchDirectory()` made.
 */
export function useCliProcesses(prefix: string): { running: CliProcess[]; scratchDirectory(): string } {
  const running: CliProcess[] = [];
  const directories: string[] = [];
  beforeAll(buildCliUnlessBuilt, 300_000);
  afterAll(async () => {
    for (const cli of running.splice(0)) await cli.stop();
    for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
  });
  return {
    running,
    scratchDirectory() {
      const directory = mkdtempSync(join(tmpdir(), prefix));
      directories.push(directory);
      return directory;
    },
  };
}

/**
 * A fresh PostgreSQL schema name for processes started by one suite (`<prefix>_<time>_<random>`),
 * dropped with its pg-boss schema after the suite, once `running` processes have stopped.
 */
export function useProcessSchema(prefix: string, connectionString: string | undefined, running: CliProcess[]): string {
  const schema = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  afterAll(async () => {
    if (!connectionString) return;
    for (const cli of running.splice(0)) await cli.stop();
    await dropSchemas(connectionString, [schema]);
  });
  return schema;
}
