/**
 * The inputs of the engine's API (`vector.organizations`, `vector.users`, `vector.scope(...)`),
 * as zod schemas. The engine parses every call with these, and the reference server derives
 * its request bodies from them, so a rule such as the one for environment variable names
 * holds at both layers.
 *
 * Zod refuses `.omit()`, `.pick()` and `.extend()` on an object schema that carries a
 * refinement, so each refined input comes with its plain `…FieldsSchema` and a function that
 * applies the refinement to a schema derived from it.
 */
import { z } from 'zod';
import { agentJobStatusSchema, jobBudgetSchema } from './agent-job.js';
import { usageGroupSchema } from './agent-step.js';
import { versionSourceSchema } from './code-version.js';
import { idSchema, jsonObjectSchema, timestampSchema } from './common.js';
import { dataColumnSchema } from './data-table.js';
import { deploymentEnvironmentSchema, deploymentStatusSchema } from './deployment.js';
import { memberRoleSchema } from './organization.js';
import { fileInputSchema } from './source-file.js';

// ---------------------------------------------------------------------------------------------
// Environment variables and secrets

/**
 * The name of an environment variable or secret: letters, digits and `_`, not starting with a
 * digit, at most 128 characters.
 */
export const envVarNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'environment variable names are letters, digits and _, do not start with a digit and have at most 128 characters');

/** Environment variables (or secrets) for a deployment: name → value, values up to 32 KiB. */
export const envVarsSchema = z.record(envVarNameSchema, z.string().max(32_768));
/** Environment variables (or secrets) for a deployment. */
export type EnvVars = z.input<typeof envVarsSchema>;

/**
 * Applies the rule that no name is both an environment variable and a secret to an object
 * schema with optional `env` and `secrets` (such as {@link createDeploymentInputFieldsSchema}
 * or a schema derived from it).
 */
export function requireDistinctEnvAndSecrets<Schema extends z.ZodType<{ env?: Record<string, string> | undefined; secrets?: Record<string, string> | undefined }>>(
  schema: Schema,
): Schema {
  return schema.refine(
    (input: { env?: Record<string, string> | undefined; secrets?: Record<string, string> | undefined }) => {
      const secrets = input.secrets ?? {};
      return Object.keys(input.env ?? {}).every((name) => !Object.hasOwn(secrets, name));
    },
    { message: 'a name cannot be both an env var and a secret', path: ['secrets'] },
  ) as Schema;
}

// ---------------------------------------------------------------------------------------------
// Versions

/** The deletion of one file in a `changes` list. */
export const fileDeleteInputSchema = z.object({ type: z.literal('delete'), path: z.string().min(1).max(1024) });

/** A file write (a {@link fileInputSchema} with `type: 'write'`) or delete, as `versions.create` accepts it. */
export const fileChangeInputSchema = z.discriminatedUnion('type', [fileInputSchema.extend({ type: z.literal('write') }), fileDeleteInputSchema]);
/** A file write or delete as callers pass it to `versions.create`. */
export type FileChangeInput = z.input<typeof fileChangeInputSchema>;

/** The fields of `versions.create`, without the rule that exactly one of `files` and `changes` is given. */
export const createVersionInputFieldsSchema = z.object({
  projectId: idSchema,
  /** The project's current version (null for the first version). */
  parentVersionId: idSchema.nullable(),
  /** The complete new file set: paths absent from it are deleted. */
  files: z.array(fileInputSchema).max(100_000).optional(),
  /** Writes and deletes on top of the parent version. */
  changes: z.array(fileChangeInputSchema).max(100_000).optional(),
  message: z.string().trim().min(1).max(10_000),
  source: versionSourceSchema.extract(['manual', 'import']).default('manual'),
});

/** Applies the rule that exactly one of `files` and `changes` is given to a schema derived from {@link createVersionInputFieldsSchema}. */
export function requireFilesOrChanges<Schema extends z.ZodType<{ files?: unknown; changes?: unknown }>>(schema: Schema): Schema {
  return schema.refine((input: { files?: unknown; changes?: unknown }) => (input.files === undefined) !== (input.changes === undefined), {
    message: 'give exactly one of files or changes',
    path: ['files'],
  }) as Schema;
}

/** The input of `versions.create`. */
export const createVersionInputSchema = requireFilesOrChanges(createVersionInputFieldsSchema);
/** The input of `versions.create`. */
export type CreateVersionInput = z.input<typeof createVersionInputSchema>;

