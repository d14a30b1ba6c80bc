import type { BuildCheckStep } from '@vector/core';
import type { LocalBuildSettings } from './local-build-options.js';
import { describeOutcome, startCommand, type CommandOutcome, type RunningCommand } from './run-command.js';

/** A log line from a build, before the provider stamps it. */
export interface StepLogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

/** A failed step: enough to write an error message and find diagnostics. */
export interface StepFailure {
  name: BuildCheckStep['name'];
  command: string;
  outcome: CommandOutcome | null;
  /** `exit 2`, `timed out after 300 s`, or the reason the step could not run. */
  description: string;
}

/** Runs a build's steps in order with one environment and one log. */
export interface StepRunner {
  log(level: StepLogLine['level'], message: string): void;
  /**
   * Runs one command; true when it exits 0. `quiet` keeps its output out of the log (used for
   * the offline install attempt, whose failure just means "not cached yet").
   */
  step(input: { name: Exclude<BuildCheckStep['name'], 'plan'>; command: string; quiet?: boolean; prefix?: string }): Promise<boolean>;
  /** Records a step that passed or failed without a command (e.g. the plan). */
  record(step: BuildCheckStep, failure?: Omit<StepFailure, 'outcome'>): void;
  readonly steps: BuildCheckStep[];
  /** The failed step that comes first in build order (steps may run side by side). */
  readonly failure: StepFailure | null;
}

const order: ReadonlyArray<BuildCheckStep['name']> = ['plan', 'install', 'typecheck', 'build'];

/**
 * A {@link StepRunner} over {@link startCommand}: each step runs in `cwd` with
 * `envFor(step)`, its output lines are logged as they arrive, and the running process is
 * handed to `track` so destroy, abort and shutdown can kill it.
 */
export function createStepRunner(input: {
  cwd: string;
  envFor: (step: 'install' | 'build') => Record<string, string>;
  settings: LocalBuildSettings;
  signal?: AbortSignal;
  onLog: (line: StepLogLine) => void;
  track?: (running: RunningCommand | null) => void;
}): StepRunner {
  const steps: BuildCheckStep[] = [];
  const failures = new Map<BuildCheckStep['name'], StepFailure>();
  const runner: StepRunner = {
    log(level, message) {
      input.onLog({ level, message });
    },
    async step({ name, command, quiet = false, prefix = '' }) {
      const timeoutMs = name === 'install' ? input.settings.installTimeoutMs : input.settings.buildTimeoutMs;
      if (!quiet) input.onLog({ level: 'info', message: `${prefix}$ ${command}` });
      const running = startCommand({
        command,
        cwd: input.cwd,
        env: input.envFor(name === 'install' ? 'install' : 'build'),
        timeoutMs,
        maxLines: input.settings.maxOutputLines,
        ...(input.signal ? { signal: input.signal } : {}),
        ...(quiet ? {} : { onLine: (line: string) => input.onLog({ level: 'info', message: `${prefix}${line}` }) }),
      });
      input.track?.(running);
      const outcome = await running.done;
      input.track?.(null);
      if (!quiet && outcome.droppedLines > 0) input.onLog({ level: 'warn', message: `(${outcome.droppedLines} more lines of output not kept)` });
      const ok = outcome.exitCode === 0 && !outcome.timedOut && !outcome.aborted;
      const existing = steps.findIndex((step) => step.name === name);
      const entry: BuildCheckStep = { name, status: ok ? 'passed' : 'failed', durationMs: outcome.durationMs };
      if (existing >= 0) steps[existing] = { ...entry, durationMs: (steps[existing]?.durationMs ?? 0) + outcome.durationMs };
      else steps.push(entry);
      if (!ok && !quiet) {
        const description = describeOutcome(outcome, timeoutMs);
        failures.set(name, { name, command, outcome, description });
        input.onLog({ level: 'error', message: `${name} failed: ${command} ${description}` });
      }
      return ok;
    },
    record(step, stepFailure) {
      steps.push(step);
      if (stepFailure) failures.set(step.name, { ...stepFailure, outcome: null });
    },
    get steps() {
      return [...steps].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    },
    get failure() {
      for (const name of order) {
        const failure = failures.get(name);
        if (failure) return failure;
      }
      return null;
    },
  };
  return runner;
}
