import type { BuildPlan } from '@vector/core';
import type { ResolvedRenderProviderOptions } from './render-provider-options.js';

/** Render's redirect/rewrite rule (`serviceDetails.routes` on create, `PUT /services/{id}/routes`). */
export interface RenderRoute {
  type: 'redirect' | 'rewrite';
  source: string;
  destination: string;
}

/** What one version needs from its Render service. */
export type RenderServiceSettings =
  | {
      type: 'static_site';
      /** Install && build; {@link NO_BUILD_COMMAND} when the files are served as they are. */
      buildCommand: string;
      publishPath: string;
      routes: RenderRoute[];
      env: Record<string, string>;
    }
  | {
      type: 'web_service';
      runtime: ResolvedRenderProviderOptions['runtime'];
      /** Native runtimes only; null for `docker`. */
      buildCommand: string | null;
      startCommand: string | null;
      env: Record<string, string>;
    };

/** The port Render gives a web service by default (`PORT`). */
export const RENDER_DEFAULT_PORT = '10000';

/** Render serves a static site's unknown paths from here when the plan asks for a fallback. */
export const SPA_FALLBACK_ROUTE: RenderRoute = { type: 'rewrite', source: '/*', destination: '/index.html' };

/** Render needs a build command; this one does nothing, for plans without an install or build step. */
export const NO_BUILD_COMMAND = "echo 'no build step'";

const joinCommands = (...commands: Array<string | null>) => commands.filter((command): command is string => command !== null && command !== '').join(' && ') || null;

/**
 * Maps a build plan onto Render:
 * - `static` and `spa` become a `static_site`: build command = install && build, publish
 *   path = the output directory (`./` for the project root), and for `spaFallback` one
 *   rewrite `/*` → `/index.html`;
 * - `server` becomes a `web_service` on the configured runtime with build command =
 *   install && build and the plan's start command.
 * Commands given in the settings override the plan's; the `docker` runtime builds the
 * repository's Dockerfile and ignores the plan. A plan whose server reads another port
 * variable than `PORT` gets it set to Render's port.
 */
export function mapBuildPlan(plan: BuildPlan, settings: Pick<ResolvedRenderProviderOptions, 'runtime' | 'buildCommand' | 'startCommand'>): RenderServiceSettings {
  if (settings.runtime !== 'docker' && (plan.kind === 'static' || plan.kind === 'spa')) {
    const outputDirectory = plan.outputDirectory ?? '.';
    return {
      type: 'static_site',
      buildCommand: settings.buildCommand ?? joinCommands(plan.installCommand, plan.buildCommand) ?? NO_BUILD_COMMAND,
      publishPath: outputDirectory === '.' ? './' : outputDirectory,
      routes: plan.spaFallback ? [SPA_FALLBACK_ROUTE] : [],
      env: {},
    };
  }
  const env: Record<string, string> = plan.kind === 'server' && plan.portVariable !== 'PORT' ? { PORT: RENDER_DEFAULT_PORT, [plan.portVariable]: RENDER_DEFAULT_PORT } : {};
  if (settings.runtime === 'docker') return { type: 'web_service', runtime: 'docker', buildCommand: null, startCommand: null, env };
  return {
    type: 'web_service',
    runtime: settings.runtime,
    buildCommand: settings.buildCommand ?? joinCommands(plan.installCommand, plan.buildCommand) ?? NO_BUILD_COMMAND,
    startCommand: settings.startCommand ?? plan.startCommand,
    env,
  };
}