/** The input of `versions.rollback`. */
export const rollbackVersionInputSchema = z.object({
  projectId: idSchema,
  targetVersionId: idSchema,
  /** When given and the project's current version is another one, the rollback is a conflict. */
  expectedCurrentVersionId: idSchema.optional(),
  message: z.string().trim().min(1).max(10_000).optional(),
  /**
   * Also brings the project's data back to how it was when the target version was (last)
   * published, and publishes the new version. Nothing is lost: the undone changes stay in the
   * data's history, and rolling back to the version published before restores them.
   */
  includeData: z.boolean().default(false),
});
/** The input of `versions.rollback`. */
export type RollbackVersionInput = z.input<typeof rollbackVersionInputSchema>;

/** The `deploy` options of `versions.publish`, without the env/secrets rule: the fields `deployments.create` takes for them. */
export const publishDeployInputFieldsSchema = z.object({
  /** The deployment provider (default: the engine's default provider). */
  provider: z.string().min(1).optional(),
  env: envVarsSchema.optional(),
  secrets: envVarsSchema.optional(),
});

/** The input of `versions.publish`. */
export const publishVersionInputSchema = z.object({
  projectId: idSchema,
  versionId: idSchema,
  /** Also deploys the version to production; checked before anything is published. */
  deploy: requireDistinctEnvAndSecrets(publishDeployInputFieldsSchema).optional(),
  /** Lets the data migration to the version's `vector.data.json` drop tables or columns and narrow types; without it such a migration fails and nothing changes. */
  allowDestructiveDataChanges: z.boolean().default(false),
});
/** The input of `versions.publish`. */
export type PublishVersionInput = z.input<typeof publishVersionInputSchema>;

// ---------------------------------------------------------------------------------------------
// Deployments

/** The fields of `deployments.create`, without the rule that no name is both in `env` and in `secrets`. */
export const createDeploymentInputFieldsSchema = z.object({
  projectId: idSchema,
  /** The version to deploy (default: the project's current version). */
  versionId: idSchema.optional(),
  environment: deploymentEnvironmentSchema,
  /** The deployment provider (default: the engine's default provider). */
  provider: z.string().min(1).optional(),
  env: envVarsSchema.default({}),
  /** Passed to the provider, never stored. */
  secrets: envVarsSchema.default({}),
  /** A repeated key returns the deployment it created. */
  idempotencyKey: z.string().min(1).max(200).optional(),
  /** Preview lifetime; defaults to the engine's `previewTtlSeconds`. */
  ttlSeconds: z
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .optional(),
  /** Production only: lets the migration of the project's data to the version's `vector.data.json` drop tables or columns and narrow types. */
  allowDestructiveDataChanges: z.boolean().default(false),
});

/** The input of `deployments.create`. */
export const createDeploymentInputSchema = requireDistinctEnvAndSecrets(createDeploymentInputFieldsSchema);
/** The input of `deployments.create`. */
export type CreateDeploymentInput = z.input<typeof createDeploymentInputSchema>;

/** The filter of `deployments.list`. */
export const deploymentFilterInputSchema = z.object({ projectId: idSchema.optional(), environment: deploymentEnvironmentSchema.optional(), status: deploymentStatusSchema.optional() });
/** The filter of `deployments.list`. */
export type DeploymentFilterInput = z.input<typeof deploymentFilterInputSchema>;

/** A page of a sequence-numbered log: entries with `sequence > afterSequence`, at most `limit`. */
const sequencePageInputSchema = z.object({ afterSequence: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(10_000).default(1000) });

/** The options of `deployments.listLogs`: lines with `sequence > afterSequence`, at most `limit`. */
export const deploymentLogsOptionsInputSchema = sequencePageInputSchema;
/** The options of `deployments.listLogs`. */
export type DeploymentLogsOptionsInput = z.input<typeof deploymentLogsOptionsInputSchema>;

// ---------------------------------------------------------------------------------------------
// Projects

/** The input of `projects.create`. */
export const createProjectInputSchema = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(5000).default(''),
  /** The registered storage backend (default: the engine's first). */
  storageBackend: z.string().min(1).optional(),
  settings: jsonObjectSchema.default({}),
});
/** The input of `projects.create`. */
export type CreateProjectInput = z.input<typeof createProjectInputSchema>;

