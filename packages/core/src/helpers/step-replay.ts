import { createHash } from 'node:crypto';
import type { AgentStepKind } from '../schemas/agent-event.js';
import type { RecordedStep } from '../schemas/agent-step.js';

/** JSON with object keys sorted, so equal values give equal text whatever their key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const record = item as Record<string, unknown>;
    // Keys are distinct, so the default sort (by UTF-16 code units) orders them with no ties.
    return Object.fromEntries(Object.keys(record).sort().map((key) => [key, record[key]]));
  });
}

/**
 * A digest of a step's input: `sha256:` and the hex SHA-256 of its canonical JSON (object keys
 * sorted). Two inputs get the same digest exactly when they are the same JSON value.
 */
export function digestStepInput(input: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(input) ?? 'undefined').digest('hex')}`;
}

/** Hands an agent's recorded steps back in order while its run retraces them. */
export interface StepReplay {
  /**
   * The recorded step to use instead of running this one: the next recorded step, when it has
   * this kind, name and input digest. Otherwise undefined, and replay is over for the rest of
   * the run (the run has left the recorded path, so later recorded steps no longer apply).
   */
  take(kind: AgentStepKind, name: string, inputDigest: string): RecordedStep | undefined;
  /** True while recorded steps remain and the run has not left their path. */
  readonly active: boolean;
  /** How many recorded steps were handed back. */
  readonly replayed: number;
}

/**
 * Replays `recorded` (an agent's `context.replay`) in order, as Inngest's step memoization
 * does: a deterministic agent that asks for the same steps with the same inputs gets their
 * recorded outputs, and makes real calls only from the first step that differs or was never
 * recorded.
 */
export function createStepReplay(recorded: ReadonlyArray<RecordedStep> = []): StepReplay {
  let position = 0;
  let diverged = false;
  return {
    take(kind, name, inputDigest) {
      if (diverged) return undefined;
      const next = recorded[position];
      if (next === undefined || next.kind !== kind || next.name !== name || next.inputDigest !== inputDigest) {
        diverged = true;
        return undefined;
      }
      position += 1;
      return next;
    },
    get active() {
      return !diverged && position < recorded.length;
    },
    get replayed() {
      return position;
    },
  };
}
