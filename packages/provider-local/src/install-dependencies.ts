import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildPlan } from '@vector/core';
import type { StepRunner } from './step-runner.js';
import type { Toolchain } from './toolchain.js';

/** How an install went. */
export interface InstallOutcome {
  ok: boolean;
  /** `hit`: everything came from the cache, offline; `miss`: the registry was asked. */
  cache: 'hit' | 'miss' | 'none';
}

const lockfileOf = { pnpm: 'pnpm-lock.yaml', npm: 'package-lock.json' } as const;
const dependencyFields = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'overrides', 'resolutions', 'pnpm'];

/**
 * Installs the plan's dependencies through the package manager's own cache:
 *
 * - pnpm: the content-addressed store under the cache directory (files are hard-linked
 *   into node_modules, never copied); npm: its cacache directory.
 * - The cache is keyed by the lockfile. A project without one is keyed by package.json's
 *   dependency fields: the lockfile the first install resolved is kept under that key and
 *   reused, so a second build with the same dependencies resolves nothing.
 * - A keyed install first runs `--offline` (it fetches nothing, and fails if anything is
 *   missing from the cache); only then does it ask the registry (`--prefer-offline`).
 * - Install scripts are off (`--ignore-scripts`) unless the plan opts in.
 *
 * A custom `installCommand` (from vector.json) runs as written, with the same cache settings.
 */
export async function installDependencies(input: { plan: BuildPlan; appDir: string; toolchain: Toolchain; run: StepRunner }): Promise<InstallOutcome> {
  const { plan, appDir, toolchain, run } = input;
  if (plan.installCommand === null) return { ok: true, cache: 'none' };
  const manager = plan.packageManager;
  if (manager !== 'pnpm' && manager !== 'npm') {
    run.log('error', `The local provider installs with pnpm or npm; this project uses ${manager ?? 'no package manager'}${plan.lockfile ? ` (${plan.lockfile})` : ''}. Set "packageManager" in vector.json, or deploy with the Docker provider.`);
    return { ok: false, cache: 'none' };
  }
  if (!isDefaultInstall(plan)) {
    const outcome = await run.step({ name: 'install', command: plan.installCommand });
    return { ok: outcome, cache: 'none' };
  }

  const lockfileName = lockfileOf[manager];
  const projectLockfile = join(appDir, lockfileName);
  let cachedLockfile: string | null = null;
  if (!existsSync(projectLockfile)) {
    const key = dependencyKey(manager, readFileSync(join(appDir, 'package.json'), 'utf8'));
    cachedLockfile = join(toolchain.lockfiles, key, lockfileName);
    if (existsSync(cachedLockfile)) {
      await copyFile(cachedLockfile, projectLockfile);
      run.log('info', `using the ${lockfileName} resolved earlier for these dependencies (cache key ${key.slice(0, 12)})`);
    }
  }

  const scripts = plan.installScripts ? (manager === 'pnpm' ? ['--config.dangerously-allow-all-builds=true'] : []) : ['--ignore-scripts'];
  const common = manager === 'pnpm' ? ['--ignore-workspace', '--config.confirm-modules-purge=false', ...scripts] : ['--no-audit', '--no-fund', ...scripts];
  if (existsSync(projectLockfile)) {
    const frozen = manager === 'pnpm' ? ['install', '--frozen-lockfile'] : ['ci'];
    const offline = await run.step({ name: 'install', command: [manager, ...frozen, '--offline', ...common].join(' '), quiet: true });
    if (offline) {
      run.log('info', 'dependencies installed from the cache (offline)');
      return { ok: true, cache: 'hit' };
    }
    run.log('info', 'not everything is in the cache yet: fetching what is missing from the registry');
    const online = await run.step({ name: 'install', command: [manager, ...frozen, '--prefer-offline', ...common].join(' ') });
    return { ok: online, cache: 'miss' };
  }

  const resolveCommand = manager === 'pnpm' ? ['pnpm', 'install', '--no-frozen-lockfile', '--prefer-offline', ...common] : ['npm', 'install', '--prefer-offline', ...common];
  const resolved = await run.step({ name: 'install', command: resolveCommand.join(' ') });
  if (resolved && cachedLockfile && existsSync(projectLockfile)) {
    // Kept beside, then renamed: a concurrent build never reads half a lockfile.
    await mkdir(join(cachedLockfile, '..'), { recursive: true });
    const temporary = `${cachedLockfile}.${process.pid}.${Date.now()}.tmp`;
    await copyFile(projectLockfile, temporary);
    await rename(temporary, cachedLockfile);
  }
  return { ok: resolved, cache: 'miss' };
}

/** True when the plan's install command is the one `planBuild` detects (not a custom one). */
function isDefaultInstall(plan: BuildPlan): boolean {
  const command = plan.installCommand;
  return command === 'pnpm install' || command === 'pnpm install --frozen-lockfile' || command === 'npm install' || command === 'npm ci';
}

/** The cache key of a project without a lockfile: its dependency fields, canonically ordered. */
export function dependencyKey(manager: string, packageJson: string): string {
  let manifest: Record<string, unknown> = {};
  try {
    manifest = JSON.parse(packageJson) as Record<string, unknown>;
  } catch {
    // planBuild has rejected invalid JSON already; hash the text as it is.
    return createHash('sha256').update(`${manager}\n${packageJson}`).digest('hex');
  }
  const picked = Object.fromEntries(dependencyFields.filter((field) => manifest[field] !== undefined).map((field) => [field, canonical(manifest[field])]));
  return createHash('sha256').update(`${manager}\n${JSON.stringify(picked)}`).digest('hex');
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, item]) => [key, canonical(item)]));
  }
  return value;
}