/** The patch of `projects.update`; unknown fields are refused. */
export const updateProjectInputSchema = z.object({ name: z.string().trim().min(1).max(200).optional(), description: z.string().max(5000).optional(), settings: jsonObjectSchema.optional() }).strict();
/** The patch of `projects.update`. */
export type UpdateProjectInput = z.input<typeof updateProjectInputSchema>;

/** The input of `projects.importRepository`: a new project, and the repository commit that becomes its first version. */
export const importProjectInputSchema = createProjectInputSchema.extend({
  source: z.object({
    owner: z.string().trim().min(1).max(100),
    repository: z.string().trim().min(1).max(100),
    /** Branch, tag or commit; default the repository's default branch. */
    ref: z.string().trim().min(1).max(255).optional(),
  }),
});
/** The input of `projects.importRepository`. */
export type ImportProjectInput = z.input<typeof importProjectInputSchema>;

/** The input of `projects.resolveStorageConflict`. */
export const resolveStorageConflictInputSchema = z.object({ projectId: idSchema, keep: z.enum(['external', 'vector']) });

// ---------------------------------------------------------------------------------------------
// Organizations and users

/** An organization's monthly ceiling in US dollars, or null for none. */
const monthlyBudgetSchema = z.number().positive().max(100_000_000).nullable();

/** The input of `organizations.create`. */
export const createOrganizationInputSchema = z.object({
  name: z.string().trim().min(1).max(200),
  /** Default: derived from the name, with a random suffix. */
  slug: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'slugs are lower-case letters, digits and dashes')
    .optional(),
  /** See `Organization.monthlyBudgetUsd`; default null (no ceiling). */
  monthlyBudgetUsd: monthlyBudgetSchema.optional(),
});
/** The input of `organizations.create`. */
export type CreateOrganizationInput = z.input<typeof createOrganizationInputSchema>;

/** The patch of `organizations.update`; unknown fields are refused. */
export const updateOrganizationInputSchema = z.object({ name: z.string().trim().min(1).max(200).optional(), monthlyBudgetUsd: monthlyBudgetSchema.optional() }).strict();
/** The patch of `organizations.update`. */
export type UpdateOrganizationInput = z.input<typeof updateOrganizationInputSchema>;

/** The input of `users.create`; the email is trimmed and lower-cased. */
export const createUserInputSchema = z.object({ email: z.string().trim().toLowerCase().email().max(320), name: z.string().trim().min(1).max(200) });
/** The input of `users.create`. */
export type CreateUserInput = z.input<typeof createUserInputSchema>;

/** The input of `users.addMember` and `users.updateMemberRole`. */
export const membershipInputSchema = z.object({ organizationId: idSchema, userId: idSchema, role: memberRoleSchema });
/** The input of `users.addMember` and `users.updateMemberRole`. */
export type MembershipInput = z.input<typeof membershipInputSchema>;

/**
 * The input of `users.addMember`: the membership, and optionally the name this organization
 * knows the member by (listed by `users.listMembers`; never another organization's).
 */
export const addMemberInputSchema = membershipInputSchema.extend({ name: z.string().trim().min(1).max(200).optional() });
/** The input of `users.addMember`. */
export type AddMemberInput = z.input<typeof addMemberInputSchema>;

/** The input of `users.removeMember` and `users.getMembership`. */
export const membershipRefInputSchema = z.object({ organizationId: idSchema, userId: idSchema });
/** The input of `users.removeMember` and `users.getMembership`. */
export type MembershipRefInput = z.input<typeof membershipRefInputSchema>;

// ---------------------------------------------------------------------------------------------
// Agent sessions, messages and jobs

/** The input of `agent.createSession`. */
export const createSessionInputSchema = z.object({
  projectId: idSchema,
  /** The registered agent type (default: the engine's first). */
  agentType: z.string().min(1).optional(),
  title: z.string().max(300).default(''),
  /** Agent settings such as `model`; never secrets. */
  settings: jsonObjectSchema.default({}),
});
/** The input of `agent.createSession`. */
export type CreateSessionInput = z.input<typeof createSessionInputSchema>;

/** The input of `agent.postMessage`. */
export const postMessageInputSchema = z.object({
  sessionId: idSchema,
  content: z.string().trim().min(1, 'the message is empty').max(200_000),
  /** Limits for the job; the engine's budget is a ceiling callers may lower, never raise. */
  budget: jobBudgetSchema.partial().optional(),
});
/** The input of `agent.postMessage`. */
export type PostMessageInput = z.input<typeof postMessageInputSchema>;

