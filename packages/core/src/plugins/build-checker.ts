import type { SourceFile } from '../schemas/source-file.js';

/** One problem a build check found, located when the tool said where. */
export interface BuildDiagnostic {
  /** Project-relative path, when the tool named a file. */
  file: string | null;
  line: number | null;
  column: number | null;
  /** The tool's own words. */
  message: string;
}

/** One step of a build check. */
export interface BuildCheckStep {
  name: 'plan' | 'install' | 'typecheck' | 'build';
  status: 'passed' | 'failed' | 'skipped';
  durationMs: number;
}

/** What a build check found. */
export interface BuildCheckResult {
  status: 'passed' | 'failed';
  steps: BuildCheckStep[];
  /** Located problems, capped by the checker (20 by default). */
  diagnostics: BuildDiagnostic[];
  /** The last lines of the failed step's output, capped. Empty when it passed. */
  output: string;
}

/** Input of {@link BuildCheckerV1.check}. */
export interface BuildCheckInput {
  /** The files to check, as a whole project; untrusted. */
  files: ReadonlyArray<SourceFile>;
  /** Aborts the check and stops every process it started. */
  signal?: AbortSignal;
}

/**
 * Version 1 of the build-check contract: installs, type-checks and builds a set of files the
 * way a deployment would (following `planBuild`), without running the result. Agents use it
 * to check their output before saving a version; `@vector/provider-local` provides one.
 *
 * Guarantees:
 * - the files are untrusted: a checker runs them with a minimal environment, never the host's;
 * - `signal` aborts the check and stops every process it started;
 * - a project that fails to build is a `failed` result, never a thrown error; thrown errors
 *   mean the checker itself could not run (`ProviderError`, `CancelledError`).
 */
export interface BuildCheckerV1 {
  readonly specificationVersion: 'v1';
  /** Registry-style name, e.g. `local`. */
  readonly name: string;
  check(input: BuildCheckInput): Promise<BuildCheckResult>;
  dispose?(): Promise<void>;
}

/** The build-check contract. */
export type BuildChecker = BuildCheckerV1;
