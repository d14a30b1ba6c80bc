import type { BuildPlan } from '@vector/core';

/** A command the Dockerfile runs, so a failing build can be told by its step. */
export interface BuildStep {
  name: 'toolchain' | 'install' | 'typecheck' | 'build';
  command: string;
}

/** A generated Dockerfile and the steps it runs, in order. */
export interface GeneratedDockerfile {
  text: string;
  steps: BuildStep[];
  /** Files of the project copied before the install, so its layer is cached by them alone. */
  installInputs: string[];
}

/** Where the image keeps the file server of static sites. */
export const staticServerPath = '/opt/vector/serve.mjs';

const lockfiles = ['pnpm-lock.yaml', 'package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'bun.lock', 'bun.lockb'];
/** Settings files the package managers read during an install. */
const installSettings = ['.npmrc', 'pnpm-workspace.yaml', '.yarnrc.yml', 'bunfig.toml'];
const cacheRoot = '/var/cache/vector';

/**
 * The Dockerfile of a version that has none of its own, following `plan`. Layers are ordered
 * so the install is cached by the dependency manifests alone: the package manager (when the
 * base image lacks it), the manifests and lockfile, the install, then the rest of the files,
 * the type check and the build. With BuildKit the install also keeps the package manager's
 * store in a cache mount, so a changed dependency list downloads only what is new.
 *
 * Deployment variables are build arguments (declared after the install, so they don't
 * invalidate it); secrets never reach a build. The image runs the start command for a
 * server, or `node serve.mjs <output>` for a static site or app.
 */
export function dockerfileForPlan(input: { plan: BuildPlan; baseImage: string; fileNames: ReadonlySet<string>; buildArgNames: ReadonlyArray<string>; buildKit: boolean }): GeneratedDockerfile {
  const { plan } = input;
  const lines = [`FROM ${input.baseImage}`, 'WORKDIR /app'];
  const steps: BuildStep[] = [];
  const installInputs = ['package.json', ...lockfiles, ...installSettings].filter((name) => input.fileNames.has(name));
  const run = (step: BuildStep, mount = '') => {
    steps.push(step);
    lines.push(`RUN ${mount}${step.command}`);
  };

  const manager = plan.packageManager;
  if (plan.installCommand !== null && manager !== null && manager !== 'npm') {
    // Cached once per base image: base images (node:*-slim) ship npm but not the others.
    run({ name: 'toolchain', command: `command -v ${manager} >/dev/null 2>&1 || npm install --global --no-audit --no-fund ${manager}` });
  }
  if (plan.kind !== 'server') lines.push(`COPY vector/serve.mjs ${staticServerPath}`);
  if (plan.installCommand !== null && installInputs.includes('package.json')) {
    lines.push(`COPY ${JSON.stringify([...installInputs.map((name) => `app/${name}`), './'])}`);
    lines.push(`ENV pnpm_config_store_dir=${cacheRoot}/pnpm-store npm_config_cache=${cacheRoot}/npm-cache YARN_CACHE_FOLDER=${cacheRoot}/yarn-cache BUN_INSTALL_CACHE_DIR=${cacheRoot}/bun-cache pnpm_config_update_notifier=false npm_config_update_notifier=false`);
    const mount = input.buildKit ? `--mount=type=cache,id=vector-${manager ?? 'npm'},target=${cacheRoot},sharing=${manager === 'pnpm' ? 'shared' : 'locked'} ` : '';
    run({ name: 'install', command: installCommand(plan) }, mount);
  }
  lines.push('COPY app/ ./');
  if (input.buildArgNames.length > 0 && (plan.typecheckCommand !== null || plan.buildCommand !== null)) lines.push(`ARG ${input.buildArgNames.join(' ')}`);
  if (plan.typecheckCommand !== null) run({ name: 'typecheck', command: plan.typecheckCommand });
  if (plan.buildCommand !== null) run({ name: 'build', command: plan.buildCommand });
  // HOME on the writable tmpfs: the root filesystem is read-only when the container runs.
  lines.push('ENV HOME=/tmp NODE_ENV=production');
  if (plan.kind === 'server') lines.push(`CMD ${JSON.stringify(['/bin/sh', '-c', plan.startCommand ?? 'npm start'])}`);
  else lines.push(`CMD ${JSON.stringify(['node', staticServerPath, `/app/${plan.outputDirectory ?? '.'}`.replace(/\/\.$/, ''), ...(plan.spaFallback ? ['spa'] : [])])}`);
  return { text: `${lines.join('\n')}\n`, steps, installInputs };
}

/**
 * The plan's install, made non-interactive and script-free: the detected pnpm/npm installs
 * get `--ignore-scripts` unless the project opts in (`installScripts` in vector.json), and a
 * pnpm install without a lockfile resolves one (`--no-frozen-lockfile`, as CI detection would
 * otherwise refuse). A custom install command runs as written.
 */
export function installCommand(plan: BuildPlan): string {
  const command = plan.installCommand ?? '';
  const scripts = plan.installScripts ? [] : ['--ignore-scripts'];
  switch (command) {
    case 'pnpm install':
      return ['pnpm install --no-frozen-lockfile', ...scripts, '--config.confirm-modules-purge=false'].join(' ');
    case 'pnpm install --frozen-lockfile':
      return ['pnpm install --frozen-lockfile', ...scripts, '--config.confirm-modules-purge=false'].join(' ');
    case 'npm install':
    case 'npm ci':
      return [command, '--no-audit --no-fund', ...scripts].join(' ');
    default:
      return command;
  }
}
