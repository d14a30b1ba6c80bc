import { z } from 'zod';
import { errorInfoSchema } from './agent-event.js';
import { idSchema, timestampSchema } from './common.js';

/** pending → building → live | failed → destroyed. */
export const deploymentStatusSchema = z.enum(['pending', 'building', 'live', 'failed', 'destroyed']);
/** A deployment's state in Vector's own terms (providers map theirs onto it). */
export type DeploymentStatus = z.infer<typeof deploymentStatusSchema>;

/** Previews are ephemeral and expire; production is one per project. */
export const deploymentEnvironmentSchema = z.enum(['preview', 'production']);
/** Preview or production. */
export type DeploymentEnvironment = z.infer<typeof deploymentEnvironmentSchema>;

/** A code version deployed through a provider. Secrets are never stored here. */
export const deploymentSchema = z.object({
  id: idSchema,
  projectId: idSchema,
  organizationId: idSchema,
  versionId: idSchema,
  provider: z.string(),
  environment: deploymentEnvironmentSchema,
  status: deploymentStatusSchema,
  /** The provider's own id for the deployment (service/deploy ids, encoded by the provider). */
  providerDeploymentId: z.string().nullable(),
  /** The provider's raw status string, for display and debugging. */
  providerStatus: z.string().nullable(),
  url: z.string().nullable(),
  /** Names of the environment variables set (values are never returned). */
  envKeys: z.array(z.string()),
  expiresAt: timestampSchema.nullable(),
  idempotencyKey: z.string().nullable(),
  error: errorInfoSchema.nullable(),
  /** Opaque log cursor for incremental log fetching. */
  logCursor: z.string().nullable(),
  createdBy: z.string(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  liveAt: timestampSchema.nullable(),
  destroyedAt: timestampSchema.nullable(),
});
/** A code version deployed through a provider. */
export type Deployment = z.infer<typeof deploymentSchema>;

/** One line of build or runtime output, stored in order. */
export const deploymentLogSchema = z.object({
  deploymentId: idSchema,
  sequence: z.number().int().positive(),
  timestamp: timestampSchema,
  level: z.enum(['debug', 'info', 'warn', 'error']),
  source: z.enum(['build', 'deploy', 'runtime']),
  message: z.string(),
});
/** One line of build or runtime output. */
export type DeploymentLog = z.infer<typeof deploymentLogSchema>;
