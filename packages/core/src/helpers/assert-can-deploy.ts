import { CancelledError } from '../errors/cancelled-error.js';
import { ValidationError } from '../errors/validation-error.js';
import type { DeploymentEnvironment } from '../schemas/deployment.js';

/**
 * The checks every self-hosting provider's `deploy` makes first: the call was not cancelled
 * (`CancelledError`), the provider is not disposed, and it offers the environment
 * (`ValidationError`).
 */
export function assertCanDeploy(input: { provider: string; disposed: boolean; environments: ReadonlyArray<DeploymentEnvironment>; environment: DeploymentEnvironment; signal?: AbortSignal | undefined }): void {
  if (input.signal?.aborted) throw new CancelledError({ message: 'deploy was cancelled', cause: input.signal.reason });
  if (input.disposed) throw new ValidationError({ message: `The ${input.provider} provider has been disposed` });
  if (!input.environments.includes(input.environment)) {
    throw new ValidationError({ message: `The ${input.provider} provider does not offer the ${input.environment} environment` });
  }
}