/** The filter of `agent.listJobs`. */
export const jobFilterInputSchema = z.object({ projectId: idSchema.optional(), sessionId: idSchema.optional(), status: agentJobStatusSchema.optional() });
/** The filter of `agent.listJobs`. */
export type JobFilterInput = z.input<typeof jobFilterInputSchema>;

/** The options of `agent.listJobEvents`: events with `sequence > afterSequence`, at most `limit`. */
export const jobEventsOptionsInputSchema = sequencePageInputSchema;
/** The options of `agent.listJobEvents`. */
export type JobEventsOptionsInput = z.input<typeof jobEventsOptionsInputSchema>;

/** The options of `agent.listSteps`: steps with `index > afterIndex`, at most `limit` (outputs can be large). */
export const jobStepsOptionsInputSchema = z.object({ afterIndex: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(1000).default(100) });
/** The options of `agent.listSteps`. */
export type JobStepsOptionsInput = z.input<typeof jobStepsOptionsInputSchema>;

/**
 * The query of `usage.summarize`: steps recorded in `[start, end)` (default: the last 7 days,
 * as v0's usage API), summed by `groupBy` (default by day; an empty list gives only totals),
 * optionally of one project, session or job.
 */
export const usageQueryInputSchema = z
  .object({
    start: timestampSchema.optional(),
    end: timestampSchema.optional(),
    groupBy: z
      .array(usageGroupSchema)
      .max(3)
      .refine((groups) => new Set(groups).size === groups.length, 'each group at most once')
      .default(['day']),
    projectId: idSchema.optional(),
    sessionId: idSchema.optional(),
    jobId: idSchema.optional(),
  })
  .strict()
  .refine((query) => query.start === undefined || query.end === undefined || Date.parse(query.start) < Date.parse(query.end), { message: 'start must be before end', path: ['start'] });
/** The query of `usage.summarize`. */
export type UsageQueryInput = z.input<typeof usageQueryInputSchema>;

// ---------------------------------------------------------------------------------------------
// Runtime data

/** The input of `data.createTable`; column names must be unique. */
export const createDataTableInputSchema = z.object({
  projectId: idSchema,
  name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/, 'table names are identifiers: letters, digits, _'),
  columns: z
    .array(dataColumnSchema)
    .min(1)
    .max(200)
    .refine((columns) => new Set(columns.map((column) => column.name)).size === columns.length, 'column names must be unique'),
});
/** The input of `data.createTable`. */
export type CreateDataTableInput = z.input<typeof createDataTableInputSchema>;

/**
 * A row's values as `data.insertRow` and `data.updateRow` take them: column name → value. The
 * table's declared columns decide which names and values are valid.
 */
export const dataRowValuesInputSchema = jsonObjectSchema;

/** Equality filters of `data.listRows`: column name → value (null matches a missing value). */
export const dataRowWhereInputSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));

/** The query of `data.listRows`: equality on declared columns, and an order. */
export const dataRowQueryInputSchema = z.object({
  where: dataRowWhereInputSchema.optional(),
  orderBy: z.object({ column: z.string(), direction: z.enum(['asc', 'desc']).default('asc') }).optional(),
});
/** Filters for runtime data rows: equality on declared columns. */
export type DataRowQuery = z.input<typeof dataRowQueryInputSchema>;

// ---------------------------------------------------------------------------------------------
// Audit

/** The filter of `audit.list`: `since` inclusive, `until` exclusive. */
export const auditFilterInputSchema = z.object({
  projectId: idSchema.optional(),
  actorId: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(100).optional(),
  since: timestampSchema.optional(),
  until: timestampSchema.optional(),
});
/** The filter of `audit.list`. */
export type AuditFilterInput = z.input<typeof auditFilterInputSchema>;

/**
 * The input of `audit.record`: an organization-level entry written by code embedding the
 * engine (the reference server records API keys and invitations with it). `action` is dotted
 * lower-case words (`api_key.create`); `data` is JSON and must never hold secrets.
 */
export const recordAuditInputSchema = z.object({
  action: z
    .string()
    .max(100)
    .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, 'dotted lower-case words, e.g. api_key.create'),
  entityType: z.string().min(1).max(100),
  entityId: z.string().min(1).max(200),
  data: jsonObjectSchema.optional(),
});
/** The input of `audit.record`. */
export type RecordAuditInput = z.input<typeof recordAuditInputSchema>;
