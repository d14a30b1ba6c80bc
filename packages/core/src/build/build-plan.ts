import { z } from 'zod';

/** What a version is, for building and running it. */
export const buildKindSchema = z.enum(['static', 'spa', 'server']);
/**
 * - `static`: files served as they are, no build (unless `vector.json` names a `buildCommand`).
 * - `spa`: a single-page app whose `build` script writes static files to `outputDirectory`.
 * - `server`: a Node program that listens on the port named by `portVariable`.
 */
export type BuildKind = z.infer<typeof buildKindSchema>;

/** The package managers a plan can name. */
export const packageManagerSchema = z.enum(['npm', 'pnpm', 'yarn', 'bun']);
/** A package manager a plan can name. */
export type PackageManager = z.infer<typeof packageManagerSchema>;

/** The file a project commits to pin its plan. */
export const BUILD_CONFIG_FILE = 'vector.json';

const command = z.string().trim().min(1, 'must not be empty').max(2000, 'at most 2000 characters');
const relativeDirectory = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(500)
  .refine((value) => !value.startsWith('/') && !value.split('/').includes('..'), 'must be a relative path inside the project');

/**
 * `vector.json`: every field optional; what is given overrides detection. Unknown fields are
 * rejected, so a typo is an error rather than silently ignored. `null` for a command means
 * "no such step" (e.g. `"typecheckCommand": null` turns the type check off).
 */
export const buildConfigSchema = z
  .object({
    $schema: z.string().optional(),
    kind: buildKindSchema.optional(),
    packageManager: packageManagerSchema.optional(),
    installCommand: command.nullable().optional(),
    typecheckCommand: command.nullable().optional(),
    buildCommand: command.nullable().optional(),
    startCommand: command.nullable().optional(),
    outputDirectory: relativeDirectory.optional(),
    portVariable: z.string().regex(/^[A-Z_][A-Z0-9_]{0,63}$/, 'an environment variable name (A-Z, 0-9, _)').optional(),
    spaFallback: z.boolean().optional(),
    installScripts: z.boolean().optional(),
  })
  .strict();
/** The contents of a project's `vector.json`. */
export type BuildConfig = z.infer<typeof buildConfigSchema>;

/**
 * How to build and run one version, the same for every provider. Commands are shell command
 * lines run from the project's root; `null` means the step does not exist.
 */
export const buildPlanSchema = z.object({
  kind: buildKindSchema,
  /** From the lockfile, else package.json's `packageManager`, else `pnpm`; null without package.json. */
  packageManager: packageManagerSchema.nullable(),
  /** The package manager's own lockfile, if any; with one, the install is frozen (`npm ci`, `--frozen-lockfile`). */
  lockfile: z.string().nullable(),
  installCommand: z.string().nullable(),
  /** `tsc --noEmit` when there is a tsconfig.json and the build script doesn't type-check already. */
  typecheckCommand: z.string().nullable(),
  buildCommand: z.string().nullable(),
  /** For `server`: the command that starts it. */
  startCommand: z.string().nullable(),
  /** For `static` and `spa`: the directory to serve (`.` for the project root). */
  outputDirectory: z.string().nullable(),
  /** The environment variable that tells a server which port to listen on. */
  portVariable: z.string(),
  /** Unknown paths answer `index.html` (client-side routing). */
  spaFallback: z.boolean(),
  /** Whether dependencies' install scripts may run (off unless the project opts in). */
  installScripts: z.boolean(),
  /** `config` when a `vector.json` set any field. */
  source: z.enum(['detected', 'config']),
  /** How each choice was made, in plain words, for logs and for the user. */
  reasons: z.array(z.string()),
});
/** How to build and run one version. */
export type BuildPlan = z.infer<typeof buildPlanSchema>;
