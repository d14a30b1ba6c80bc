import type { BuildChecker, SourceFile, ValidationCheck, ValidationStatus } from '@vector/core';
import { CancelledError, encodeText, errorMessage } from '@vector/core';
import { z } from 'zod';
import { checkDataSchema } from './data-schema-file.js';
import { validateProject } from './validate-project.js';
import type { WorkingCopy } from './working-copy.js';

/** What checking the working copy found, in the words the model gets back. */
export interface ProjectCheck {
  status: ValidationStatus;
  /** The check that ran; null when none did (`not_run`). */
  check: ValidationCheck | null;
  /**
   * The data schema's errors first (`vector.data.json: path: message`, when the job changed it),
   * then the code's: `file:line:column: message`, at most {@link maxReportedErrors}, then the
   * output tail when nothing was located.
   */
  errors: string[];
  /** Set when the build checker could not run and the bundle check stood in for it. */
  warning?: string;
}

const maxReportedErrors = 20;
const maxOutputChars = 4_000;

// The checker is the embedder's code: its result is checked before the model sees it.
const buildCheckResultSchema = z.object({
  status: z.enum(['passed', 'failed']),
  steps: z.array(z.object({ name: z.string(), status: z.string() }).loose()),
  diagnostics: z.array(z.object({ file: z.string().nullable(), line: z.number().nullable(), column: z.number().nullable(), message: z.string() }).loose()),
  output: z.string(),
});
type CheckedBuildResult = z.output<typeof buildCheckResultSchema>;

/**
 * Checks the working copy: with a {@link BuildChecker}, installs, type-checks and builds all
 * of its files the way a deployment would (`check: 'build'`); without one, bundles it in
 * memory with esbuild (`check: 'bundle'`). A checker that cannot run (it throws, or returns
 * something that is not a result) does not fail the job: the bundle check stands in and
 * `warning` says why. Cancellation always wins.
 *
 * When the job changed `vector.data.json`, it is also checked against core's data schema;
 * its errors fail the check (whatever the code check found) and come first. `check` still
 * names the code check (null when the project has no code to check).
 *
 * @throws CancelledError when `signal` aborts.
 */
export async function checkProject(input: { copy: WorkingCopy; buildChecker?: BuildChecker; signal: AbortSignal }): Promise<ProjectCheck> {
  const dataErrors = await checkDataSchema(input.copy);
  const code = await checkCode(input);
  if (dataErrors.length === 0) return code;
  return { ...code, status: 'failed', errors: [...dataErrors, ...code.errors] };
}

async function checkCode(input: { copy: WorkingCopy; buildChecker?: BuildChecker; signal: AbortSignal }): Promise<ProjectCheck> {
  const { copy, buildChecker, signal } = input;
  let warning: string | undefined;
  if (buildChecker) {
    try {
      return await runBuildCheck(copy, buildChecker, signal);
    } catch (error) {
      if (signal.aborted) throw new CancelledError({ cause: signal.reason });
      if (CancelledError.isInstance(error)) throw error;
      warning = `The build check (${buildChecker.name}) could not run, so the code was only bundled: ${errorMessage(error)}`.slice(0, 1_000);
    }
  }
  const bundled = await validateProject(copy);
  return { status: bundled.status, check: bundled.status === 'not_run' ? null : 'bundle', errors: bundled.errors, ...(warning ? { warning } : {}) };
}

async function runBuildCheck(copy: WorkingCopy, checker: BuildChecker, signal: AbortSignal): Promise<ProjectCheck> {
  const entries = await copy.list();
  if (entries.length === 0) return { status: 'not_run', check: null, errors: [] };
  const files: SourceFile[] = [];
  for (const entry of entries) {
    const content = await copy.read(entry.path);
    if (content !== null) files.push({ path: entry.path, content: typeof content === 'string' ? encodeText(content) : content });
  }
  if (signal.aborted) throw new CancelledError({ cause: signal.reason });
  const raw: unknown = await checker.check({ files, signal });
  const parsed = buildCheckResultSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`it returned an invalid result (${parsed.error.issues[0]?.path.join('.') || 'result'}: ${parsed.error.issues[0]?.message ?? 'invalid'})`);
  const result = parsed.data;
  return { status: result.status, check: 'build', errors: result.status === 'passed' ? [] : formatBuildErrors(result) };
}

/**
 * The model's view of a failed build: each diagnostic as `file:line:column: message` (at most
 * 20), and, when none names a file, the failed step and the tail of its output.
 */
export function formatBuildErrors(result: CheckedBuildResult): string[] {
  const errors = result.diagnostics.slice(0, maxReportedErrors).map((diagnostic) => {
    const line = diagnostic.line === null ? '' : `:${diagnostic.line}${diagnostic.column === null ? '' : `:${diagnostic.column}`}`;
    const where = diagnostic.file === null ? '' : `${diagnostic.file}${line}: `;
    return `${where}${diagnostic.message.trim()}`.slice(0, 800);
  });
  const located = result.diagnostics.some((diagnostic) => diagnostic.file !== null);
  const failedStep = result.steps.find((step) => step.status === 'failed')?.name;
  if (!located) {
    const output = result.output.trim();
    const tail = output.length > maxOutputChars ? `…${output.slice(-maxOutputChars)}` : output;
    const step = failedStep ? `The ${failedStep} step failed` : 'The build failed';
    errors.push(tail ? `${step}; the end of its output:\n${tail}` : `${step} without output.`);
  }
  return errors;
}
