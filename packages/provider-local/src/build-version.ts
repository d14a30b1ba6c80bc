import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { planBuild, type BuildDiagnostic, type BuildPlan, type SourceFile, errorMessage } from '@vector/core';
import { installDependencies, type InstallOutcome } from './install-dependencies.js';
import type { OutputCache } from './output-cache.js';
import { formatDiagnostic, parseDiagnostics } from './parse-diagnostics.js';
import type { StepRunner } from './step-runner.js';
import type { Toolchain } from './toolchain.js';

/** What building a version produced. */
export type BuildOutcome =
  | { ok: true; plan: BuildPlan; appDir: string; install: InstallOutcome }
  | { ok: false; plan: BuildPlan | null; error: { code: string; message: string }; diagnostics: BuildDiagnostic[] };

const errorCodes = { plan: 'PLAN_FAILED', install: 'INSTALL_FAILED', typecheck: 'TYPECHECK_FAILED', build: 'BUILD_FAILED' } as const;

/**
 * Writes the files into `appDir`, plans the build (`planBuild`), and runs the plan's install,
 * type check and build steps through `run`. A failure names the step, how it ended and the
 * tool's own first problems (file and line when it said them).
 */
export async function buildVersion(input: {
  /** The version's files; or `null` with `plan` to rebuild files already in `appDir`. */
  files: ReadonlyArray<SourceFile> | null;
  plan?: BuildPlan;
  appDir: string;
  toolchain: Toolchain;
  run: StepRunner;
  /** Called once the plan is known and the files are on disk. */
  onWritten?: (plan: BuildPlan) => Promise<void>;
  /** Reuse the output of an earlier build of the same files (single-page apps and static sites). */
  outputCache?: OutputCache;
  /** The variables the build runs with (part of the output cache's key). */
  buildEnv?: Readonly<Record<string, string>>;
}): Promise<BuildOutcome> {
  const { appDir, run } = input;
  const started = Date.now();
  let plan: BuildPlan;
  try {
    if (input.plan) plan = input.plan;
    else if (input.files) plan = planBuild(input.files);
    else throw new Error('buildVersion needs files or a plan');
  } catch (error) {
    const message = errorMessage(error);
    run.log('error', message);
    run.record({ name: 'plan', status: 'failed', durationMs: Date.now() - started }, { name: 'plan', command: '', description: message });
    return { ok: false, plan: null, error: { code: errorCodes.plan, message }, diagnostics: [] };
  }
  run.record({ name: 'plan', status: 'passed', durationMs: Date.now() - started });
  run.log('info', `build plan: ${plan.kind}${plan.packageManager ? ` with ${plan.packageManager}` : ''} (${plan.reasons.join('; ')})`);

  if (input.files) await writeFiles(appDir, input.files);
  await input.onWritten?.(plan);
  const fail = (name: 'install' | 'typecheck' | 'build'): BuildOutcome => {
    const failure = run.failure;
    const diagnostics = failure?.outcome ? parseDiagnostics(failure.outcome.lines, appDir) : [];
    const detail = diagnostics.length > 0 ? diagnostics.slice(0, 5).map(formatDiagnostic) : (failure?.outcome?.tail ?? []).slice(-8);
    const message = `${name === 'typecheck' ? 'type check' : name} failed (${failure?.description ?? 'unknown'})${detail.length > 0 ? `:\n${detail.join('\n')}` : ''}`;
    return { ok: false, plan, error: { code: errorCodes[name], message: message.slice(0, 4000) }, diagnostics };
  };

  const cacheKey = input.outputCache && input.files ? input.outputCache.keyOf(plan, input.files, input.buildEnv) : null;
  if (cacheKey && plan.outputDirectory && (await input.outputCache?.restore(cacheKey, join(appDir, plan.outputDirectory)))) {
    run.log('info', `build output reused: these exact files were built before, with the same variables (${plan.outputDirectory}/, cache key ${cacheKey.slice(0, 12)})`);
    for (const name of ['install', 'typecheck', 'build'] as const) run.record({ name, status: 'skipped', durationMs: 0 });
    return { ok: true, plan, appDir, install: { ok: true, cache: 'hit' } };
  }

  const install = await installDependencies({ plan, appDir, toolchain: input.toolchain, run });
  if (!install.ok) return fail('install');
  // The type check and the build read the same files and write nothing the other reads: run
  // them side by side (a build waits on the slower of the two, not their sum).
  const both = plan.typecheckCommand !== null && plan.buildCommand !== null;
  const [typechecked, built] = await Promise.all([
    plan.typecheckCommand ? run.step({ name: 'typecheck', command: plan.typecheckCommand, ...(both ? { prefix: 'typecheck | ' } : {}) }) : true,
    plan.buildCommand ? run.step({ name: 'build', command: plan.buildCommand, ...(both ? { prefix: 'build | ' } : {}) }) : true,
  ]);
  if (!typechecked) return fail('typecheck');
  if (!built) return fail('build');
  if (plan.outputDirectory !== null) {
    const output = join(appDir, plan.outputDirectory);
    if (!existsSync(output) || !statSync(output).isDirectory()) {
      const message = `build produced no ${plan.outputDirectory}/ directory to serve (set "outputDirectory" in vector.json if the bundler writes elsewhere)`;
      run.log('error', message);
      return { ok: false, plan, error: { code: errorCodes.build, message }, diagnostics: [] };
    }
  }
  if (cacheKey && plan.outputDirectory) await input.outputCache?.store(cacheKey, join(appDir, plan.outputDirectory)).catch((error: unknown) => run.log('warn', `could not keep the build output in the cache: ${errorMessage(error)}`));
  return { ok: true, plan, appDir, install };
}

/** Writes each file under `root`, refusing any path that would land outside it. */
async function writeFiles(root: string, files: ReadonlyArray<SourceFile>): Promise<void> {
  const base = resolve(root);
  await mkdir(base, { recursive: true });
  for (const file of files) {
    const target = resolve(base, file.path);
    if (!target.startsWith(base + sep)) throw new Error(`refusing to write ${JSON.stringify(file.path)} outside the build directory`);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
  }
}
