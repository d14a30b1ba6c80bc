import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import type { LocalBuildSettings } from './local-build-options.js';

/** Where the tools a build runs with live: a PATH and the cache directories. */
export interface Toolchain {
  /** `PATH` for child processes: the shims (pnpm), this Node's directory, then the system's. */
  path: string;
  pnpmStore: string;
  pnpmCache: string;
  npmCache: string;
  lockfiles: string;
}

const require = createRequire(import.meta.url);

/**
 * The pnpm CLI this package depends on, so a build never depends on what is on PATH. pnpm 12
 * is a native binary behind a Node entry (`bin/pnpm.mjs`, which Corepack uses too); the
 * package's `bin` files are placeholders until its install script runs, which we don't need.
 */
function pnpmEntry(): string {
  const manifestPath = require.resolve('pnpm/package.json');
  const nodeEntry = join(dirname(manifestPath), 'bin', 'pnpm.mjs');
  if (existsSync(nodeEntry)) return nodeEntry;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin?: Record<string, string> | string };
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.pnpm;
  if (!bin) throw new Error('the pnpm package names no pnpm binary');
  return join(dirname(manifestPath), bin);
}

/**
 * Prepares the cache directories and a `bin/` of shims under `cacheDir` (`pnpm` runs the
 * pnpm this package depends on with this process's Node), and returns the PATH to use.
 */
export async function prepareToolchain(settings: LocalBuildSettings): Promise<Toolchain> {
  const root = settings.cacheDir;
  const toolchain: Toolchain = {
    path: '',
    pnpmStore: join(root, 'pnpm-store'),
    pnpmCache: join(root, 'pnpm-cache'),
    npmCache: join(root, 'npm-cache'),
    lockfiles: join(root, 'lockfiles'),
  };
  const bin = join(root, 'bin');
  await Promise.all([toolchain.pnpmStore, toolchain.pnpmCache, toolchain.npmCache, toolchain.lockfiles, bin].map((dir) => mkdir(dir, { recursive: true })));
  const shim = `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(pnpmEntry())} "$@"\n`;
  const shimPath = join(bin, 'pnpm');
  const current = existsSync(shimPath) ? readFileSync(shimPath, 'utf8') : null;
  if (current !== shim) {
    // Written aside and renamed, so a build running meanwhile never sees half a script.
    const temporary = `${shimPath}.${process.pid}.tmp`;
    await writeFile(temporary, shim);
    await chmod(temporary, 0o755);
    await rename(temporary, shimPath);
  }
  toolchain.path = [bin, dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter);
  return toolchain;
}

/**
 * The environment of a build step: a fixed minimal set, never this process's environment.
 * Install steps also get the variables named in `passEnvToInstall` (CA bundle, proxy).
 */
export function sandboxEnv(input: {
  toolchain: Toolchain;
  settings: LocalBuildSettings;
  home: string;
  tmp: string;
  step: 'install' | 'build' | 'run';
  extra?: Readonly<Record<string, string>>;
}): Record<string, string> {
  const { toolchain, settings } = input;
  const env: Record<string, string> = {
    PATH: toolchain.path,
    HOME: input.home,
    TMPDIR: input.tmp,
    LANG: 'C.UTF-8',
    CI: 'true',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    // pnpm (12+) reads its settings from pnpm_config_* variables, npm from npm_config_*.
    pnpm_config_store_dir: toolchain.pnpmStore,
    pnpm_config_cache_dir: toolchain.pnpmCache,
    pnpm_config_update_notifier: 'false',
    npm_config_cache: toolchain.npmCache,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_color: 'false',
  };
  if (settings.registry) {
    env.npm_config_registry = settings.registry;
    env.pnpm_config_registry = settings.registry;
  }
  if (input.step === 'install') {
    for (const name of settings.passEnvToInstall) {
      const value = process.env[name];
      if (value !== undefined && value !== '') env[name] = value;
    }
  }
  return { ...input.extra, ...env, ...(input.step === 'run' ? { NODE_ENV: 'production' } : {}) };
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
