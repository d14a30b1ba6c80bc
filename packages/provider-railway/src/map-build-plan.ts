import type { BuildPlan } from '@vector/core';

/** What one version needs from its Railway service instance. */
export interface RailwayServiceSettings {
  /** `serviceInstanceUpdate.buildCommand`; null clears it (Railpack's own build). */
  buildCommand: string | null;
  /** `serviceInstanceUpdate.startCommand`; null clears it (Railpack's own start). */
  startCommand: string | null;
  /** Service variables the plan needs (merged under the deployment's env). */
  variables: Record<string, string>;
}

/** The port a service listens on when the plan reads another variable than `PORT`. */
export const RAILWAY_DEFAULT_PORT = '8080';

/** The static file server a static or single-page app is served with (pinned major). */
export const STATIC_SERVER_PACKAGE = 'serve@14';

const joinCommands = (...commands: Array<string | null>) => commands.filter((command): command is string => command !== null && command !== '').join(' && ') || null;

const quote = (value: string) => (/^[\w./@-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`);

/**
 * Maps a build plan onto a Railway service instance (Railpack builds it):
 * - `server`: build command = install && build, the plan's start command; a port variable
 *   other than `PORT` gets `PORT` and itself set to 8080;
 * - `static` and `spa` with a package.json: build command = install && build, started with
 *   `npx --yes serve@14 [-s] <outputDirectory> -l $PORT` (`-s` rewrites unknown paths to
 *   index.html, for `spaFallback`);
 * - `static` without a package.json: no commands; Railpack's static-site provider serves the
 *   output directory with Caddy (`RAILPACK_STATIC_FILE_ROOT`), as its image has no Node.
 */
export function mapBuildPlan(plan: BuildPlan): RailwayServiceSettings {
  const buildCommand = joinCommands(plan.installCommand, plan.buildCommand);
  if (plan.kind === 'server') {
    const variables: Record<string, string> = plan.portVariable === 'PORT' ? {} : { PORT: RAILWAY_DEFAULT_PORT, [plan.portVariable]: RAILWAY_DEFAULT_PORT };
    return { buildCommand, startCommand: plan.startCommand, variables };
  }
  const directory = plan.outputDirectory ?? '.';
  if (plan.packageManager === null) return { buildCommand: null, startCommand: null, variables: { RAILPACK_STATIC_FILE_ROOT: directory } };
  return { buildCommand, startCommand: `npx --yes ${STATIC_SERVER_PACKAGE} ${plan.spaFallback ? '-s ' : ''}${quote(directory)} -l $PORT`, variables: {} };
}
