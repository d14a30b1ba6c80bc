import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CancelledError, createSemaphore, type BuildChecker, type BuildCheckResult } from '@vector/core';
import { buildVersion } from './build-version.js';
import { parseLocalBuildOptions, type LocalBuildOptions } from './local-build-options.js';
import { createStepRunner } from './step-runner.js';
import { prepareToolchain, sandboxEnv, type Toolchain } from './toolchain.js';

/** Options of {@link createLocalBuildChecker}. */
export interface LocalBuildCheckerOptions extends LocalBuildOptions {
  /** Where each check's temporary directory is made. Default `<cacheDir>/checks`. */
  workDir?: string;
}

/**
 * A {@link BuildChecker} that builds a set of files exactly as the local provider would
 * (`planBuild`, then install from the shared cache, type check, build) in a temporary
 * directory it removes afterwards. For agents: pass it to `createCodegenAgent({ buildChecker })`
 * so the model hears the compiler's errors before a version is saved.
 */
export function createLocalBuildChecker(options: LocalBuildCheckerOptions = {}): BuildChecker {
  const { workDir, ...rest } = options;
  const settings = parseLocalBuildOptions(rest, 'local build checker options');
  const root = workDir ?? join(settings.cacheDir, 'checks');
  const slots = createSemaphore(settings.maxConcurrentBuilds);
  let toolchain: Promise<Toolchain> | null = null;

  return {
    specificationVersion: 'v1',
    name: 'local',
    async check({ files, signal }): Promise<BuildCheckResult> {
      if (signal?.aborted) throw new CancelledError({ message: 'the build check was cancelled', cause: signal.reason });
      toolchain ??= prepareToolchain(settings);
      const tools = await toolchain;
      return slots.run(async () => {
        await mkdir(root, { recursive: true });
        const dir = await mkdtemp(join(root, 'check-'));
        const output: string[] = [];
        try {
          const home = join(dir, 'home');
          const tmp = join(dir, 'tmp');
          await Promise.all([mkdir(home), mkdir(tmp)]);
          const run = createStepRunner({
            cwd: join(dir, 'app'),
            envFor: (step) => sandboxEnv({ toolchain: tools, settings, home, tmp, step }),
            settings,
            ...(signal ? { signal } : {}),
            onLog: (line) => {
              output.push(line.message);
              if (output.length > 60) output.shift();
            },
          });
          const outcome = await buildVersion({ files, appDir: join(dir, 'app'), toolchain: tools, run });
          if (signal?.aborted) throw new CancelledError({ message: 'the build check was cancelled', cause: signal.reason });
          if (outcome.ok) return { status: 'passed', steps: run.steps, diagnostics: [], output: '' };
          const tail = run.failure?.outcome?.tail ?? output;
          return { status: 'failed', steps: run.steps, diagnostics: outcome.diagnostics, output: [outcome.error.message, ...tail.slice(-20)].join('\n').slice(0, 8000) };
        } finally {
          await rm(dir, { recursive: true, force: true, maxRetries: 3 });
        }
      });
    },
  };
}
