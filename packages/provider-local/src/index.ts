/**
 * `@vector/provider-local`: builds and runs versions on this machine (install from a shared
 * dependency cache, type check, build, then serve or start), and the matching build checker
 * for agents.
 * @packageDocumentation
 */
export { createLocalProvider, type LocalProvider, type LocalUpstream } from './create-local-provider.js';
export type { LocalProviderOptions } from './local-provider-options.js';
export { createLocalBuildChecker, type LocalBuildCheckerOptions } from './create-local-build-checker.js';
export type { LocalBuildOptions } from './local-build-options.js';
